import CDuckDB
import Synchronization

/// One DuckDB database instance (a file, or in memory), opened with an explicit
/// ``StagingConfiguration``.
///
/// Settings changed through ``lockDown(to:)``, extensions loaded with ``loadExtension(at:)`` and
/// secrets from ``createSecret(_:)`` apply to the whole instance, i.e. to every connection.
/// Open a given file at most once per process: DuckDB does not coordinate two instances of the
/// same file.
public final class StagingDatabase: @unchecked Sendable {
    // Safe to share: the C handle is only used under `state`'s mutex (duckdb_connect is
    // thread-safe; the mutex orders it against close).
    private struct State: @unchecked Sendable {
        // Unchecked: a raw C handle, only ever touched under the mutex that holds this state.
        var handle: duckdb_database?
        var lockedDirectory: String?
    }

    /// The database file, or `nil` for an in-memory instance.
    public let path: String?
    /// The configuration the instance was opened with.
    public let configuration: StagingConfiguration
    private let state: Mutex<State>

    /// Opens (creating if needed) the database file at `path`, or an in-memory instance when
    /// `path` is `nil`, applying every option of `configuration` at open.
    public init(path: String?, configuration: StagingConfiguration) throws(StagingError) {
        guard configuration.threads >= 1 else {
            throw StagingError(kind: .invalidConfiguration, message: "threads must be at least 1")
        }
        if let path, path.isEmpty || StagingSQL.containsNUL(path) {
            throw StagingError(kind: .invalidInput, message: "Invalid database path")
        }
        var config: duckdb_config?
        guard duckdb_create_config(&config) == DuckDBSuccess, let config else {
            throw StagingError(kind: .internal, message: "duckdb_create_config failed")
        }
        defer {
            var owned: duckdb_config? = config
            duckdb_destroy_config(&owned)
        }
        for option in configuration.options where duckdb_set_config(config, option.name, option.value) == DuckDBError {
            throw StagingError(
                kind: .invalidConfiguration,
                message: "DuckDB rejected the value '\(option.value)' for the option \(option.name)")
        }
        var handle: duckdb_database?
        var error: UnsafeMutablePointer<CChar>?
        let opened: duckdb_state
        if let path {
            opened = duckdb_open_ext(path, &handle, config, &error)
        } else {
            opened = duckdb_open_ext(nil, &handle, config, &error)
        }
        guard opened == DuckDBSuccess, let handle else {
            let message = error.map { takeDuckDBString($0) } ?? "Could not open the database"
            throw StagingError(duckdbMessage: message)
        }
        self.path = path
        self.configuration = configuration
        self.state = Mutex(State(handle: handle))
    }

    /// Opens an in-memory instance.
    public static func inMemory(configuration: StagingConfiguration) throws(StagingError) -> StagingDatabase {
        try StagingDatabase(path: nil, configuration: configuration)
    }

    deinit { close() }

    /// Opens a new connection. Connections keep the instance alive until they are closed.
    public func connect() throws(StagingError) -> StagingConnection {
        try state.withLock { (state) throws(StagingError) -> StagingConnection in
            guard let handle = state.handle else { throw StagingError.closed("database") }
            var connection: duckdb_connection?
            guard duckdb_connect(handle, &connection) == DuckDBSuccess, let connection else {
                throw StagingError(kind: .io, message: "Could not connect to the DuckDB database")
            }
            return StagingConnection(database: self, handle: connection)
        }
    }

    /// Closes the instance handle. Connections that are still open keep the instance (and its
    /// file) alive until they are closed too, so close them first to release the file.
    public func close() {
        state.withLock { state in
            guard state.handle != nil else { return }
            duckdb_close(&state.handle)
            state.handle = nil
        }
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { state.withLock { $0.handle == nil } }

    /// The directory passed to ``lockDown(to:)``, once the instance is locked down.
    public var lockedDirectory: String? { state.withLock { $0.lockedDirectory } }

    func recordLockDown(_ directory: String) {
        state.withLock { $0.lockedDirectory = directory }
    }

    /// Runs `body` with a connection that is closed afterwards.
    @discardableResult
    func withTemporaryConnection<T>(
        _ body: (StagingConnection) throws(StagingError) -> T
    ) throws(StagingError) -> T {
        let connection = try connect()
        defer { connection.close() }
        return try body(connection)
    }
}
