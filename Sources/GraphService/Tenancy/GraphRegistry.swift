import Foundation
import GraphEngine
import Logging
import ServiceLifecycle
import Synchronization

/// The tenants of this node: one folder per graph below `<data-dir>/databases/<graph_id>/`
/// holding the engine files (`graph.lbug` and its write-ahead log), the staging file and
/// `metadata.json`.
///
/// Databases open lazily on first use, each with the explicit engine settings of
/// ``TenancySettings`` and its own bounded ``ConnectionPool``. At most
/// ``TenancySettings/maxOpenDatabases`` stay open: opening one more closes the least recently used
/// idle one, and an idle sweep closes those unused for ``TenancySettings/idleTimeout``. Listing
/// reads only the folders and metadata files; it never opens a database. Engine calls run on the
/// registry's ``EngineExecutor``, never on the cooperative pool.
///
/// As a `Service` it runs the idle sweep, and on graceful shutdown interrupts running queries,
/// checkpoints and closes every database.
public actor GraphRegistry: Service {
    /// The data folder.
    public nonisolated let dataDirectory: DataDirectory
    /// Sizing and limits.
    public nonisolated let settings: TenancySettings
    /// Where every engine call runs.
    public nonisolated let executor: EngineExecutor
    package nonisolated let logger: Logger

    private enum Slot {
        case opening(Task<OpenGraph, any Error>)
        case open(OpenGraph)
        /// Being closed (least recently used, or idle): requests wait for the close to finish,
        /// then open the database again, never beside itself.
        case closing(Task<Void, Never>)
    }

    private var slots: [GraphID: Slot] = [:]
    /// Graphs being created (not visible yet) or deleted (no longer visible).
    private var creating: Set<GraphID> = []
    private var deleting: Set<GraphID> = []
    private var isShutDown = false
    private var isDraining = false
    /// Graphs whose engine files are being replaced; requests for them wait until it is done.
    private var swapping: Set<GraphID> = []
    /// The graphs' write journals (see ``journal(of:)``).
    private nonisolated let journals = Mutex<[GraphID: GraphJournal]>([:])

    static let databaseFileName = "graph.lbug"

    /// Creates the registry and removes what an interrupted create or delete left behind.
    public init(dataDirectory: DataDirectory, settings: TenancySettings, executor: EngineExecutor, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.settings = settings
        self.executor = executor
        self.logger = logger
        Self.finishInterruptedSwaps(in: dataDirectory.databasesPath, logger: logger)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory.databasesPath)) ?? []
        let leftovers = [".creating-", ".deleting-", ".restore-", ".rebuild-", ".replaced-", ".tmp-"]
        for name in entries where leftovers.contains(where: { name.hasPrefix($0) }) {
            try? FileManager.default.removeItem(atPath: dataDirectory.databasesPath + "/" + name)
        }
    }

    // MARK: Files (no database is opened)

    /// The folder of a graph.
    public nonisolated func folder(of id: GraphID) -> String { dataDirectory.databasesPath + "/" + id.rawValue }

    /// The engine database file of a graph.
    public nonisolated func databaseFile(of id: GraphID) -> String { folder(of: id) + "/" + Self.databaseFileName }

    /// The ids of every graph on this node, sorted; reads folder names only.
    public nonisolated func graphIDs() -> [GraphID] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory.databasesPath)) ?? []
        return entries.compactMap { name -> GraphID? in
            guard GraphID.isValid(name), FileManager.default.fileExists(atPath: dataDirectory.databasesPath + "/" + name + "/" + GraphMetadata.fileName)
            else { return nil }
            return try? GraphID(validating: name)
        }.sorted()
    }

    /// The metadata of a graph, or `database_not_found`.
    public nonisolated func metadata(of id: GraphID) throws(ServiceError) -> GraphMetadata {
        do {
            return try GraphMetadata.read(from: folder(of: id))
        } catch {
            throw ServiceError.databaseNotFound(id)
        }
    }

    /// Bytes of every file of a graph (engine files, WAL, staging, metadata).
    public nonisolated func sizeBytes(of id: GraphID) -> UInt64 {
        let folder = folder(of: id)
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return 0 }
        var total: UInt64 = 0
        while let name = enumerator.nextObject() as? String {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + name),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let size = attributes[.size] as? NSNumber
            {
                total += size.uint64Value
            }
        }
        return total
    }

    // MARK: Open databases

    /// When a request last used the graph: the open database's in-memory time (every lease moves
    /// it), else what its metadata recorded.
    public func lastAccessed(_ id: GraphID, recorded: Date?) -> Date? {
        guard case .open(let graph) = slots[id] else { return recorded }
        let used = graph.lastUsedDate
        return max(used, recorded ?? used)
    }

    /// Writes the in-memory last use of every open graph used since its metadata last said so
    /// (by the idle sweep, so `last_accessed` survives a crash to within one sweep).
    public func recordLastAccess() async {
        let open = slots.values.compactMap { slot -> OpenGraph? in
            if case .open(let graph) = slot { return graph }
            return nil
        }
        for graph in open {
            let folder = folder(of: graph.id)
            guard var metadata = try? GraphMetadata.read(from: folder) else { continue }
            let used = graph.lastUsedDate
            guard metadata.lastAccessed.map({ used.timeIntervalSince($0) >= 1 }) ?? true else { continue }
            metadata.lastAccessed = used
            let updated = metadata
            try? await executor.run { try updated.write(to: folder) }
        }
    }

    /// Whether the graph's database is open now.
    public func isOpen(_ id: GraphID) -> Bool {
        if case .open = slots[id] { return true }
        return false
    }

    /// How many databases are open (or opening, or closing) now.
    public var openCount: Int { slots.count }

    /// Connections leased across every open database.
    public var leasedConnections: Int {
        slots.values.reduce(0) { total, slot in
            if case .open(let graph) = slot { return total + graph.pool.leasedCount }
            return total
        }
    }

    /// Requests waiting for a connection across every open database.
    public var waitingRequests: Int {
        slots.values.reduce(0) { total, slot in
            if case .open(let graph) = slot { return total + graph.pool.waitingCount }
            return total
        }
    }

    /// The open graph, opening its database first if needed.
    func graph(_ id: GraphID) async throws -> OpenGraph {
        if isShutDown || isDraining {
            throw ServiceError(.shuttingDown, "the server is shutting down", retryAfterSeconds: 5)
        }
        if creating.contains(id) || deleting.contains(id) { throw ServiceError.databaseNotFound(id) }
        while swapping.contains(id) {
            try await Task.sleep(for: .milliseconds(20))
        }
        while true {
            switch slots[id] {
            case .open(let graph)?:
                graph.touch()
                return graph
            case .opening(let task)?:
                return try await task.value
            case .closing?:
                await finishClosing(id)  // then look again
                continue
            case nil:
                break
            }
            let metadata = try metadata(of: id)
            try await makeRoom()
            // `makeRoom` may have suspended: look again.
            if slots[id] != nil { continue }
            return try await open(id, metadata: metadata)
        }
    }

    /// Opens the database of `id` into its slot, which must be empty.
    private func open(_ id: GraphID, metadata: GraphMetadata) async throws -> OpenGraph {
        let task = Task { try await self.openDatabase(id, metadata: metadata) }
        slots[id] = .opening(task)
        do {
            let graph = try await task.value
            if case .opening? = slots[id] { slots[id] = .open(graph) }
            return graph
        } catch {
            if case .opening? = slots[id] { slots[id] = nil }
            throw error
        }
    }

    private nonisolated func openDatabase(_ id: GraphID, metadata: GraphMetadata) async throws -> OpenGraph {
        var configuration = settings.databaseConfiguration(for: id.rawValue)
        let readOnly = settings.readOnlyNode || metadata.readOnly
        // A read-only graph on a writer node still opens read-write, so that the server can
        // checkpoint it; the server refuses its writes. A read-only node opens it read-only.
        configuration.readOnly = settings.readOnlyNode
        let path = databaseFile(of: id)
        let openConfiguration = configuration
        let start = ContinuousClock.now
        let journal = try journal(of: id)
        let logger = self.logger
        let database = try await executor.run {
            journal?.reconcileBeforeOpen()
            let database = try Database(path: path, configuration: openConfiguration, journal: journal)
            if let journal {
                do {
                    let connection = try database.connect()
                    defer { connection.close() }
                    try journal.afterOpen(connection)
                } catch {
                    // Writes go on; the journal tries again at the next one.
                    logger.error("the journal could not start", metadata: ["graph_id": "\(id)", "error": "\(error)"])
                }
            }
            return database
        }
        logger.debug("opened database", metadata: ["graph_id": "\(id)", "ms": "\((ContinuousClock.now - start).milliseconds)"])
        let pool = ConnectionPool(database: database, capacity: settings.connectionsPerDatabase, maxWait: settings.connectionWait)
        return OpenGraph(id: id, metadata: metadata, database: database, pool: pool, isReadOnly: readOnly)
    }

    /// Closes least recently used idle databases until one more fits; waits for a database
    /// being closed rather than counting it out.
    private func makeRoom() async throws {
        while slots.count >= settings.maxOpenDatabases {
            let candidates = slots.compactMap { id, slot -> OpenGraph? in
                if case .open(let graph) = slot, graph.pool.isIdle { return graph }
                return nil
            }
            var closed = false
            for victim in candidates.sorted(by: { $0.lastUsedAt < $1.lastUsedAt }) where beginClosing(victim) {
                closed = true
                await finishClosing(victim.id)
                break
            }
            if closed { continue }
            let closing = slots.compactMap { id, slot -> GraphID? in
                if case .closing = slot { return id }
                return nil
            }
            guard let wait = closing.first else {
                throw ServiceError(.tooManyOpenDatabases, "all \(settings.maxOpenDatabases) open databases are busy", retryAfterSeconds: 1)
            }
            await finishClosing(wait)
        }
    }

    /// Moves an idle open graph to ``Slot/closing`` and starts closing it; `false` (nothing
    /// changed) when it is no longer idle or no longer in its slot.
    private func beginClosing(_ graph: OpenGraph) -> Bool {
        guard case .open(let current) = slots[graph.id], current === graph, graph.pool.closeIfIdle() else { return false }
        slots[graph.id] = .closing(Task { await self.close(graph) })
        return true
    }

    /// Waits for the close that ``beginClosing(_:)`` started, then frees the slot (whoever
    /// waits first frees it, so a waiter never finds the finished close again).
    private func finishClosing(_ id: GraphID) async {
        guard case .closing(let task) = slots[id] else { return }
        await task.value
        if case .closing(let current) = slots[id], current == task { slots[id] = nil }
    }

    /// Closes an open graph: fails waiters, interrupts its queries, checkpoints (unless
    /// read-only) and frees the engine database.
    private nonisolated func close(_ graph: OpenGraph, checkpoint: Bool = true) async {
        graph.pool.close()
        let readOnly = settings.readOnlyNode
        do {
            try await executor.run {
                if checkpoint, !readOnly {
                    let connection = try graph.database.connect()
                    defer { connection.close() }
                    try connection.checkpoint()
                }
                graph.database.close()
            }
        } catch {
            logger.warning("closing database failed", metadata: ["graph_id": "\(graph.id)", "error": "\(error)"])
            try? await executor.run { graph.database.close() }
        }
        var metadata = graph.metadata
        if let current = try? GraphMetadata.read(from: folder(of: graph.id)) { metadata = current }
        metadata.lastAccessed = Date(timeIntervalSinceNow: -(ContinuousClock.now - graph.lastUsedAt).seconds)
        try? metadata.write(to: folder(of: graph.id))
        logger.debug("closed database", metadata: ["graph_id": "\(graph.id)"])
    }

    /// Runs `body` with a pooled connection of the graph's database.
    ///
    /// Waits up to ``TenancySettings/connectionWait`` for a connection when the database is busy,
    /// then fails with `503` and `Retry-After`.
    public nonisolated func withConnection<T: Sendable>(
        to id: GraphID, _ body: (OpenGraphHandle, Connection) async throws -> T
    ) async throws -> T {
        let (graph, connection) = try await lease(to: id)
        defer { graph.pool.release(connection) }
        return try await body(OpenGraphHandle(graph: graph), connection)
    }

    /// Leases a pooled connection of the graph's database beyond a closure's scope (a streamed
    /// answer is written after its handler returned). The caller gives it back with
    /// `graph.pool.release(connection)` exactly once. Waits and fails as
    /// ``withConnection(to:_:)`` does.
    nonisolated func lease(to id: GraphID) async throws -> (OpenGraph, Connection) {
        for _ in 0..<5 {
            let graph = try await graph(id)
            do {
                let connection = try await graph.pool.lease(executor: executor)
                graph.touch()
                return (graph, connection)
            } catch ConnectionPoolError.closed {
                // Closed between lookup and lease (least recently used, idle, deleted, replaced):
                // look again; a deleted graph is then not found.
                continue
            } catch ConnectionPoolError.timedOut {
                throw ServiceError(.databaseBusy, "database '\(id)' is busy: all \(settings.connectionsPerDatabase) connections in use", retryAfterSeconds: 1)
            }
        }
        throw ServiceError(
            .tooManyOpenDatabases,
            "database '\(id)' was closed again and again while this request waited for it: more graphs are busy than may be open at once",
            retryAfterSeconds: 1
        )
    }

    // MARK: Create and delete

    /// Creates a graph: applies `ddl` statement by statement in a new database in a temporary
    /// folder, then moves the folder into place, so a failing statement leaves nothing behind.
    ///
    /// - Throws: `403` on a read-only node, `409` if it exists, `507` at node capacity, `400`
    ///   naming the failing statement.
    public func create(_ id: GraphID, metadata: GraphMetadata, ddl: [String]) async throws {
        if settings.readOnlyNode {
            throw ServiceError.readOnlyNode("databases cannot be created here")
        }
        if creating.contains(id) || deleting.contains(id) {
            throw ServiceError(.databaseExists, "database '\(id)' already exists")
        }
        if FileManager.default.fileExists(atPath: folder(of: id)) {
            // A graph's folder appears only once its metadata is written (see below): a folder
            // without it is what an interrupted delete or a stray write left, never a graph.
            guard !FileManager.default.fileExists(atPath: folder(of: id) + "/" + GraphMetadata.fileName) else {
                throw ServiceError(.databaseExists, "database '\(id)' already exists")
            }
            let debris = dataDirectory.databasesPath + "/.deleting-\(id)-\(UUID().uuidString)"
            try FileManager.default.moveItem(atPath: folder(of: id), toPath: debris)
            try? FileManager.default.removeItem(atPath: debris)
            logger.warning("removed a folder without metadata before creating its graph", metadata: ["graph_id": "\(id)"])
        }
        let count = graphIDs().count + creating.count
        if count >= settings.maxDatabases {
            // Not the count: it would tell a tenant how many graphs the others have.
            throw ServiceError(.nodeAtCapacity, "this node holds as many databases as it may (\(settings.maxDatabases))")
        }
        creating.insert(id)
        defer { creating.remove(id) }
        let temporary = dataDirectory.databasesPath + "/.creating-\(id)-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            var writable = settings.database
            writable.readOnly = false
            let configuration = writable
            let path = temporary + "/" + Self.databaseFileName
            try await executor.run {
                let database = try Database(path: path, configuration: configuration)
                defer { database.close() }
                let connection = try database.connect()
                defer { connection.close() }
                for (index, statement) in ddl.enumerated() {
                    do {
                        _ = try connection.query(statement)
                    } catch let error as EngineError {
                        throw ServiceError(.schemaError, "schema statement \(index + 1) failed: \(error.message) — statement: \(statement.prefix(500))")
                    }
                }
                _ = try connection.query("CHECKPOINT")
            }
            try metadata.write(to: temporary)
            try FileManager.default.moveItem(atPath: temporary, toPath: folder(of: id))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Adds a graph whose engine files are ready in `folder` (a folder below
    /// `<data-dir>/databases`, such as a restore's): writes its metadata there and moves the
    /// folder into place, so the graph appears whole or not at all.
    ///
    /// - Throws: `409` if the graph exists, `507` at node capacity, `403` on a read-only node.
    /// A replica (`asReplica`) adopts the graphs it follows on its read-only node.
    func adopt(_ id: GraphID, folder: String, metadata: GraphMetadata, asReplica: Bool = false) async throws {
        if settings.readOnlyNode, !asReplica { throw ServiceError.readOnlyNode("databases cannot be created here") }
        if creating.contains(id) || deleting.contains(id)
            || FileManager.default.fileExists(atPath: self.folder(of: id) + "/" + GraphMetadata.fileName)
        {
            throw ServiceError(.databaseExists, "database '\(id)' already exists")
        }
        if graphIDs().count + creating.count >= settings.maxDatabases {
            throw ServiceError(.nodeAtCapacity, "this node holds as many databases as it may (\(settings.maxDatabases))")
        }
        if FileManager.default.fileExists(atPath: self.folder(of: id)) {
            let debris = dataDirectory.databasesPath + "/.deleting-\(id)-\(UUID().uuidString)"
            try FileManager.default.moveItem(atPath: self.folder(of: id), toPath: debris)
            try? FileManager.default.removeItem(atPath: debris)
        }
        creating.insert(id)
        defer { creating.remove(id) }
        try metadata.write(to: folder)
        try FileManager.default.moveItem(atPath: folder, toPath: self.folder(of: id))
        syncDirectory(dataDirectory.databasesPath)
    }

    /// Deletes a graph: interrupts its queries, closes its database and removes every file
    /// (engine files, WAL, staging data, metadata).
    ///
    /// - Throws: `404` when it does not exist, `403` on a read-only node.
    public func delete(_ id: GraphID) async throws {
        if settings.readOnlyNode {
            throw ServiceError.readOnlyNode("databases cannot be deleted here")
        }
        guard !creating.contains(id), !deleting.contains(id), FileManager.default.fileExists(atPath: folder(of: id)) else {
            throw ServiceError.databaseNotFound(id)
        }
        deleting.insert(id)
        defer { deleting.remove(id) }
        switch slots.removeValue(forKey: id) {
        case .open(let graph)?:
            await close(graph, checkpoint: false)
        case .opening(let task)?:
            if let graph = try? await task.value { await close(graph, checkpoint: false) }
        case .closing(let task)?:
            await task.value
        case nil:
            break
        }
        let trash = dataDirectory.databasesPath + "/.deleting-\(id)-\(UUID().uuidString)"
        try FileManager.default.moveItem(atPath: folder(of: id), toPath: trash)
        journals.withLock { _ = $0.removeValue(forKey: id) }
        try? FileManager.default.removeItem(atPath: trash)
    }

    // MARK: Journals

    /// The write journal of graph `id` (opened once, kept while the process runs), or `nil`
    /// when graphs keep none (``TenancySettings/keepsJournal``).
    package nonisolated func journal(of id: GraphID) throws -> GraphJournal? {
        guard settings.keepsJournal else { return nil }
        return try journals.withLock { journals in
            if let journal = journals[id] { return journal }
            let journal = try GraphJournal(
                folder: folder(of: id) + "/" + GraphJournal.folderName, databasePath: databaseFile(of: id),
                retention: settings.journalRetention, logger: logger
            )
            // The database is not open in this process yet (every open asks for its journal
            // first): a commit the last process left in the log without an entry is journaled
            // now, before a recovery window or a restore reads the journal.
            journal.reconcileBeforeOpen()
            journals[id] = journal
            return journal
        }
    }

    /// Replaces the graph's engine files (`graph.lbug` and its companions) with those in
    /// `folder`, atomically for every request: new requests wait while the swap runs, the open
    /// database is closed once the queries running on it have returned their connections
    /// (interrupted after `drainTimeout`), the files are exchanged by renames, and the next
    /// request opens the new database. Queries see the old graph or the new one, never a mix.
    ///
    /// - Parameter keepReplaced: a folder to leave the replaced files in (whatever it held is
    ///   removed first); `nil` removes them. A replica keeps them to bring them forward for its
    ///   next swap instead of copying the graph again.
    func replaceDatabaseFiles(
        of id: GraphID, with folder: String, drainTimeout: Duration = .seconds(60), keepReplaced: String? = nil
    ) async throws {
        guard !creating.contains(id), !deleting.contains(id), !swapping.contains(id),
            FileManager.default.fileExists(atPath: self.folder(of: id))
        else {
            throw ServiceError.databaseNotFound(id)
        }
        swapping.insert(id)
        defer { swapping.remove(id) }
        var graph: OpenGraph?
        switch slots.removeValue(forKey: id) {
        case .open(let open)?: graph = open
        case .opening(let task)?: graph = try? await task.value
        case .closing(let task)?: await task.value
        case nil: break
        }
        if let graph {
            let deadline = ContinuousClock.now + drainTimeout
            while graph.pool.leasedCount > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            if graph.pool.leasedCount > 0 { graph.pool.interruptAll() }
            await close(graph)
        }
        let live = self.folder(of: id)
        let fileManager = FileManager.default
        let trash = dataDirectory.databasesPath + "/.replaced-\(id)-\(UUID().uuidString)"
        try fileManager.createDirectory(atPath: trash, withIntermediateDirectories: false)
        let old = try fileManager.contentsOfDirectory(atPath: live).filter(Self.isEngineFile)
        let new = try fileManager.contentsOfDirectory(atPath: folder).filter(Self.isEngineFile)
        // The intent is written first: a process killed during the renames finishes them at its
        // next start (``finishInterruptedSwaps(in:logger:)``), so the graph is never left with
        // half of each.
        // The journal takes a new base from the new files when the graph opens next.
        try journal(of: id)?.filesWillBeReplaced()
        let intent = SwapIntent(live: live, replacement: folder, trash: trash, old: old, new: new)
        let intentPath = dataDirectory.databasesPath + "/" + SwapIntent.prefix + id.rawValue + ".json"
        do {
            try intent.write(to: intentPath)
        } catch {
            try? fileManager.removeItem(atPath: trash)
            throw error
        }
        do {
            try intent.apply()
        } catch {
            // Put the old files back: the graph stays as it was.
            for name in new { try? fileManager.removeItem(atPath: live + "/" + name) }
            for name in old { try? fileManager.moveItem(atPath: trash + "/" + name, toPath: live + "/" + name) }
            try? fileManager.removeItem(atPath: intentPath)
            logger.error("replacing database files failed", metadata: ["graph_id": "\(id)", "error": "\(error)"])
            throw error
        }
        syncDirectory(live)
        try? fileManager.removeItem(atPath: intentPath)
        if let keepReplaced {
            try? fileManager.removeItem(atPath: keepReplaced)
            do {
                try fileManager.moveItem(atPath: trash, toPath: keepReplaced)
                return
            } catch {
                logger.warning("cannot keep the replaced database files", metadata: ["graph_id": "\(id)", "error": "\(error)"])
            }
        }
        try? fileManager.removeItem(atPath: trash)
    }

    static func isEngineFile(_ name: String) -> Bool { name == databaseFileName || name.hasPrefix(databaseFileName + ".") }

    /// Completes the file swaps a killed process left half done (see
    /// ``replaceDatabaseFiles(of:with:drainTimeout:keepReplaced:)``): the new files are complete before the
    /// intent is written, so the swap is always finished, never undone.
    static func finishInterruptedSwaps(in databases: String, logger: Logger) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: databases)) ?? []
        for name in names where name.hasPrefix(SwapIntent.prefix) && name.hasSuffix(".json") {
            let path = databases + "/" + name
            guard let intent = try? SwapIntent.read(from: path) else {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            do {
                try intent.apply()
                try? FileManager.default.removeItem(atPath: path)
                try? FileManager.default.removeItem(atPath: intent.trash)
                try? FileManager.default.removeItem(atPath: intent.replacement)
                logger.notice("finished replacing a graph's files after an interruption", metadata: ["folder": "\(intent.live)"])
            } catch {
                logger.error("cannot finish replacing a graph's files", metadata: ["folder": "\(intent.live)", "error": "\(error)"])
            }
        }
    }

    // MARK: Lifecycle

    /// Closes databases unused for longer than ``TenancySettings/idleTimeout``.
    public func closeIdleDatabases() async {
        let now = ContinuousClock.now
        let idle = slots.compactMap { _, slot -> OpenGraph? in
            if case .open(let graph) = slot, graph.pool.isIdle, now - graph.lastUsedAt >= settings.idleTimeout { return graph }
            return nil
        }
        for graph in idle where beginClosing(graph) {
            await finishClosing(graph.id)
        }
    }

    /// Refuses new work (`503`) from now on; running queries go on.
    public func beginDraining() {
        isDraining = true
    }

    /// Interrupts the query running on every leased connection of every open database.
    public func interruptAll() {
        for case .open(let graph) in slots.values { graph.pool.interruptAll() }
    }

    /// Interrupts every running query, checkpoints and closes every database. Later requests
    /// get `503`.
    public func shutdown() async {
        isShutDown = true
        let graphs = slots.values.compactMap { slot -> OpenGraph? in
            if case .open(let graph) = slot { return graph }
            return nil
        }
        let opening = slots.values.compactMap { slot -> Task<OpenGraph, any Error>? in
            if case .opening(let task) = slot { return task }
            return nil
        }
        let closing = slots.values.compactMap { slot -> Task<Void, Never>? in
            if case .closing(let task) = slot { return task }
            return nil
        }
        slots = [:]
        for task in closing { await task.value }
        for graph in graphs { await close(graph) }
        for task in opening {
            if let graph = try? await task.value { await close(graph) }
        }
        logger.info("closed every database", metadata: ["count": "\(graphs.count)"])
    }

    /// Runs the idle sweep (recording last uses, closing idle databases) until graceful shutdown,
    /// then ``shutdown()``.
    public nonisolated func run() async throws {
        let interval = min(settings.idleTimeout, .seconds(30))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                await self.recordLastAccess()
                await self.closeIdleDatabases()
            }
        }
        await shutdown()
    }
}

/// What a request handler sees of an open graph.
public struct OpenGraphHandle: Sendable {
    let graph: OpenGraph
    /// The graph id.
    public var id: GraphID { graph.id }
    /// The graph's metadata.
    public var metadata: GraphMetadata { graph.metadata }
    /// Whether writes are refused (read-only node or graph).
    public var isReadOnly: Bool { graph.isReadOnly }
    /// The engine database.
    public var database: Database { graph.database }
}

extension Duration {
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    package var milliseconds: Double { seconds * 1000 }
}

/// A swap of a graph's engine files, written before the first rename so that it can be
/// finished after a crash. Applying it is idempotent: the old files move to the trash unless the
/// new ones have started to arrive, then every new file still in the replacement folder moves in.
struct SwapIntent: Codable {
    static let prefix = ".swap-"
    var live: String
    var replacement: String
    var trash: String
    var old: [String]
    var new: [String]

    func apply() throws {
        let fileManager = FileManager.default
        try? fileManager.createDirectory(atPath: trash, withIntermediateDirectories: true)
        let arriving = new.contains { !fileManager.fileExists(atPath: replacement + "/" + $0) }
        if !arriving {
            for name in old where fileManager.fileExists(atPath: live + "/" + name) {
                try? fileManager.removeItem(atPath: trash + "/" + name)
                try fileManager.moveItem(atPath: live + "/" + name, toPath: trash + "/" + name)
            }
        }
        for name in new where fileManager.fileExists(atPath: replacement + "/" + name) {
            if fileManager.fileExists(atPath: live + "/" + name) { try fileManager.removeItem(atPath: live + "/" + name) }
            try fileManager.moveItem(atPath: replacement + "/" + name, toPath: live + "/" + name)
        }
    }

    func write(to path: String) throws {
        try DurableFile.write(try JSONEncoder().encode(self), to: path)
    }

    static func read(from path: String) throws -> SwapIntent {
        try JSONDecoder().decode(SwapIntent.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
