import GraphService
import Hummingbird
import Logging

/// Turns every error a handler throws into the contract's error body
/// `{"detail": "...", "code": "..."}`: ``APIError``s pass through, the service's failures are
/// answered by their category (``APIError/answering(_:)``, which also answers a file-system error
/// that says the disk is full with `507 disk_full`), Hummingbird's own errors (no
/// such route, unreadable body) keep their status, and anything else is a 500 whose detail is
/// shown in development mode only.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let environment: DeploymentEnvironment
    /// The router's routes: a known path asked with another method is `405` with `Allow`.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound && !(error is APIError) {
            // No route: an unknown path, or a known one asked with a method it does not take.
            let allowed = routes.allowedMethods(for: request.uri.path)
            guard allowed.isEmpty else {
                throw APIError(
                    .methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path.prefix(200)); allowed: \(allowed.joined(separator: ", "))",
                    headers: [.allow: allowed.joined(separator: ", ")]
                )
            }
            throw APIError(.notFound, "no route for \(request.method.rawValue) \(request.uri.path.prefix(200)); see /docs")
        } catch let error as any HTTPResponseError where !(error is APIError) {
            throw APIError(error.status, code: Self.code(for: error.status), detail: Self.detail(for: error))
        } catch {
            if let answer = APIError.answering(error) { throw answer }
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            let detail = environment == .development ? "internal error: \(error)" : "internal error"
            throw APIError(.internalError, detail)
        }
    }

    static func detail(for error: any HTTPResponseError) -> String {
        if let error = error as? HTTPError, let body = error.body { return body }
        return error.status.reasonPhrase
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "timeout"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 422: "validation_error"
        case 429: "too_many_requests"
        case 503: "unavailable"
        default: "http_\(status.code)"
        }
    }
}
