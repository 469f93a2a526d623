import GraphEngine
import HTTPTypes

extension APIError {
    /// The contract's answer to an engine failure of a Cypher statement.
    ///
    /// | engine kind | status | code |
    /// |---|---|---|
    /// | parse | 400 | `cypher_syntax_error` |
    /// | bind, catalog | 400 | `cypher_binding_error` |
    /// | runtime, conversion, transaction | 400 | `query_failed` |
    /// | timeout | 408 | `query_timeout` |
    /// | read-only | 403 | `read_only_database` |
    /// | interrupted, closed, write conflict | 503 + `Retry-After` | `query_interrupted`, `database_closed`, `write_conflict` |
    /// | anything else | 500 | `engine_error` |
    ///
    /// The detail carries the engine's own message.
    static func engine(_ error: EngineError, timeoutSeconds: Double? = nil) -> APIError {
        let message = error.message
        switch error.kind {
        case .parse:
            return .badRequest(message, code: "cypher_syntax_error")
        case .bind, .catalog:
            return .badRequest(message, code: "cypher_binding_error")
        case .runtime, .conversion, .transaction:
            return .badRequest(message, code: "query_failed")
        case .timeout:
            return .queryTimeout(seconds: timeoutSeconds)
        case .readOnly:
            return APIError(.forbidden, code: "read_only_database", detail: message)
        case .interrupted:
            return .unavailable("the query was interrupted: \(message)", code: "query_interrupted", retryAfterSeconds: 1)
        case .closed:
            return .unavailable("the database was closed while the query ran: \(message)", code: "database_closed", retryAfterSeconds: 1)
        case .writeConflict:
            return .unavailable(message, code: "write_conflict", retryAfterSeconds: 1)
        default:
            return APIError(.internalServerError, code: "engine_error", detail: message)
        }
    }

    /// `408 query_timeout`: the query ran past its timeout and was stopped.
    static func queryTimeout(seconds: Double?) -> APIError {
        let limit = seconds.map { "its timeout of \(Self.format(seconds: $0)) s" } ?? "its timeout"
        return APIError(.requestTimeout, code: "query_timeout", detail: "the query ran past \(limit) and was stopped")
    }

    private static func format(seconds: Double) -> String {
        seconds == seconds.rounded() && seconds < 1e15 ? String(Int64(seconds)) : String(seconds)
    }
}
