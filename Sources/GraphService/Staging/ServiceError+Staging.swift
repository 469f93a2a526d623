import Logging
import Foundation
import Staging

extension ServiceError {
    /// The service's answer to a DuckDB failure while staging or querying staged tables.
    ///
    /// | DuckDB kind | code |
    /// |---|---|
    /// | parser | `sql_syntax_error` |
    /// | binder, catalog | `sql_binding_error` |
    /// | permission | `forbidden_statement` |
    /// | io saying "No space left on device" | `disk_full` (507) |
    /// | http, io | `source_error` (missing bucket or file, wrong credentials, unreadable file) |
    /// | conversion, invalid input, constraint, out of range, transaction | `sql_failed` |
    /// | interrupted | `query_timeout` |
    /// | out of memory | `staging_out_of_memory` (retry after 5 s) |
    /// | anything else | `staging_error` |
    public static func staging(_ error: StagingError, timeoutSeconds: Double? = nil) -> ServiceError {
        let message = error.message
        switch error.kind {
        case .parser:
            return ServiceError(.sqlSyntaxError, message)
        case .binder, .catalog:
            return ServiceError(.sqlBindingError, message)
        case .permission:
            return ServiceError(.forbiddenStatement, message)
        case .io where message.contains("No space left on device"):
            return .diskFull(message)
        case .http, .io:
            return ServiceError(.sourceError, message)
        case .conversion, .invalidInput, .constraint, .outOfRange, .transaction, .parameterCount, .unsupportedParameter:
            return ServiceError(.sqlFailed, message)
        case .interrupted:
            return .queryTimeout(seconds: timeoutSeconds)
        case .outOfMemory:
            return ServiceError(.stagingOutOfMemory, message, retryAfterSeconds: 5)
        default:
            return ServiceError(.stagingError, message)
        }
    }
}

/// Runs `body`, turning DuckDB failures into the service's errors.
func withStagingErrors<T>(timeoutSeconds: Double? = nil, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StagingError {
        throw ServiceError.staging(error, timeoutSeconds: timeoutSeconds)
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
    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as a list of strings, if it is a list of strings.
    var stringListValue: [String]? {
        guard case .list(let items) = self else { return nil }
        return items.compactMap(\.stringValue)
    }
}
