import Logging
import HTTPTypes
import Foundation
import Staging

extension APIError {
    /// The contract's answer to a DuckDB failure while staging or querying staged tables.
    ///
    /// | DuckDB kind | status | code |
    /// |---|---|---|
    /// | parser | 400 | `sql_syntax_error` |
    /// | binder, catalog | 400 | `sql_binding_error` |
    /// | permission | 403 | `forbidden_statement` |
    /// | http, io | 400 | `source_error` (missing bucket or file, wrong credentials, unreadable file) |
    /// | conversion, invalid input, constraint, out of range, transaction | 400 | `sql_failed` |
    /// | interrupted | 408 | `query_timeout` |
    /// | out of memory | 503 + `Retry-After` | `staging_out_of_memory` |
    /// | anything else | 500 | `staging_error` |
    static func staging(_ error: StagingError, timeoutSeconds: Double? = nil) -> APIError {
        let message = error.message
        switch error.kind {
        case .parser:
            return .badRequest(message, code: "sql_syntax_error")
        case .binder, .catalog:
            return .badRequest(message, code: "sql_binding_error")
        case .permission:
            return APIError(.forbidden, code: "forbidden_statement", detail: message)
        case .http, .io:
            return .badRequest(message, code: "source_error")
        case .conversion, .invalidInput, .constraint, .outOfRange, .transaction, .parameterCount, .unsupportedParameter:
            return .badRequest(message, code: "sql_failed")
        case .interrupted:
            return .queryTimeout(seconds: timeoutSeconds)
        case .outOfMemory:
            return .unavailable(message, code: "staging_out_of_memory", retryAfterSeconds: 5)
        default:
            return APIError(.internalServerError, code: "staging_error", detail: message)
        }
    }
}

/// Runs `body`, turning DuckDB failures into the contract's errors.
func withStagingErrors<T>(timeoutSeconds: Double? = nil, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StagingError {
        throw APIError.staging(error, timeoutSeconds: timeoutSeconds)
    }
}

extension StagingValue {
    /// The value as a 64-bit integer, if it is an integer that fits.
    var int64Value: Int64? {
        switch self {
        case .int(let value): value
        case .uint(let value): Int64(exactly: value)
        case .hugeint(let value): Int64(exactly: value)
        case .uhugeint(let value): Int64(exactly: value)
        default: nil
        }
    }

    /// The value as text, if it is a string.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as a list of strings, if it is a list of strings.
    var stringListValue: [String]? {
        guard case .list(let items) = self else { return nil }
        return items.compactMap(\.stringValue)
    }
}
