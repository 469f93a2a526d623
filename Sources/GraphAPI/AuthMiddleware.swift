import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Requires an API key (`X-Graph-API-Key: <key>` or `Authorization: Bearer <key>`) on every route
/// but the public ones, records the key's scope in the context, and answers `401` for a missing or
/// wrong key and `429` with `Retry-After` to a client locked out by too many failures. Every
/// failure is an audit log line.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GraphAPIRequestContext

    let authenticator: Authenticator
    let maxBodyBytes: Int
    static let publicPaths: Set<String> = ["/health", "/status", "/openapi.json", "/docs"]
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
            throw APIError(
                .unauthorized, code: "unauthorized", detail: "missing or invalid API key",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        case .lockedOut(let retryAfter):
            context.logger.notice(
                "audit: client locked out",
                metadata: ["audit": "auth_lockout", "client": "\(context.clientAddress)", "path": "\(request.uri.path)"]
            )
            throw APIError(
                .tooManyRequests, code: "too_many_failed_authentications",
                detail: "too many failed authentications from this address; retry after \(retryAfter) s",
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
