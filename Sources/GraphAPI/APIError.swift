import GraphEngine
import GraphService
import HTTPTypes
import Hummingbird
import NIOCore
import Staging

/// The one error type the HTTP layer answers with: `{"detail": "...", "code": "..."}` and the
/// status of the contract's table.
///
/// The service's failures (``ServiceError``) become one here by their category, in
/// ``init(_:)-(ServiceError)``, the one place where a category turns into a status. The codes
/// only HTTP knows (authentication, keys' scopes, admission, query-string parameters, the
/// framework's own statuses) are ``Code``s, declared once below.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// The codes of failures decided by the HTTP layer itself.
    public enum Code: String, Sendable, CaseIterable {
        case unauthorized
        case tooManyFailedAuthentications = "too_many_failed_authentications"
        case tooManyFailedAuthenticationsNode = "too_many_failed_authentications_node"
        case keyNotOperator = "key_not_operator"
        case graphNotInScope = "graph_not_in_scope"
        case readOnlyKey = "read_only_key"
        case clientClosedRequest = "client_closed_request"
        case internalError = "internal_error"
        case invalidChunkSize = "invalid_chunk_size"
        case invalidStreaming = "invalid_streaming"
        case invalidStatus = "invalid_status"
        case invalidTaskType = "invalid_task_type"
        case invalidLimit = "invalid_limit"
        case invalidTaskID = "invalid_task_id"
        case missingParameter = "missing_parameter"
        case invalidParameter = "invalid_parameter"
        case queryQueueFull = "query_queue_full"
        case memoryPressure = "memory_pressure"
        // The framework's own refusals, by status (see ``ErrorMiddleware``).
        case badRequest = "bad_request"
        case forbidden
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case timeout
        case conflict
        case payloadTooLarge = "payload_too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case tooManyRequests = "too_many_requests"
        case unavailable

        /// The status this code is answered with.
        var status: HTTPResponse.Status {
            switch self {
            case .unauthorized: .unauthorized
            case .tooManyFailedAuthentications, .tooManyFailedAuthenticationsNode, .tooManyRequests: .tooManyRequests
            case .keyNotOperator, .graphNotInScope, .readOnlyKey, .forbidden: .forbidden
            case .clientClosedRequest: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
            case .internalError: .internalServerError
            case .invalidChunkSize, .invalidStreaming, .invalidStatus, .invalidTaskType, .invalidLimit, .invalidTaskID, .missingParameter, .invalidParameter,
                .badRequest:
                .badRequest
            case .queryQueueFull, .memoryPressure, .unavailable: .serviceUnavailable
            case .notFound: .notFound
            case .methodNotAllowed: .methodNotAllowed
            case .timeout: .requestTimeout
            case .conflict: .conflict
            case .payloadTooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            }
        }
    }

    /// HTTP status.
    public var status: HTTPResponse.Status
    /// Stable machine-readable code, e.g. `database_not_found`.
    public var code: String
    /// Human message.
    public var detail: String
    /// Extra headers (`Retry-After` on 429 and 503).
    public var headers: HTTPFields

    /// Creates an error with any status and code (the framework's own errors keep theirs).
    init(_ status: HTTPResponse.Status, code: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    /// An error of the HTTP layer.
    public init(_ code: Code, _ detail: String, headers: HTTPFields = [:]) {
        self.init(code.status, code: code.rawValue, detail: detail, headers: headers)
    }

    /// An error of the HTTP layer whose answer may be retried after `retryAfterSeconds`.
    public init(_ code: Code, _ detail: String, retryAfterSeconds: Int) {
        self.init(code, detail, headers: [.retryAfter: String(retryAfterSeconds)])
    }

    /// The answer to a failure of the service.
    public init(_ error: ServiceError) {
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        self.init(Self.status(of: error.category), code: error.code.rawValue, detail: error.message, headers: headers)
    }

    /// The status of each category of the service's failures.
    static func status(of category: ServiceError.Category) -> HTTPResponse.Status {
        switch category {
        case .invalidRequest: .badRequest
        case .invalidBody: .unprocessableContent
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .timeout: .requestTimeout
        case .unavailable: .serviceUnavailable
        case .insufficientStorage: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .internal: .internalServerError
        }
    }

    /// Every code an answer of this server may carry: the service's and the HTTP layer's.
    public static var allCodes: [String] { ServiceError.Code.all.map(\.rawValue) + Code.allCases.map(\.rawValue) }

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
    /// `401 unauthorized`: no key, or a wrong one.
    static var unauthorized: APIError {
        APIError(.unauthorized, "missing or invalid API key", headers: [.wwwAuthenticate: "Bearer"])
    }

    /// What a request whose client went away before its answer ends with: nginx's 499 "client
    /// closed request". It is never delivered (there is no one to read it); it shows in the
    /// request log and the `graph_api_http_errors_total` metric.
    public static var clientClosedRequest: APIError {
        APIError(.clientClosedRequest, "the client closed the connection before the answer")
    }

    /// The answer to any error a handler threw: an ``APIError`` as it is, a ``ServiceError`` by
    /// its category, an engine or staging failure as the service maps it; `nil` for anything else.
    static func answering(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError: error
        case let error as ServiceError: APIError(error)
        case let error as EngineError: APIError(ServiceError.engine(error))
        case let error as StagingError: APIError(ServiceError.staging(error))
        default: ServiceError.diskFull(from: error).map(APIError.init)
        }
    }
}

// The service's answers that it also keeps (task results, manifests) or whose document has
// members that are required and may be `null` (which the generated types would leave out),
// sent as JSON bodies; the others are the document's generated types (`ResponseBodies.swift`).
extension BackupList: ResponseEncodable {}
extension BackupManifest: ResponseEncodable {}
extension BackupScheduleInfo: ResponseEncodable {}
extension RecoveryWindow: ResponseEncodable {}
extension DatabaseList: ResponseEncodable {}
extension DatabaseInfo: ResponseEncodable {}
extension SchemaResponse: ResponseEncodable {}
extension DatabaseMetrics: ResponseEncodable {}
extension CreateStagingTableResponse: ResponseEncodable {}
extension StagingTableInfo: ResponseEncodable {}
extension IngestResponse: ResponseEncodable {}
