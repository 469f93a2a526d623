import Foundation
import GraphEngine
import Logging
import Staging
import Synchronization

/// Every graph's staging area: a DuckDB file (`staging.duckdb`) in the graph's folder, opened on
/// first use and kept open, plus the short-lived loader instances that read sources.
///
/// Two kinds of DuckDB instance keep user SQL away from files and the network:
/// - the **store** (one per graph) holds the staged tables. It is locked down at open to the
///   graph's own `staging-io/` folder (``StagingDatabase/lockDown(to:)-([String])``): no other
///   file, no network, no `INSTALL`/`LOAD`, no setting can be changed. `/tables/query` runs here,
///   inside a read-only transaction.
/// - a **loader** (one per load, in memory) reads the sources — local files below the import
///   directory, or `s3://` through the pinned httpfs extension with a temporary secret — and
///   writes one Parquet file into `staging-io/`, which the store then reads. A loader runs only SQL
///   the server writes; for local sources it is locked down to the import directory and
///   `staging-io/`.
///
/// Changes to one graph's staging area and its ingests queue on the graph's operation gate (one
/// at a time, first come first served); reads never wait for it.
public final class StagingService: Sendable {
    let registry: GraphRegistry
    private let lazyExecutor = Mutex<StagingExecutor?>(nil)
    let logger: Logger
    let importDirectory: String
    package let configuration: ServerConfiguration
    /// Where background copies run.
    let tasks: TaskManager
    /// Rows ingested and copied are counted here.
    let metrics: ServerMetrics
    private let stores: StoreCache
    private let gates = Mutex<[GraphID: WriteGate]>([:])
    /// Bytes per second of the engine's recent COPYs on this node (a moving average), for the
    /// progress of the next one; the engine reports none while it copies.
    let copyRate = CopyRate()
    private let httpfs = Mutex<String?>(nil)

    static let storeFileName = "staging.duckdb"
    static let ioFolderName = "staging-io"

    /// Creates the service; the import directory is created if missing, and what a stopped
    /// process left in the graphs' `staging-io/` folders is removed.
    public init(configuration: ServerConfiguration, registry: GraphRegistry, tasks: TaskManager, metrics: ServerMetrics, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.tasks = tasks
        self.metrics = metrics
        self.logger = logger
        try? FileManager.default.createDirectory(atPath: configuration.importDirectory, withIntermediateDirectories: true)
        self.importDirectory = StagingSources.canonical(configuration.importDirectory)
        self.stores = StoreCache()
        Self.removeLeftovers(below: registry.dataDirectory.databasesPath, logger: logger)
    }

    /// Empties every graph's `staging-io/` folder. It only ever holds files of a load, ingest or
    /// copy in progress (Parquet written for the engine, S3 downloads), and none is in progress
    /// before the service exists: whatever is there was left by a process that died (`kill -9`
    /// during an ingest left 16–32 MB per file).
    static func removeLeftovers(below databasesPath: String, logger: Logger) {
        let fileManager = FileManager.default
        var removed = 0
        var bytes: Int64 = 0
        for graph in (try? fileManager.contentsOfDirectory(atPath: databasesPath)) ?? [] where !graph.hasPrefix(".") {
            let io = databasesPath + "/" + graph + "/" + ioFolderName
            for name in (try? fileManager.contentsOfDirectory(atPath: io)) ?? [] {
                let path = io + "/" + name
                let size = (try? fileManager.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
                if (try? fileManager.removeItem(atPath: path)) != nil {
                    removed += 1
                    bytes += size
                }
            }
        }
        if removed > 0 {
            logger.notice(
                "staging: removed files a stopped process left in staging-io", metadata: ["files": "\(removed)", "bytes": "\(bytes)"]
            )
        }
    }

    /// The thread pool of every blocking DuckDB call, started on first use (a server that never
    /// stages starts no threads for it).
    package var executor: StagingExecutor {
        lazyExecutor.withLock { executor in
            if let executor { return executor }
            let created = StagingExecutor(threadCount: configuration.stagingExecutorThreads)
            executor = created
            return created
        }
    }

    /// The DuckDB settings of stores and loaders.
    func duckDBConfiguration(readOnly: Bool = false, tempDirectory: String? = nil) -> StagingConfiguration {
        StagingConfiguration(
            memoryLimit: .bytes(Int(configuration.stagingMemoryBytes)), threads: configuration.stagingThreads,
            tempDirectory: tempDirectory, readOnly: readOnly, preserveInsertionOrder: false
        )
    }

    /// The queue of staging changes and ingests of one graph.
    func gate(_ id: GraphID) -> WriteGate {
        gates.withLock { gates in
            if let gate = gates[id] { return gate }
            let gate = WriteGate()
            gates[id] = gate
            return gate
        }
    }

    /// The graph's `staging-io/` folder (created if missing, inside the graph's folder only: a
    /// deleted graph's folder is never made again).
    func ioDirectory(_ id: GraphID) throws -> String {
        let folder = registry.folder(of: id)
        let path = folder + "/" + Self.ioFolderName
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue { return path }
        guard FileManager.default.fileExists(atPath: folder + "/" + GraphMetadata.fileName) else { throw ServiceError.databaseNotFound(id) }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch CocoaError.fileWriteFileExists {
            // Made meanwhile by another request.
        }
        return path
    }

    /// The graph's store, opening it if needed.
    ///
    /// - Throws: `404` for an unknown graph.
    package func store(_ id: GraphID) async throws -> StagingStore {
        let incarnation = try registry.metadata(of: id).identity  // 404 before any file is touched
        let (store, stale) = try await stores.store(id, incarnation: incarnation) {
            try await self.open(id, incarnation: incarnation)
        }
        if let stale {
            // The store of a deleted graph of the same id, opened while it was being deleted.
            try? await executor.run { stale.close() }
        }
        return store
    }

    private func open(_ id: GraphID, incarnation: String) async throws -> StagingStore {
        let store: StagingStore
        do {
            store = try await openFiles(id, incarnation: incarnation)
        } catch {
            // The folder went away under the open: the graph was deleted.
            if (try? registry.metadata(of: id).identity) != incarnation { throw ServiceError.databaseNotFound(id) }
            if let error = error as? StagingError { throw ServiceError.staging(error) }
            throw error
        }
        // Deleted (or deleted and made again) while the files were opened: not this graph's store.
        guard (try? registry.metadata(of: id).identity) == incarnation else {
            try? await executor.run { store.close() }
            throw ServiceError.databaseNotFound(id)
        }
        return store
    }

    private func openFiles(_ id: GraphID, incarnation: String) async throws -> StagingStore {
        let folder = registry.folder(of: id)
        let io = try ioDirectory(id)
        let readOnly = registry.settings.readOnlyNode
        let configuration = duckDBConfiguration(readOnly: readOnly)
        let path = folder + "/" + Self.storeFileName
        return try await executor.run { () throws -> StagingStore in
            if readOnly, !FileManager.default.fileExists(atPath: path) {
                // Nothing was ever staged here, and a read-only node creates no files: an empty
                // in-memory store answers the listing and the queries.
                let database = try StagingDatabase.inMemory(configuration: StagingConfiguration(memoryLimit: .mebibytes(16), threads: 1))
                try StagingStore.prepareCatalog(database, readOnly: false)
                let writer = try database.connect()
                try database.lockDown(to: [io])
                return StagingStore(id: id, incarnation: incarnation, database: database, writer: writer, ioDirectory: io, isReadOnly: true)
            }
            // A store made now and failing half-way (a full disk) leaves no file behind: DuckDB
            // would refuse the broken one for good ("not a valid DuckDB database file").
            let existed = FileManager.default.fileExists(atPath: path)
            var opened: StagingDatabase?
            do {
                let database = try StagingDatabase(path: path, configuration: configuration)
                opened = database
                try StagingStore.prepareCatalog(database, readOnly: readOnly)
                // The writer reports the progress of ingests (a setting that the lock-down freezes).
                let writer = try database.connect()
                do {
                    try writer.enableProgressReporting()
                    try database.lockDown(to: [io])
                } catch {
                    writer.close()
                    throw error
                }
                return StagingStore(id: id, incarnation: incarnation, database: database, writer: writer, ioDirectory: io, isReadOnly: readOnly)
            } catch {
                opened?.close()
                if !existed {
                    try? FileManager.default.removeItem(atPath: path)
                    try? FileManager.default.removeItem(atPath: path + ".wal")
                }
                throw error
            }
        }
    }

    /// Closes the graph's store (before the graph is deleted or replaced).
    func close(_ id: GraphID) async {
        if let store = await stores.remove(id) {
            try? await executor.run { store.close() }
        }
    }

    /// Checkpoints the graph's staging file and copies it to `destination` (a backup's
    /// snapshot), under the graph's staging gate so that no staging change runs meanwhile.
    /// Returns `false` when the graph never staged anything (there is no file).
    func snapshot(_ id: GraphID, to destination: String) async throws -> Bool {
        try await gate(id).withPermit {
            let path = registry.folder(of: id) + "/" + Self.storeFileName
            guard FileManager.default.fileExists(atPath: path) else { return false }
            let store = try await self.store(id)
            _ = try await withStagingErrors { try await executor.run(on: store.writer) { try $0.execute("CHECKPOINT") } }
            try await executor.run { try FileManager.default.copyItem(atPath: path, toPath: destination) }
            return true
        }
    }

    /// Replaces the graph's staging file with `file` (a restore's), under the graph's staging
    /// gate: the open store is dropped and closed, the file renamed into place, and the next
    /// request opens it.
    func replaceStore(_ id: GraphID, with file: String) async throws {
        let live = registry.folder(of: id) + "/" + Self.storeFileName
        let incarnation = try registry.metadata(of: id).identity
        let executor = self.executor
        try await gate(id).withPermit {
            try await stores.replace(id, incarnation: incarnation) { old in
                if let old { try? await executor.run { old.close() } }
                try? FileManager.default.removeItem(atPath: live + ".wal")
                guard rename(file, live) == 0 else {
                    throw ServiceError(.diskFull, "cannot move the restored staging file into place: \(String(cString: strerror(errno)))")
                }
                return try await self.open(id, incarnation: incarnation)
            }
        }
    }

    /// Closes every store and stops the executor.
    public func shutdown() async {
        guard let executor = lazyExecutor.withLock({ $0 }) else { return }
        for store in await stores.removeAll() {
            try? await executor.run { store.close() }
        }
        try? await executor.shutdown()
    }

    /// The path of the pinned httpfs extension.
    func httpfsPath() throws -> String {
        if let path = httpfs.withLock({ $0 }) { return path }
        let path = try StagingExtensionLocator.processDefault().httpfsPath()
        httpfs.withLock { $0 = path }
        return path
    }

    /// Opens a loader for `sources`: in memory, spilling into `<io>/loader-tmp`, with httpfs and
    /// the S3 secret when a source is remote, locked down to the import directory and `io` otherwise.
    /// Runs on a staging executor thread.
    ///
    /// Its ``Loader/connection`` reports its statements' progress (made before the lock-down,
    /// after which that setting cannot change).
    func makeLoader(for sources: StagingSources, credentials: S3Credentials?, io: String) throws -> Loader {
        let database = try StagingDatabase.inMemory(configuration: duckDBConfiguration(tempDirectory: io + "/loader-tmp"))
        var connection: StagingConnection?
        do {
            let progressing = try database.connect()
            connection = progressing
            try progressing.enableProgressReporting()
            if sources.hasRemote {
                guard let credentials = credentials ?? configuration.s3Credentials else {
                    throw ServiceError(.missingS3Credentials, "no S3 credentials: pass s3_credentials or configure AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
                }
                try database.loadExtension(at: try httpfsPath())
                try database.createSecret(try credentials.secret())
            } else {
                try database.lockDown(to: [importDirectory, io])
            }
            return Loader(database: database, connection: progressing)
        } catch {
            connection?.close()
            database.close()
            throw error
        }
    }
}

/// A DuckDB instance that reads a request's sources, with the connection that reads them.
struct Loader: Sendable {
    let database: StagingDatabase
    /// Reports the progress of its statements (``StagingConnection/queryProgress()``).
    let connection: StagingConnection

    /// Closes the connection, then the instance.
    func close() {
        connection.close()
        database.close()
    }
}

/// The open stores, opening each at most once at a time.
private actor StoreCache {
    private var stores: [GraphID: StagingStore] = [:]
    private var opening: [GraphID: (task: Task<StagingStore, any Error>, incarnation: String)] = [:]

    /// The open store of graph `id` in its `incarnation`, opening it if needed; a cached store of
    /// another incarnation (a deleted graph of the same id) is dropped and returned as `stale`
    /// for the caller to close.
    func store(
        _ id: GraphID, incarnation: String, open: @escaping @Sendable () async throws -> StagingStore
    ) async throws -> (store: StagingStore, stale: StagingStore?) {
        var stale: StagingStore?
        if let store = stores[id] {
            if store.incarnation == incarnation { return (store, nil) }
            stale = stores.removeValue(forKey: id)
        }
        if let (task, taskIncarnation) = opening[id], taskIncarnation == incarnation { return (try await task.value, stale) }
        let task = Task { try await open() }
        opening[id] = (task, incarnation)
        defer { if opening[id]?.incarnation == incarnation { opening[id] = nil } }
        let store = try await task.value
        if let replaced = stores[id], replaced !== store { stale = stale ?? replaced }
        stores[id] = store
        return (store, stale)
    }

    func remove(_ id: GraphID) -> StagingStore? {
        stores.removeValue(forKey: id)
    }

    /// Replaces the store of `id`, once no open of it is under way: `work` closes the store that
    /// was open (if any), changes the files and opens them again; meanwhile a request for the
    /// store waits for that new one, as for any store being opened.
    func replace(
        _ id: GraphID, incarnation: String, work: @escaping @Sendable (StagingStore?) async throws -> StagingStore
    ) async throws {
        while let (task, _) = opening[id] { _ = try? await task.value }
        let old = stores.removeValue(forKey: id)
        let task = Task { try await work(old) }
        opening[id] = (task, incarnation)
        defer { if opening[id]?.incarnation == incarnation { opening[id] = nil } }
        stores[id] = try await task.value
    }

    func removeAll() -> [StagingStore] {
        defer { stores = [:] }
        return Array(stores.values)
    }
}

/// One graph's staging database.
package final class StagingStore: Sendable {
    let id: GraphID
    /// The ``GraphMetadata/identity`` of the graph it belongs to.
    let incarnation: String
    let database: StagingDatabase
    /// The only folder the store may read and write files in.
    let ioDirectory: String
    let isReadOnly: Bool
    /// The connection that changes tables (used under the graph's operation gate).
    let writer: StagingConnection

    /// Where the server records each staged table's source.
    static let catalogTable = "graph_api.staged_tables"

    init(id: GraphID, incarnation: String, database: StagingDatabase, writer: StagingConnection, ioDirectory: String, isReadOnly: Bool) {
        self.id = id
        self.incarnation = incarnation
        self.database = database
        self.ioDirectory = ioDirectory
        self.isReadOnly = isReadOnly
        self.writer = writer
    }

    /// Creates the server's own catalog schema (tables live in `main`; user table names cannot
    /// name another schema).
    static func prepareCatalog(_ database: StagingDatabase, readOnly: Bool) throws {
        guard !readOnly else { return }
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute(
            """
            CREATE SCHEMA IF NOT EXISTS graph_api;
            CREATE TABLE IF NOT EXISTS \(catalogTable) (
                table_name VARCHAR PRIMARY KEY, shape VARCHAR NOT NULL, format VARCHAR NOT NULL,
                source VARCHAR[] NOT NULL, rows_read BIGINT, created_at TIMESTAMP NOT NULL
            );
            """
        )
    }

    func close() {
        writer.close()
        database.close()
    }

    /// A new connection for one read.
    func readConnection() throws -> StagingConnection {
        try database.connect()
    }
}
