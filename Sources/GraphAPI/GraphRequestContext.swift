import GraphService
import Foundation
import Hummingbird

/// The context of every route below `/databases/{graph_id}`: the graph id is already validated
/// and the key's scope already checked, so a handler cannot forget to.
///
/// A key scoped to other graphs gets `404`, exactly as for a graph that does not exist, so it
/// learns nothing about other tenants.
public struct GraphRequestContext: ChildRequestContext {
    public typealias ParentContext = GraphAPIRequestContext

    public var coreContext: CoreRequestContextStorage
    /// The validated graph id of the path.
    public let graphID: GraphID
    /// The scope of the key that authenticated the request.
    public let scope: KeyScope
    /// The client's address.
    public let clientAddress: String
    /// Largest request body accepted, in bytes.
    public let maxBodyBytes: Int

    public var maxUploadSize: Int { maxBodyBytes }

    /// As ``GraphAPIRequestContext/responseEncoder``.
    public var responseEncoder: JSONEncoder { .graphAPI }

    public init(context: GraphAPIRequestContext) throws {
        self.coreContext = context.coreContext
        self.clientAddress = context.clientAddress
        self.maxBodyBytes = context.maxBodyBytes
        guard let scope = context.scope else {
            throw APIError(.unauthorized, "missing or invalid API key")
        }
        let raw = context.parameters.get("graph_id") ?? ""
        let id = try GraphID(validating: raw)
        guard scope.allows(id.rawValue) else { throw ServiceError.databaseNotFound(id) }
        self.graphID = id
        self.scope = scope
    }

    /// Throws `403` unless the key may write.
    public func requireWriteScope() throws(APIError) {
        if scope.readOnly {
            throw APIError(.readOnlyKey, "this API key is read-only")
        }
    }
}
