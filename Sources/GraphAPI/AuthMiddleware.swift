import GraphService
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Requires an API key (`X-Graph-API-Key: <key>` or `Authorization: Bearer <key>`) on every route
/// but the public ones, records the key's scope in the context, and answers `401` for a missing or
/// wrong key. A valid key always passes; a missing or wrong key gets `429` with `Retry-After`
/// instead of `401` while ``Authenticator`` throttles its address or the whole node. Every `401`
/// is an audit log line, and so is the first `429` of each throttling episode.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GraphAPIRequestContext

    let authenticator: Authenticator
    let maxBodyBytes: Int
    static let publicPaths: Set<String> = ["/", "/health", "/status", "/openapi.json", "/docs"]
    static let keyHeader = HTTPField.Name("X-Graph-API-Key")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxBodyBytes = maxBodyBytes
        if Self.publicPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        if authenticator.isOpen {
            context.scope = .unrestricted
            return try await next(request, context)
        }
        switch authenticator.authenticate(presented: Self.presentedKey(request), client: context.clientAddress) {
        case .accepted(let scope):
            context.scope = scope
            return try await next(request, context)
        case .rejected:
            context.logger.notice(
                "audit: authentication failed",
                metadata: ["audit": "auth_failure", "client": "\(context.clientAddress)", "path": "\(request.uri.path)"]
            )
            throw APIError(.unauthorized, "missing or invalid API key",
                headers: [.wwwAuthenticate: "Bearer"])
        case .throttled(let retryAfter, let reason, let first):
            // One notice per throttling episode (of an address, or of the node); the refusals that
            // follow are debug lines, so a flood of wrong keys cannot flood the log.
            context.logger.log(
                level: first ? .notice : .debug,
                "audit: failed authentications throttled",
                metadata: [
                    "audit": "auth_throttled", "client": "\(context.clientAddress)", "path": "\(request.uri.path)",
                    "throttle": "\(reason.rawValue)", "retry_after_s": "\(retryAfter)",
                ]
            )
            let (code, source) =
                switch reason {
                case .client: ("too_many_failed_authentications", "from this address")
                case .node: ("too_many_failed_authentications_node", "on this server")
                }
            throw APIError(
                .tooManyRequests, code: code, detail: "too many failed authentications \(source); retry after \(retryAfter) s",
                headers: [.retryAfter: String(retryAfter)]
            )
        }
    }

    static func presentedKey(_ request: Request) -> String? {
        if let key = request.headers[keyHeader], !key.isEmpty { return key }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
