import Foundation

/// An error reported by the graph engine or by this wrapper around it.
///
/// Shaped like postgres-nio's errors: a struct around a private code, so new kinds can be added
/// without breaking callers who `switch` over them. Compare ``kind`` against the static values of
/// ``EngineError/Kind``:
///
/// ```swift
/// do { _ = try connection.query("RETURN 1 +") }
/// catch let error as EngineError where error.kind == .parse { print(error.message) }
/// ```
///
/// ``message`` is the engine's own text where the engine produced the error (for example
/// `Parser exception: Invalid input <RETURN 1 +>: …`), or a description written by this module.
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a category. New kinds may be added in later versions.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case parse, bind, catalog, runtime, conversion, interrupted, timeout, open, connection,
                closed, writeConflict, readOnly, io, diskFull, transaction, outOfMemory, `internal`, unknown
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// The statement text is not valid Cypher (`Parser exception:`).
        public static let parse = Kind(.parse)
        /// The statement is valid Cypher but could not be bound (`Binder exception:`), or a
        /// parameter is wrong: an unknown name, a missing value, or a value of a type the
        /// statement cannot take.
        public static let bind = Kind(.bind)
        /// A catalog object (table, function, …) is missing or clashes (`Catalog exception:`).
        public static let catalog = Kind(.catalog)
        /// The statement failed while running (`Runtime exception:`, `Overflow exception:`,
        /// `Copy exception:`, …), for example a division by zero or a duplicated primary key.
        public static let runtime = Kind(.runtime)
        /// A value could not be converted to the type required (`Conversion exception:`) and no
        /// parameter was the cause.
        public static let conversion = Kind(.conversion)
        /// The query was stopped by ``Connection/interrupt()`` or by cancelling the task that ran
        /// it through ``EngineExecutor``.
        public static let interrupted = Kind(.interrupted)
        /// The query ran longer than the connection's query timeout
        /// (``Connection/setQueryTimeout(milliseconds:)``).
        public static let timeout = Kind(.timeout)
        /// The database could not be opened (bad path, file locked by another ``Database`` or
        /// process, read-only open of a missing database, …).
        public static let open = Kind(.open)
        /// A connection could not be created or used (`Connection exception:`).
        public static let connection = Kind(.connection)
        /// The ``Database``, ``Connection``, ``PreparedStatement`` or ``QueryResult`` was closed.
        public static let closed = Kind(.closed)
        /// Another write transaction is active: the engine allows one at a time and does not
        /// queue the second (`Cannot start a new write transaction in the system…`).
        /// ``Connection/run(_:parameters:on:)`` queues writers so they never see this.
        public static let writeConflict = Kind(.writeConflict)
        /// A write was attempted on a database opened read-only.
        public static let readOnly = Kind(.readOnly)
        /// A file could not be read or written (`IO exception:`).
        public static let io = Kind(.io)
        /// A file could not be written because its file system is full: an `IO exception:` that
        /// says so, or one raised while the database's folder has less than 1 MiB free (the
        /// engine reports a short write as `Error: Success`). The statement was not committed.
        public static let diskFull = Kind(.diskFull)
        /// The database's buffer pool cannot hold what the statement needs (`Buffer manager
        /// exception:`): the statement did nothing. Also thrown before a write when a checkpoint
        /// of the database's write-ahead log failed for lack of memory (see
        /// ``Connection/prepareForWrite()``).
        public static let outOfMemory = Kind(.outOfMemory)
        /// A transaction statement was used wrongly (e.g. `COMMIT` with no active transaction).
        public static let transaction = Kind(.transaction)
        /// The engine reported an internal error, or this wrapper found an impossible state.
        public static let `internal` = Kind(.internal)
        /// An engine error whose text has no known prefix.
        public static let unknown = Kind(.unknown)

        public var description: String { code.rawValue }
    }

    /// The category of the error.
    public let kind: Kind
    /// The engine's own error text, or this module's description of the problem.
    public let message: String

    /// Creates an error of the given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "EngineError.\(kind): \(message)" }
}

extension EngineError {
    /// Classifies an error message produced by the engine from its prefix.
    ///
    /// Interrupts and timeouts both arrive as `Interrupted.`; the engine cannot tell them apart,
    /// so this returns ``Kind/interrupted`` and ``Connection`` corrects it to ``Kind/timeout`` when
    /// it knows no interrupt was requested.
    static func classify(engineMessage message: String) -> EngineError {
        EngineError(kind(ofEngineMessage: message), message)
    }

    static func kind(ofEngineMessage message: String) -> Kind {
        let prefixes: [(String, Kind)] = [
            ("Parser exception:", .parse),
            ("Binder exception:", .bind),
            ("Catalog exception:", .catalog),
            ("Runtime exception:", .runtime),
            ("Conversion exception:", .conversion),
            ("Overflow exception:", .runtime),
            ("Copy exception:", .runtime),
            ("Storage exception:", .runtime),
            ("Buffer manager exception:", .outOfMemory),
            ("Extension exception:", .runtime),
            ("IO exception:", .io),
            ("Connection exception: Cannot execute write operations in a read-only database", .readOnly),
            ("Connection Exception: We do not support prepare multiple statements", .parse),
            ("Connection exception:", .connection),
            ("Connection Exception:", .connection),
            ("Interrupted.", .interrupted),
            ("Cannot start a new write transaction", .writeConflict),
            // Parameter binding failures carry no prefix in 0.22.0 (`Parameter x not found.`).
            ("Parameter ", .bind),
        ]
        for (prefix, kind) in prefixes where message.hasPrefix(prefix) {
            return kind
        }
        // TransactionManagerException and transaction-statement errors have no prefix.
        let transactionHints = [
            "No active transaction", "Cannot start a new read transaction",
            "Cannot start a new transaction", "Cannot commit", "Cannot rollback",
            "Transaction ", "Only one write transaction",
        ]
        if transactionHints.contains(where: { message.hasPrefix($0) }) {
            return .transaction
        }
        if message.hasPrefix("Cannot create an empty database under READ ONLY mode") {
            return .open
        }
        return .unknown
    }

    /// An ``Kind/io`` error about `path` as ``Kind/diskFull`` when its file system is full.
    static func checkingDiskFull(_ error: EngineError, path: String) -> EngineError {
        guard error.kind == .io else { return error }
        if error.message.contains("No space left on device") || availableBytes(near: path).map({ $0 < 1 << 20 }) == true {
            return EngineError(.diskFull, error.message)
        }
        return error
    }

    /// Bytes available to this process on the file system of `path`'s folder.
    static func availableBytes(near path: String) -> UInt64? {
        var info = statvfs()
        let folder = (path as NSString).deletingLastPathComponent
        guard statvfs(folder.isEmpty ? "." : folder, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    static func closed(_ what: String) -> EngineError {
        EngineError(.closed, "\(what) is closed.")
    }
}
