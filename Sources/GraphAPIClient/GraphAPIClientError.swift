import Foundation
import GraphJSON

/// Why a call to the Graph API failed.
///
/// For an answer with an error status, ``status``, ``detail`` and ``code`` are the server's
/// (`{"detail": "...", "code": "..."}`); for an error inside a stream they are the in-band error
/// line's. ``kind`` tells the classes apart; new kinds may be added, so switch with a default.
public struct GraphAPIClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of a failure.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case server, transport, invalidResponse, streamFailed, invalidInput, circuitOpen
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server answered with an error status (4xx, 5xx, or an unexpected 3xx).
        public static let server = Kind(.server)
        /// The server could not be reached or the connection failed.
        public static let transport = Kind(.transport)
        /// The server answered success with a body the contract does not describe.
        public static let invalidResponse = Kind(.invalidResponse)
        /// A streamed result failed after it had started: an in-band error line, or the stream
        /// ended without its last chunk.
        public static let streamFailed = Kind(.streamFailed)
        /// The caller's input cannot make a request (a malformed URL, parameter or argument).
        public static let invalidInput = Kind(.invalidInput)
        /// Not sent: the client's circuit breaker is open after repeated transport failures (see
        /// ``CircuitBreakerPolicy``).
        public static let circuitOpen = Kind(.circuitOpen)

        public var description: String { base.rawValue }
    }

    /// The class of the failure.
    public var kind: Kind
    /// The HTTP status of the answer, if there was one.
    public var status: Int?
    /// The human message: the server's `detail` for server and stream errors.
    public var detail: String
    /// The server's stable machine code (e.g. `database_not_found`), if it gave one.
    public var code: String?
    /// Seconds the server asked to wait before retrying (`Retry-After` on 429 and 503).
    public var retryAfterSeconds: Int?
    /// For a transport failure: whether the request never reached the server (the connection
    /// could not be opened), so that sending it again cannot do anything twice.
    public var requestNotSent: Bool
    /// How many times the request was sent (or tried) before this error was thrown.
    public var attempts: Int

    /// Creates an error.
    public init(
        kind: Kind, status: Int? = nil, detail: String, code: String? = nil, retryAfterSeconds: Int? = nil,
        requestNotSent: Bool = false, attempts: Int = 1
    ) {
        self.kind = kind
        self.status = status
        self.detail = detail
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
        self.requestNotSent = requestNotSent
        self.attempts = attempts
    }

    /// `detail (code: c, HTTP s)`.
    public var description: String {
        var extras: [String] = []
        if let code { extras.append("code: \(code)") }
        if let status, kind == .server { extras.append("HTTP \(status)") }
        if let retryAfterSeconds { extras.append("retry after \(retryAfterSeconds) s") }
        if attempts > 1 { extras.append("after \(attempts) attempts") }
        return extras.isEmpty ? detail : "\(detail) (\(extras.joined(separator: ", ")))"
    }

    /// Whether the server refused the caller: a missing or wrong key (401), an operation the key
    /// or the database does not allow (403), or a lockout after failed authentications (429).
    public var isAccessDenied: Bool {
        kind == .server && (status == 401 || status == 403 || status == 429)
    }

    /// Whether the server said the database (or another named thing) does not exist (404).
    public var isNotFound: Bool {
        kind == .server && status == 404
    }
}

extension GraphAPIClientError {
    /// The error an answer with a non-success status stands for: the server's `detail` and `code`
    /// when the body is the contract's error object, otherwise the start of the body.
    static func fromResponse(status: Int, body: [UInt8], retryAfter: String?) -> GraphAPIClientError {
        let retryAfterSeconds = retryAfter.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if let value = try? body.withUnsafeBufferPointer({ bytes throws(JSONSyntaxError) in try JSONValue.parse(bytes) }),
            let detail = value["detail"]
        {
            let text: String
            switch detail {
            case .string(let string): text = string
            default: text = detail.jsonText  // e.g. a list of validation problems
            }
            return GraphAPIClientError(
                kind: .server, status: status, detail: text, code: value["code"]?.stringValue, retryAfterSeconds: retryAfterSeconds
            )
        }
        var text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { text = "the server answered HTTP \(status) without a body" }
        return GraphAPIClientError(kind: .server, status: status, detail: text, retryAfterSeconds: retryAfterSeconds)
    }
}

extension GraphAPIClientError {
    /// The exit status the `graph-api` client commands end with for this error: 3 when access was
    /// denied (``isAccessDenied``: 401, 403, 429), 4 when something was not found (404), 64
    /// (`EX_USAGE`, what the argument parser uses for every usage error) for unusable input, and 1
    /// for anything else.
    public var exitStatus: Int32 {
        if kind == .invalidInput { return 64 }
        if isAccessDenied { return 3 }
        if isNotFound { return 4 }
        return 1
    }
}
