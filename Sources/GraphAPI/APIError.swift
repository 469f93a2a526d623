import GraphEngine
import HTTPTypes
import Hummingbird
import NIOCore

/// The one error type the HTTP layer answers with: `{"detail": "...", "code": "..."}` and the
/// status of the contract's table. Engine and staging failures are mapped to it at the boundary.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// HTTP status.
    public var status: HTTPResponse.Status
    /// Stable machine-readable code, e.g. `database_not_found`.
    public var code: String
    /// Human message.
    public var detail: String
    /// Extra headers (`Retry-After` on 429 and 503).
    public var headers: HTTPFields

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, code: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(detail)" }

    /// The JSON body bytes of this error.
    public var bodyBuffer: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStaticString("{\"detail\":")
        buffer.writeJSONString(detail)
        buffer.writeStaticString(",\"code\":")
        buffer.writeJSONString(code)
        buffer.writeStaticString("}")
        return buffer
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: bodyBuffer))
    }
}

extension APIError {
    /// 400 for malformed input.
    public static func badRequest(_ detail: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code: code, detail: detail)
    }

    /// 404 for something that does not exist.
    public static func notFound(_ detail: String, code: String = "not_found") -> APIError {
        APIError(.notFound, code: code, detail: detail)
    }

    /// 422 for a body that does not match the schema.
    public static func unprocessable(_ detail: String) -> APIError {
        APIError(.unprocessableContent, code: "validation_error", detail: detail)
    }

    /// What a request whose client went away before its answer ends with: nginx's 499 "client
    /// closed request". It is never delivered (there is no one to read it); it shows in the
    /// request log and the `graph_api_http_errors_total` metric.
    public static var clientClosedRequest: APIError {
        APIError(
            HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"), code: "client_closed_request",
            detail: "the client closed the connection before the answer"
        )
    }

    /// 503 with a `Retry-After` header.
    public static func unavailable(_ detail: String, code: String, retryAfterSeconds: Int) -> APIError {
        APIError(.serviceUnavailable, code: code, detail: detail, headers: [.retryAfter: String(retryAfterSeconds)])
    }
}
