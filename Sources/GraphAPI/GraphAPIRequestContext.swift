import GraphService
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The request context of every route: who is asking (the key's scope, the client address) and
/// the body limit, filled in by ``AuthMiddleware``.
public struct GraphAPIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The scope of the key that authenticated the request (`unrestricted` when the server runs
    /// open); `nil` only on the routes that need no key.
    public var scope: KeyScope?
    /// The client's address, as text ("unknown" when not known).
    public let clientAddress: String
    /// Largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes: Int = 16 * 1024 * 1024

    public var maxUploadSize: Int { maxBodyBytes }

    /// JSON answers with their object keys sorted, and `/` written as is (``JSONEncoder/graphAPI``).
    public var responseEncoder: JSONEncoder { .graphAPI }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

extension JSONEncoder {
    /// The encoder of every JSON answer built from a model: object keys in alphabetical order (the
    /// same bytes on every call, whatever the order of a dictionary), slashes not escaped. Query
    /// results and error bodies are written by hand, in their documented order.
    static var graphAPI: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
