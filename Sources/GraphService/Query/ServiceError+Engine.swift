import Foundation
import GraphEngine

extension ServiceError {
    /// The service's answer to an engine failure of a Cypher statement.
    ///
    /// | engine kind | code |
    /// |---|---|
    /// | parse | `cypher_syntax_error` |
    /// | bind, catalog | `cypher_binding_error` |
    /// | runtime, conversion, transaction | `query_failed` |
    /// | timeout | `query_timeout` |
    /// | read-only | `read_only_database` |
    /// | out of memory | `database_out_of_memory` (507) |
    /// | disk full | `disk_full` (507) |
    /// | interrupted, closed, write conflict | `query_interrupted`, `database_closed`, `write_conflict` (retry after 1 s) |
    /// | anything else | `engine_error` |
    ///
    /// The message carries the engine's own.
    public static func engine(_ error: EngineError, timeoutSeconds: Double? = nil) -> ServiceError {
        let message = error.message
        switch error.kind {
        case .parse:
            return ServiceError(.cypherSyntaxError, message)
        case .bind, .catalog:
            return ServiceError(.cypherBindingError, message)
        case .runtime, .conversion, .transaction:
            return ServiceError(.queryFailed, message)
        case .timeout:
            return .queryTimeout(seconds: timeoutSeconds)
        case .readOnly:
            return ServiceError(.readOnlyDatabase, message)
        case .outOfMemory:
            return .databaseOutOfMemory(message)
        case .diskFull:
            return .diskFull(message)
        case .interrupted:
            return ServiceError(.queryInterrupted, "the query was interrupted: \(message)", retryAfterSeconds: 1)
        case .closed:
            return ServiceError(.databaseClosed, "the database was closed while the query ran: \(message)", retryAfterSeconds: 1)
        case .writeConflict:
            return ServiceError(.writeConflict, message, retryAfterSeconds: 1)
        default:
            return ServiceError(.engineError, message)
        }
    }

    /// `database_out_of_memory`: the graph's buffer pool cannot hold what was asked, and nothing
    /// was written; the message names the setting that gives it more.
    public static func databaseOutOfMemory(_ engineMessage: String) -> ServiceError {
        ServiceError(
            .databaseOutOfMemory,
            "the graph needs more memory than its buffer pool holds: \(engineMessage). Nothing was written; "
                + "split the work into smaller writes, or give the graph more memory: --memory-for GRAPH=MiB "
                + "(GRAPH_API_MEMORY_FOR) for this graph, or --memory-per-database-mb for every graph"
        )
    }

    /// `disk_full`: a write failed because the data folder's file system is full; it was not
    /// committed. Reads go on.
    public static func diskFull(_ detail: String) -> ServiceError {
        ServiceError(.diskFull, "the data folder's disk is full; nothing was written, free space and retry (\(detail))")
    }

    /// `disk_full` for a Foundation or POSIX error that says the disk is full (`ENOSPC`,
    /// `EDQUOT`, Foundation's out-of-space write error), looking through underlying errors;
    /// `nil` for any other error.
    public static func diskFull(from error: any Error) -> ServiceError? {
        var current: NSError? = error as NSError
        for _ in 0..<4 {
            guard let nsError = current else { return nil }
            if nsError.domain == NSPOSIXErrorDomain, nsError.code == Int(ENOSPC) || nsError.code == Int(EDQUOT) {
                return .diskFull(nsError.localizedDescription)
            }
            if nsError.domain == NSCocoaErrorDomain, nsError.code == CocoaError.fileWriteOutOfSpace.rawValue {
                return .diskFull(nsError.localizedDescription)
            }
            current = nsError.userInfo[NSUnderlyingErrorKey] as? NSError
        }
        return nil
    }

    /// `query_timeout`: the query ran past its timeout and was stopped.
    public static func queryTimeout(seconds: Double?) -> ServiceError {
        let limit = seconds.map { "its timeout of \(Self.format(seconds: $0)) s" } ?? "its timeout"
        return ServiceError(.queryTimeout, "the query ran past \(limit) and was stopped")
    }

    private static func format(seconds: Double) -> String {
        seconds == seconds.rounded() && seconds < 1e15 ? String(Int64(seconds)) : String(seconds)
    }
}
