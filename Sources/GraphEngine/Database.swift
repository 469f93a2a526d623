import CLadybug
import Foundation
import Synchronization

/// A LadybugDB database file opened in this process.
///
/// Open one `Database` per file per process: the engine's file lock only excludes other
/// processes, so this type also refuses a second read-write open of the same file in this process
/// (``EngineError/Kind/open``). Read-only databases may be opened several times.
///
/// Queries run on ``Connection``s made by ``connect()``. Writers: the engine allows one write
/// transaction at a time and fails a second one at once; ``Connection/run(_:parameters:on:)``
/// queues writers on the database's ``writeGate`` instead.
///
/// Opening, connecting and closing block the calling thread (file I/O, WAL replay): from async
/// code, call them on an ``EngineExecutor``.
public final class Database: @unchecked Sendable {
    // @unchecked Sendable: the C handle is only used under `state`'s lock (connect, close) and by
    // connections, which keep the database alive; the engine's database is thread-safe.

    /// The path the database was opened with.
    public let path: String
    /// The configuration the database was opened with.
    public let configuration: DatabaseConfiguration
    /// Queues write statements run through ``Connection/run(_:parameters:on:)``, first come first
    /// served; readers never take it.
    public let writeGate = WriteGate()
    /// The message of the last checkpoint ``Connection/checkpoint()`` ran that failed for lack of
    /// memory; `nil` once one succeeds.
    let checkpointFailure = Mutex<String?>(nil)
    /// Where committed writes are recorded (see ``WriteJournal``); `nil` when none is kept.
    public let journal: (any WriteJournal)?

    private let state: Mutex<State>
    /// The key in ``OpenFiles`` (absent for in-memory databases).
    private let registryKey: String?

    private struct State: @unchecked Sendable {  // the raw handle; guarded by the Mutex
        var handle: UnsafeMutablePointer<lbug_database>?
        var closed = false
        var connections: [ObjectIdentifier: WeakConnection] = [:]
    }

    private struct WeakConnection {
        weak var connection: Connection?
    }

    /// Opens (creating if needed, unless read-only) the database at `path`.
    ///
    /// `path` is the database file; its directory must exist. `":memory:"` opens an in-memory
    /// database.
    ///
    /// - Throws: ``EngineError`` of kind ``EngineError/Kind/open`` with the engine's message
    ///   (missing directory, path is a directory, file locked by another process, read-only open
    ///   of a missing database, …) or this module's (file already open in this process, invalid
    ///   configuration); of kind ``EngineError/Kind/diskFull`` when the folder's file system is
    ///   full.
    ///
    /// `journal` is told about every write run through ``Connection/run(_:parameters:on:)`` and
    /// every checkpoint (see ``WriteJournal``).
    public init(path: String, configuration: DatabaseConfiguration = DatabaseConfiguration(), journal: (any WriteJournal)? = nil) throws {
        try configuration.validate()
        let inMemory = path == ":memory:" || path.isEmpty
        guard !path.utf8.contains(0) else {
            throw EngineError(.open, "The database path contains a NUL character.")
        }
        if !inMemory {
            try Database.checkPath(path)
        }
        let key = inMemory ? nil : Database.canonicalPath(path)
        if let key {
            try OpenFiles.shared.register(key, readOnly: configuration.readOnly)
        }
        let handle = UnsafeMutablePointer<lbug_database>.allocate(capacity: 1)
        handle.initialize(to: lbug_database())
        let status = (inMemory ? ":memory:" : path).withCString {
            lbug_database_init($0, configuration.systemConfig, handle)
        }
        guard status == LbugSuccess, handle.pointee._database != nil else {
            let message = takeLastEngineError() ?? "The database could not be opened."
            handle.deallocate()
            if let key { OpenFiles.shared.unregister(key, readOnly: configuration.readOnly) }
            let error = EngineError.checkingDiskFull(EngineError(.io, message), path: path)
            throw error.kind == .diskFull ? error : EngineError(.open, message)
        }
        self.path = path
        self.configuration = configuration
        self.journal = journal
        self.registryKey = key
        self.state = Mutex(State(handle: handle))
    }

    deinit {
        // Connections keep the database alive, so none is left.
        let handle = state.withLock { state in
            defer { state.handle = nil }
            return state.closed ? nil : state.handle
        }
        if let handle {
            lbug_database_destroy(handle)
            handle.deallocate()
            if let registryKey { OpenFiles.shared.unregister(registryKey, readOnly: configuration.readOnly) }
        }
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool {
        state.withLock { $0.closed }
    }

    /// Opens a new connection.
    ///
    /// - Throws: ``EngineError/Kind/closed`` after ``close()``, ``EngineError/Kind/connection`` if
    ///   the engine refuses.
    public func connect() throws -> Connection {
        try state.withLock { state in
            guard !state.closed, let handle = state.handle else { throw EngineError.closed("The database") }
            let connectionHandle = UnsafeMutablePointer<lbug_connection>.allocate(capacity: 1)
            connectionHandle.initialize(to: lbug_connection())
            guard lbug_connection_init(handle, connectionHandle) == LbugSuccess,
                connectionHandle.pointee._connection != nil
            else {
                connectionHandle.deallocate()
                throw EngineError(.connection, takeLastEngineError() ?? "The engine refused a new connection.")
            }
            let connection = Connection(database: self, handle: connectionHandle)
            state.connections[ObjectIdentifier(connection)] = WeakConnection(connection: connection)
            return connection
        }
    }

    /// Closes the database: stops the queries running on its connections, waits for their calls
    /// to return, closes every connection (invalidating their results and prepared statements),
    /// then frees the engine's database, releasing its file, memory and threads.
    ///
    /// Idempotent. Afterwards ``connect()`` and every call on its connections, statements and
    /// results throw ``EngineError/Kind/closed``. Blocks until running calls return.
    public func close() {
        let (handle, connections) = state.withLock { state in
            if state.closed { return (UnsafeMutablePointer<lbug_database>?.none, [Connection]()) }
            state.closed = true
            defer {
                state.handle = nil
                state.connections = [:]
            }
            return (state.handle, state.connections.values.compactMap(\.connection))
        }
        guard let handle else { return }
        for connection in connections {
            connection.shutDown()
        }
        lbug_database_destroy(handle)
        handle.deallocate()
        if let registryKey { OpenFiles.shared.unregister(registryKey, readOnly: configuration.readOnly) }
    }

    /// The number of open connections (for diagnostics).
    public var connectionCount: Int {
        state.withLock { state in state.connections.values.filter { $0.connection?.isClosed == false }.count }
    }

    func forget(_ connection: Connection) {
        let id = ObjectIdentifier(connection)
        _ = state.withLock { $0.connections.removeValue(forKey: id) }
    }

    /// Rejects paths the engine cannot handle without throwing a C++ exception the C API does not
    /// catch (`std::filesystem` errors escape `lbug_database_init` and would end the process).
    private static func checkPath(_ path: String) throws {
        var info = stat()
        if stat(path, &info) != 0 {
            let error = errno
            if error != ENOENT {
                throw EngineError(.open, "Cannot open database \(path): \(String(cString: strerror(error))).")
            }
            let parent = (path as NSString).deletingLastPathComponent
            let directory = parent.isEmpty ? "." : parent
            var parentInfo = stat()
            if stat(directory, &parentInfo) != 0 {
                let parentError = errno
                throw EngineError(
                    .open,
                    "Cannot open database \(path): its directory \(directory) is not usable (\(String(cString: strerror(parentError))))."
                )
            }
            if (parentInfo.st_mode & S_IFMT) != S_IFDIR {
                throw EngineError(.open, "Cannot open database \(path): \(directory) is not a directory.")
            }
        } else if (info.st_mode & S_IFMT) == S_IFDIR {
            throw EngineError(.open, "Database path cannot be a directory: \(path)")
        }
    }

    /// The absolute path with symbolic links of its directory resolved, to recognise the same
    /// file opened under two spellings.
    private static func canonicalPath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let resolved = realpath(directory, &buffer).map { String(cString: $0) } ?? directory
        return resolved + "/" + url.lastPathComponent
    }
}

/// The database files open in this process, to refuse a second read-write open of one file (the
/// engine's POSIX file lock does not exclude the process holding it).
final class OpenFiles: Sendable {
    static let shared = OpenFiles()

    private struct Entry {
        var readWrite = 0
        var readOnly = 0
    }

    private let files = Mutex<[String: Entry]>([:])

    func register(_ path: String, readOnly: Bool) throws {
        try files.withLock { files in
            var entry = files[path] ?? Entry()
            if entry.readWrite > 0 || (!readOnly && entry.readOnly > 0) {
                throw EngineError(
                    .open,
                    "Could not set lock on file : \(path): the database is already open in this process (\(entry.readWrite > 0 ? "read-write" : "read-only")); open it once and share the Database."
                )
            }
            if readOnly { entry.readOnly += 1 } else { entry.readWrite += 1 }
            files[path] = entry
        }
    }

    func unregister(_ path: String, readOnly: Bool) {
        files.withLock { files in
            guard var entry = files[path] else { return }
            if readOnly { entry.readOnly -= 1 } else { entry.readWrite -= 1 }
            files[path] = (entry.readOnly == 0 && entry.readWrite == 0) ? nil : entry
        }
    }
}
