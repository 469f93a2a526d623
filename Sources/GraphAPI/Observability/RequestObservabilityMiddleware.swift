import GraphService
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// The outermost middleware: gives every request an id, answers it in an `X-Request-ID`
/// header, records the request's metrics and writes one log line per request.
///
/// - The id is Hummingbird's request id (`hb.request.id` in the request logger's metadata, shown
///   as `request_id` by ``JSONLogHandler``), or the client's own `X-Request-ID` when it sent a
///   safe one (1-128 letters, digits, `-`, `_`, `.`, `:`), so that a request can be followed
///   through a proxy. Every response carries it, errors included.
/// - Metrics use the route template (`/databases/{graph_id}/query`), never the raw path, so the
///   number of series stays bounded; a request that matched no route is `unmatched`.
/// - The request is logged at `info` (`method`, `route`, `path`, `status`, `ms`, and `code` for an
///   error) when its response body has been written, so the duration of a streamed answer is
///   the whole stream's.
///
/// It must be the first middleware added to the router, so that it sees the response of every
/// other middleware (errors of ``ErrorMiddleware`` and ``AuthMiddleware`` included).
struct RequestObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    static var requestIDHeader: HTTPField.Name { RequestIdentification.header }
    static var requestIDMetadataKey: String { RequestIdentification.metadataKey }
    /// The route label of a request that matched no route.
    static var unmatchedRoute: String { "unmatched" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        if let presented = request.headers[Self.requestIDHeader], Self.isAcceptableRequestID(presented) {
            context.logger[metadataKey: Self.requestIDMetadataKey] = .string(presented)
        }
        let requestID = context.logger[metadataKey: Self.requestIDMetadataKey]?.description ?? RequestID().description
        metrics.requestStarted()

        var response: Response
        var errorCode: String?
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            errorCode = error.code
            response = try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            errorCode = ErrorMiddleware<Context>.code(for: error.status)
            response = try error.response(from: request, context: context)
        } catch {
            // ErrorMiddleware turns every other error into an APIError; this is a last resort.
            let apiError = APIError(.internalError, "internal error")
            errorCode = apiError.code
            response = try apiError.response(from: request, context: context)
        }
        response.headers[Self.requestIDHeader] = requestID

        let route = Self.routeLabel(context.endpointPath)
        let completion = RequestCompletion(
            metrics: metrics, logger: context.logger, method: request.method.rawValue, route: route,
            path: request.uri.path, status: response.status.code, errorCode: errorCode, start: start
        )
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                completion.finish(aborted: true)
                throw error
            }
            completion.finish(aborted: false)
        }
        return response
    }

    /// The route label of a request: its route template, or ``unmatchedRoute``.
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath.hasPrefix("/") else { return unmatchedRoute }
        return endpointPath
    }

    /// Whether a client-supplied request id is safe to log and echo: 1-128 characters from
    /// `[A-Za-z0-9._:-]`.
    static func isAcceptableRequestID(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            byte.isASCIIAlphanumeric || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }
}

/// Where a request's id lives.
enum RequestIdentification {
    /// The response (and optional request) header carrying the id.
    static let header = HTTPField.Name("X-Request-ID")!
    /// The request logger's metadata key holding the id (Hummingbird's).
    static let metadataKey = "hb.request.id"
}

/// Records a request's end exactly once: when its body was written, when writing it failed, or,
/// if the response was dropped unwritten, when this object goes away.
private final class RequestCompletion: Sendable {
    let metrics: ServerMetrics
    let logger: Logger
    let method: String
    let route: String
    let path: String
    let status: Int
    let errorCode: String?
    let start: ContinuousClock.Instant
    private let done = Atomic<Bool>(false)

    init(
        metrics: ServerMetrics, logger: Logger, method: String, route: String, path: String, status: Int, errorCode: String?,
        start: ContinuousClock.Instant
    ) {
        self.metrics = metrics
        self.logger = logger
        self.method = method
        self.route = route
        self.path = path
        self.status = status
        self.errorCode = errorCode
        self.start = start
    }

    deinit {
        finish(aborted: true)
    }

    func finish(aborted: Bool) {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let duration = ContinuousClock.now - start
        metrics.requestCompleted(method: method, route: route, status: status, duration: duration)
        if let errorCode {
            metrics.requestFailed(route: route, status: status, code: errorCode)
        }
        var metadata: Logger.Metadata = [
            "method": .string(method), "route": .string(route), "path": .string(path),
            "status": .stringConvertible(status), "ms": .stringConvertible(Self.milliseconds(duration)),
        ]
        if let errorCode { metadata["code"] = .string(errorCode) }
        if aborted { metadata["aborted"] = "true" }
        logger.info("request", metadata: metadata)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return (ms * 1000).rounded() / 1000
    }
}
