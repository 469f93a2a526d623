import Foundation
import GraphEngine
import Logging

/// The graphs of this node as the API sees them: creating, listing, inspecting and deleting
/// them, reading and changing their schema, and their metrics.
///
/// Every engine call runs on the registry's executor; listing never opens a database. Schema
/// changes queue on the database's write gate like every write.
public struct DatabaseService: Sendable {
    /// The tenants.
    public let registry: GraphRegistry
    /// The staging areas (closed before a graph is deleted).
    public let staging: StagingService
    /// Per-graph query counters.
    public let activity: GraphActivity
    /// The node's metrics (a deleted graph's series are dropped).
    public let metrics: ServerMetrics
    /// On a replica: where it stands on each graph it follows.
    public let replica: ReplicaFollower?

    var executor: EngineExecutor { registry.executor }

    /// Creates the service.
    public init(registry: GraphRegistry, staging: StagingService, activity: GraphActivity, metrics: ServerMetrics, replica: ReplicaFollower? = nil) {
        self.registry = registry
        self.staging = staging
        self.activity = activity
        self.metrics = metrics
        self.replica = replica
    }

    // MARK: Create

    /// Creates graph `id` as `request` describes: the schema's statements are checked by the
    /// engine's parser, then applied in a new database that appears only once all of them ran.
    /// Returns how long it took and how many schema statements ran.
    package func create(_ id: GraphID, request body: CreateDatabaseRequest) async throws -> (milliseconds: Double, statements: Int) {
        let start = ContinuousClock.now
        if registry.settings.readOnlyNode { throw ServiceError.readOnlyNode("databases cannot be created here") }
        let repositoryName = body.repositoryName.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        let ddl: [String]
        switch body.schemaType {
        case .entity, .shared:
            if body.schemaType == .shared && repositoryName == nil {
                throw ServiceError(.repositoryNameRequired, "schema_type 'shared' requires repository_name")
            }
            if body.customSchemaDDL != nil {
                throw ServiceError(.unexpectedCustomSchemaDDL, "custom_schema_ddl is only accepted with schema_type 'custom'")
            }
            ddl = GraphSchemaDDL.statements(for: body.schemaType, repositoryName: repositoryName) ?? []
        case .custom:
            guard let text = body.customSchemaDDL, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ServiceError(.customSchemaDDLRequired, "schema_type 'custom' requires custom_schema_ddl")
            }
            ddl = try await checkedSchemaStatements(text, graph: id).map(\.text)
        }
        let metadata = GraphMetadata(
            graphID: id.rawValue, schemaType: body.schemaType, repositoryName: repositoryName, readOnly: body.readOnly
        )
        try await registry.create(id, metadata: metadata, ddl: ddl)
        activity.forget(id)
        return (Self.milliseconds(since: start), ddl.count)
    }

    // MARK: List and inspect

    /// The graphs `visible` lets the caller see, from folders, metadata files and sizes only (no
    /// database is opened); the node's capacity only when `includeNodeCapacity` (it counts every
    /// tenant's graphs).
    package func list(visible: @escaping @Sendable (GraphID) -> Bool, includeNodeCapacity: Bool) async throws -> DatabaseList {
        let registry = self.registry
        // File system calls block, so they run on the executor's threads.
        let (allCount, entries) = try await executor.run { () -> (Int, [(GraphID, GraphMetadata, UInt64)]) in
            let all = registry.graphIDs()
            let entries = all.filter(visible).compactMap { id -> (GraphID, GraphMetadata, UInt64)? in
                // A graph deleted since the folder listing is skipped.
                guard let metadata = try? registry.metadata(of: id) else { return nil }
                return (id, metadata, registry.sizeBytes(of: id))
            }
            return (all.count, entries)
        }
        var summaries: [DatabaseSummary] = []
        for (id, metadata, size) in entries {
            var metadata = metadata
            metadata.lastAccessed = await registry.lastAccessed(id, recorded: metadata.lastAccessed)
            summaries.append(Self.summary(id, metadata: metadata, sizeBytes: size, isOpen: await registry.isOpen(id)))
        }
        let maxDatabases = registry.settings.maxDatabases
        return DatabaseList(
            databases: summaries,
            totalDatabases: summaries.count,
            totalSizeBytes: summaries.reduce(0) { $0 + $1.sizeBytes },
            nodeCapacity: includeNodeCapacity
                ? .init(
                    maxDatabases: maxDatabases, currentDatabases: allCount, capacityRemaining: max(0, maxDatabases - allCount),
                    utilizationPercent: maxDatabases > 0 ? (Double(allCount) / Double(maxDatabases) * 1000).rounded() / 10 : 100
                ) : nil
        )
    }

    static func summary(_ id: GraphID, metadata: GraphMetadata, sizeBytes: UInt64, isOpen: Bool) -> DatabaseSummary {
        DatabaseSummary(
            graphID: id.rawValue, schemaType: metadata.schemaType, repositoryName: metadata.repositoryName,
            readOnly: metadata.readOnly, createdAt: metadata.createdAt, lastAccessed: metadata.lastAccessed,
            sizeBytes: sizeBytes, isOpen: isOpen
        )
    }

    /// A graph's summary with its node and relationship totals; a database that exists but
    /// cannot be opened or read is reported unhealthy (with the engine's message), not an error.
    package func info(_ id: GraphID, logger: Logger) async throws -> DatabaseInfo {
        _ = try registry.metadata(of: id)  // not found before anything opens
        let executor = self.executor
        var totals: GraphTotals?
        var failure: String?
        do {
            totals = try await registry.withConnection(to: id) { _, connection in
                try await executor.run(on: connection) { connection in
                    let totals = try GraphCatalog.totals(connection)
                    return GraphTotals(nodes: totals.nodes, relationships: totals.relationships)
                }
            }
        } catch let error as EngineError where ![.interrupted, .closed].contains(error.kind) {
            failure = error.message
            logger.warning("database is not healthy", metadata: ["graph_id": "\(id)", "error": "\(error)"])
        } catch let error as EngineError {
            throw Self.serviceError(for: error, graph: id)
        }
        var metadata = try registry.metadata(of: id)
        metadata.lastAccessed = await registry.lastAccessed(id, recorded: metadata.lastAccessed)
        let size = try await executor.run { [registry] in registry.sizeBytes(of: id) }
        return DatabaseInfo(
            summary: Self.summary(id, metadata: metadata, sizeBytes: size, isOpen: await registry.isOpen(id)),
            isHealthy: totals != nil, nodeCount: totals?.nodes, relationshipCount: totals?.relationships, error: failure,
            replication: replica?.status[id]
        )
    }

    struct GraphTotals: Sendable {
        var nodes: Int64
        var relationships: Int64
    }

    // MARK: Delete

    /// Deletes a graph: closes its staging database, interrupts its queries, closes its database
    /// and removes every file; its metrics and counters are dropped.
    package func delete(_ id: GraphID) async throws {
        _ = try registry.metadata(of: id)
        await staging.close(id)
        try await registry.delete(id)
        metrics.forgetGraph(id)
        activity.forget(id)
    }

    // MARK: Schema

    /// The graph's tables and their properties.
    package func schema(_ id: GraphID) async throws -> SchemaResponse {
        let executor = self.executor
        let catalog = try await withEngineErrors(graph: id) {
            try await registry.withConnection(to: id) { _, connection in
                try await executor.run(on: connection) { try GraphCatalog.read($0) }
            }
        }
        return SchemaResponse(database: id.rawValue, catalog: catalog)
    }

    /// Applies the schema statements of `ddl` to graph `id`, all or none, behind the other
    /// writers of its database. Returns how long it took and the statements applied.
    package func changeSchema(_ id: GraphID, ddl: String, logger: Logger) async throws -> (milliseconds: Double, statements: [SchemaStatement]) {
        let start = ContinuousClock.now
        try requireSchemaChangeAllowed(id)
        let statements = try await checkedSchemaStatements(ddl, graph: id)
        try await withEngineErrors(graph: id) {
            try await registry.withConnection(to: id) { handle, connection in
                if handle.isReadOnly { throw ServiceError(.readOnlyDatabase, "database '\(id)' is read-only") }
                try await connection.durably {
                    try await handle.database.writeGate.withPermit {
                        try await executor.run(on: connection) { try $0.prepareForWrite() }
                        do {
                            try await applyAtomically(statements, on: connection, graph: id, logger: logger)
                        } catch {
                            _ = try? await executor.run(on: connection) { $0.finishWrite() }
                            throw error
                        }
                        return ((), try? await executor.run(on: connection) { $0.finishWrite() })
                    }
                }
            }
        }
        return (Self.milliseconds(since: start), statements)
    }

    /// Throws unless graph `id` exists and its schema may change: not on a read-only node, not a
    /// read-only graph.
    public func requireSchemaChangeAllowed(_ id: GraphID) throws(ServiceError) {
        let metadata = try registry.metadata(of: id)
        if registry.settings.readOnlyNode { throw ServiceError.readOnlyNode("schemas cannot be changed here") }
        if metadata.readOnly { throw ServiceError(.readOnlyDatabase, "database '\(id)' is read-only") }
    }

    /// Splits and classifies `ddl` (``SchemaStatement/parse(_:)``), then has the engine's parser
    /// confirm each statement (``StatementPolicy/admitSchema(_:statement:)``), on the engine's
    /// threads: nothing runs unless every statement is one schema statement that stays inside the
    /// graph.
    func checkedSchemaStatements(_ ddl: String, graph: GraphID) async throws -> [SchemaStatement] {
        let statements = try SchemaStatement.parse(ddl)
        try await executor.run {
            for (index, statement) in statements.enumerated() {
                let facts: StatementFacts
                do throws(EngineError) {
                    facts = try StatementFacts.inspect(statement.text)
                } catch {
                    throw Self.schemaError(SchemaStatementFailure(index: index, statement: statement.text, error: error), graph: graph)
                }
                try StatementPolicy.admitSchema(facts, statement: statement.text)
            }
        }
        return statements
    }

    /// A statement of a schema change that the engine refused.
    struct SchemaStatementFailure: Error {
        var index: Int
        var statement: String
        var error: EngineError
    }

    /// Runs `statements` in one explicit transaction: all of them are applied or none is.
    ///
    /// The engine rolls a transaction back by itself after some failures (binder and catalog
    /// errors) but not after others (a parse error leaves it open), so a `ROLLBACK` always follows
    /// a failure; it runs even when the request was cancelled (a cancelled request interrupts the
    /// engine and refuses further calls in the same lease). If the rollback itself fails, the
    /// connection is closed so that it never returns to the pool inside a transaction.
    private func applyAtomically(
        _ statements: [SchemaStatement], on connection: Connection, graph: GraphID, logger: Logger
    ) async throws {
        try await beginTransaction(on: connection)
        do {
            try await executor.run(on: connection) { connection in
                for (index, statement) in statements.enumerated() {
                    do {
                        try connection.query(statement.text).close()
                    } catch let error as EngineError {
                        throw SchemaStatementFailure(index: index, statement: statement.text, error: error)
                    }
                }
                try connection.query("COMMIT").close()
            }
        } catch {
            await rollback(connection, graph: graph, logger: logger)
            throw error
        }
    }

    /// `BEGIN TRANSACTION`, tried again for about 400 ms while a writer that bypassed the gate
    /// (or the short write transaction of a statement being prepared) holds the engine's single
    /// write transaction.
    private func beginTransaction(on connection: Connection) async throws {
        let pausesMilliseconds = [1, 2, 5, 10, 20, 50, 100, 200]
        for attempt in 0...pausesMilliseconds.count {
            do {
                try await executor.run(on: connection) { try $0.query("BEGIN TRANSACTION").close() }
                return
            } catch let error as EngineError where error.kind == .writeConflict && attempt < pausesMilliseconds.count {
                try await Task.sleep(for: .milliseconds(pausesMilliseconds[attempt]))
            }
        }
    }

    private func rollback(_ connection: Connection, graph: GraphID, logger: Logger) async {
        let executor = self.executor
        // An unstructured task: not cancelled with the request.
        await Task {
            do {
                try await executor.run { try connection.query("ROLLBACK").close() }
            } catch let error as EngineError where error.message.contains("No active transaction") {
                // The engine already rolled the transaction back.
            } catch {
                logger.warning(
                    "rollback of a schema change failed: closing its connection", metadata: ["graph_id": "\(graph)", "error": "\(error)"]
                )
                connection.close()
            }
        }.value
    }

    // MARK: Metrics

    /// The graph's size, node, relationship and per-table counts, queries run and last change.
    package func metrics(_ id: GraphID) async throws -> DatabaseMetrics {
        let executor = self.executor
        let counts = try await withEngineErrors(graph: id) {
            try await registry.withConnection(to: id) { _, connection in
                try await executor.run(on: connection) { connection in
                    let tables = try GraphCatalog.tables(connection)
                    let counts = try GraphCatalog.rowCounts(connection, tables: tables)
                    let nodeTables = Set(tables.filter(\.isNode).map(\.name))
                    return TableCounts(
                        tables: counts,
                        nodes: counts.filter { nodeTables.contains($0.key) }.values.reduce(0, +),
                        relationships: counts.filter { !nodeTables.contains($0.key) }.values.reduce(0, +)
                    )
                }
            }
        }
        let (size, lastModified) = try await executor.run { [registry] () -> (UInt64, Date?) in
            (registry.sizeBytes(of: id), Self.lastModified(folder: registry.folder(of: id)))
        }
        return DatabaseMetrics(
            graphID: id.rawValue, sizeBytes: size, nodeCount: counts.nodes, relationshipCount: counts.relationships,
            tables: counts.tables, queryCount: activity.queryCount(of: id), lastModified: lastModified
        )
    }

    struct TableCounts: Sendable {
        var tables: [String: Int64]
        var nodes: Int64
        var relationships: Int64
    }

    /// The latest modification time of the graph's data files (engine files, WAL, staging), not
    /// counting `metadata.json`, which also changes when the graph is merely used.
    static func lastModified(folder: String) -> Date? {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return nil }
        var latest: Date?
        while let name = enumerator.nextObject() as? String {
            guard name != GraphMetadata.fileName,
                let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + name),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let modified = attributes[.modificationDate] as? Date
            else { continue }
            if latest.map({ modified > $0 }) ?? true { latest = modified }
        }
        return latest
    }

    // MARK: Errors

    /// Runs `body`, turning engine failures into the service's errors.
    private func withEngineErrors<T>(graph: GraphID, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EngineError {
            throw Self.serviceError(for: error, graph: graph)
        } catch let failure as SchemaStatementFailure {
            throw Self.schemaError(failure, graph: graph)
        }
    }

    /// The error for a schema statement the engine refused (at its parse, or when it ran):
    /// `schema_error` naming the statement, or what the engine's failure maps to.
    static func schemaError(_ failure: SchemaStatementFailure, graph: GraphID) -> ServiceError {
        var error = serviceError(for: failure.error, graph: graph)
        if error.category == .invalidRequest {
            error.code = .schemaError
            error.message =
                "schema statement \(failure.index + 1) failed: \(failure.error.message); nothing was applied — statement: "
                + "\(failure.statement.prefix(500))"
        }
        return error
    }

    /// The error for an engine failure on `graph`.
    static func serviceError(for error: EngineError, graph: GraphID) -> ServiceError {
        switch error.kind {
        case .parse, .bind, .catalog, .runtime, .conversion, .transaction:
            return ServiceError(.queryFailed, error.message)
        case .readOnly:
            return ServiceError(.readOnlyDatabase, error.message)
        case .writeConflict:
            return ServiceError(.writeConflict, "another write is running on '\(graph)': \(error.message)", retryAfterSeconds: 1)
        case .closed:
            return .databaseNotFound(graph)
        case .interrupted:
            return ServiceError(.interrupted, "the operation on '\(graph)' was interrupted", retryAfterSeconds: 1)
        case .outOfMemory, .diskFull:
            return .engine(error)
        default:
            return ServiceError(.engineError, "engine failure on '\(graph)': \(error.message)")
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let components = (ContinuousClock.now - start).components
        let milliseconds = Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
        return (milliseconds * 1000).rounded() / 1000
    }
}
