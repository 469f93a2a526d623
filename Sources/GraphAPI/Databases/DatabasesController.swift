import Foundation
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging

/// The `Databases` area of the API: creating, listing, inspecting and deleting graphs, reading
/// and changing their schema, and their metrics.
///
/// - `POST /databases`, `GET /databases` (top level; listing never opens a database);
/// - `GET|DELETE /databases/{graph_id}`, `GET|POST /databases/{graph_id}/schema`,
///   `GET /databases/{graph_id}/metrics` (on the per-graph group, whose context has already
///   validated the id and the key's scope).
///
/// Every engine call runs on the registry's executor. Creates, deletes and schema changes write
/// an audit log line (`audit` = `create_database`, `delete_database`, `schema_change`).
struct DatabasesController: Sendable {
    let server: ServerContext
    var registry: GraphRegistry { server.registry }
    var executor: EngineExecutor { server.registry.executor }
    var activity: GraphActivity { server.activity }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        router.post("/databases") { request, context in try await self.create(request, context: context) }
        router.get("/databases") { _, context in try await self.list(context: context) }
        let graph = router.graphGroup()
        graph.get { _, context in try await self.info(context: context) }
        graph.delete { _, context in try await self.delete(context: context) }
        graph.get("/schema") { _, context in try await self.schema(context: context) }
        graph.post("/schema") { request, context in try await self.changeSchema(request, context: context) }
        graph.get("/metrics") { _, context in try await self.metrics(context: context) }
    }

    // MARK: POST /databases

    func create(_ request: Request, context: GraphAPIRequestContext) async throws -> EditedResponse<CreateDatabaseResponse> {
        let start = ContinuousClock.now
        guard let scope = context.scope else {
            throw APIError(.unauthorized, code: "unauthorized", detail: "missing or invalid API key")
        }
        if scope.readOnly {
            throw APIError(.forbidden, code: "read_only_key", detail: "this API key is read-only")
        }
        if registry.settings.readOnlyNode {
            throw APIError(.forbidden, code: "read_only_node", detail: "this node is read-only: databases cannot be created here")
        }
        let body = try await DatabaseRequestDecoder.decode(
            CreateDatabaseRequest.self, keys: CreateDatabaseRequest.CodingKeys.self, from: request, context: context
        )
        let id = try GraphID(validating: body.graphID)
        guard scope.allows(id.rawValue) else {
            throw APIError(.forbidden, code: "graph_not_in_scope", detail: "this API key may not create database '\(id)'")
        }
        let repositoryName = body.repositoryName.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        let ddl: [String]
        switch body.schemaType {
        case .entity, .shared:
            if body.schemaType == .shared && repositoryName == nil {
                throw APIError.badRequest("schema_type 'shared' requires repository_name", code: "repository_name_required")
            }
            if body.customSchemaDDL != nil {
                throw APIError.badRequest(
                    "custom_schema_ddl is only accepted with schema_type 'custom'", code: "unexpected_custom_schema_ddl"
                )
            }
            ddl = GraphSchemaDDL.statements(for: body.schemaType, repositoryName: repositoryName) ?? []
        case .custom:
            guard let text = body.customSchemaDDL, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.badRequest("schema_type 'custom' requires custom_schema_ddl", code: "custom_schema_ddl_required")
            }
            ddl = try await checkedSchemaStatements(text, graph: id).map(\.text)
        }
        let metadata = GraphMetadata(
            graphID: id.rawValue, schemaType: body.schemaType, repositoryName: repositoryName, readOnly: body.readOnly
        )
        try await registry.create(id, metadata: metadata, ddl: ddl)
        activity.forget(id)
        context.logger.notice(
            "audit: database created",
            metadata: [
                "audit": "create_database", "graph_id": "\(id)", "client": "\(context.clientAddress)",
                "schema_type": "\(body.schemaType.rawValue)", "statements": "\(ddl.count)",
            ]
        )
        return EditedResponse(
            status: .created,
            response: CreateDatabaseResponse(
                graphID: id.rawValue, schemaType: body.schemaType, executionTimeMilliseconds: Self.milliseconds(since: start)
            )
        )
    }

    // MARK: GET /databases

    func list(context: GraphAPIRequestContext) async throws -> DatabaseList {
        guard let scope = context.scope else {
            throw APIError(.unauthorized, code: "unauthorized", detail: "missing or invalid API key")
        }
        let registry = self.registry
        // Folder listing, metadata files and sizes only: no database is opened. File system calls
        // block, so they run on the executor's threads.
        let (allCount, entries) = try await executor.run { () -> (Int, [(GraphID, GraphMetadata, UInt64)]) in
            let all = registry.graphIDs()
            let entries = all.filter { scope.allows($0.rawValue) }.compactMap { id -> (GraphID, GraphMetadata, UInt64)? in
                // A graph deleted since the folder listing is skipped.
                guard let metadata = try? registry.metadata(of: id) else { return nil }
                return (id, metadata, registry.sizeBytes(of: id))
            }
            return (all.count, entries)
        }
        var summaries: [DatabaseSummary] = []
        for (id, metadata, size) in entries {
            summaries.append(Self.summary(id, metadata: metadata, sizeBytes: size, isOpen: await registry.isOpen(id)))
        }
        let maxDatabases = registry.settings.maxDatabases
        return DatabaseList(
            databases: summaries,
            totalDatabases: summaries.count,
            totalSizeBytes: summaries.reduce(0) { $0 + $1.sizeBytes },
            // Counts every tenant's graphs: only for a key that may see them all.
            nodeCapacity: scope.isOperator
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

    // MARK: GET /databases/{graph_id}

    func info(context: GraphRequestContext) async throws -> DatabaseInfo {
        let id = context.graphID
        _ = try registry.metadata(of: id)  // 404 before anything opens
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
            // The database exists but cannot be opened or read: report it, do not fail the request.
            failure = error.message
            context.logger.warning("database is not healthy", metadata: ["graph_id": "\(id)", "error": "\(error)"])
        } catch let error as EngineError {
            throw Self.apiError(for: error, graph: id)
        }
        let metadata = try registry.metadata(of: id)
        let size = try await executor.run { [registry] in registry.sizeBytes(of: id) }
        return DatabaseInfo(
            summary: Self.summary(id, metadata: metadata, sizeBytes: size, isOpen: await registry.isOpen(id)),
            isHealthy: totals != nil, nodeCount: totals?.nodes, relationshipCount: totals?.relationships, error: failure
        )
    }

    struct GraphTotals: Sendable {
        var nodes: Int64
        var relationships: Int64
    }

    // MARK: DELETE /databases/{graph_id}

    func delete(context: GraphRequestContext) async throws -> DeleteDatabaseResponse {
        try context.requireWriteScope()
        let id = context.graphID
        // Closes the staging database, then interrupts running queries, closes the graph's
        // database and removes every file.
        _ = try registry.metadata(of: id)
        await server.staging.close(id)
        try await registry.delete(id)
        server.metrics.forgetGraph(id)
        activity.forget(id)
        context.logger.notice(
            "audit: database deleted",
            metadata: ["audit": "delete_database", "graph_id": "\(id)", "client": "\(context.clientAddress)"]
        )
        return DeleteDatabaseResponse(message: "database '\(id)' deleted")
    }

    // MARK: GET /databases/{graph_id}/schema

    func schema(context: GraphRequestContext) async throws -> SchemaResponse {
        let id = context.graphID
        let executor = self.executor
        let catalog = try await withEngineErrors(graph: id) {
            try await registry.withConnection(to: id) { _, connection in
                try await executor.run(on: connection) { try GraphCatalog.read($0) }
            }
        }
        return SchemaResponse(database: id.rawValue, catalog: catalog)
    }

    // MARK: POST /databases/{graph_id}/schema

    func changeSchema(_ request: Request, context: GraphRequestContext) async throws -> SchemaChangeResponse {
        let start = ContinuousClock.now
        try context.requireWriteScope()
        let id = context.graphID
        let metadata = try registry.metadata(of: id)
        if registry.settings.readOnlyNode {
            throw APIError(.forbidden, code: "read_only_node", detail: "this node is read-only: schemas cannot be changed here")
        }
        if metadata.readOnly {
            throw APIError(.forbidden, code: "read_only_database", detail: "database '\(id)' is read-only")
        }
        let body = try await DatabaseRequestDecoder.decode(
            SchemaChangeRequest.self, keys: SchemaChangeRequest.CodingKeys.self, from: request, context: context
        )
        let statements = try await checkedSchemaStatements(body.ddl, graph: id)
        try await withEngineErrors(graph: id) {
            try await registry.withConnection(to: id) { handle, connection in
                if handle.isReadOnly {
                    throw APIError(.forbidden, code: "read_only_database", detail: "database '\(id)' is read-only")
                }
                // Queue behind the other writers of this database, as every write does.
                try await handle.database.writeGate.withPermit {
                    try await applyAtomically(statements, on: connection, graph: id, logger: context.logger)
                }
            }
        }
        context.logger.notice(
            "audit: schema changed",
            metadata: [
                "audit": "schema_change", "graph_id": "\(id)", "client": "\(context.clientAddress)",
                "statements": "\(statements.count)",
                "kinds": "\(Array(Set(statements.map(\.kind.rawValue))).sorted().joined(separator: ", "))",
            ]
        )
        return SchemaChangeResponse(
            graphID: id.rawValue, statementsExecuted: statements.count, executionTimeMilliseconds: Self.milliseconds(since: start)
        )
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

    // MARK: GET /databases/{graph_id}/metrics

    func metrics(context: GraphRequestContext) async throws -> DatabaseMetrics {
        let id = context.graphID
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

    /// Runs `body`, turning engine failures into the contract's errors.
    private func withEngineErrors<T>(graph: GraphID, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EngineError {
            throw Self.apiError(for: error, graph: graph)
        } catch let failure as SchemaStatementFailure {
            throw Self.schemaError(failure, graph: graph)
        }
    }

    /// The contract's error for a schema statement the engine refused (at its parse, or when it
    /// ran): `400 schema_error` naming the statement, or what the engine's failure maps to.
    static func schemaError(_ failure: SchemaStatementFailure, graph: GraphID) -> APIError {
        var error = apiError(for: failure.error, graph: graph)
        if error.status == .badRequest {
            error.code = "schema_error"
            error.detail =
                "schema statement \(failure.index + 1) failed: \(failure.error.message); nothing was applied — statement: "
                + "\(failure.statement.prefix(500))"
        }
        return error
    }

    /// The contract's error for an engine failure on `graph`.
    static func apiError(for error: EngineError, graph: GraphID) -> APIError {
        switch error.kind {
        case .parse, .bind, .catalog, .runtime, .conversion, .transaction:
            return .badRequest(error.message, code: "engine_error")
        case .readOnly:
            return APIError(.forbidden, code: "read_only_database", detail: error.message)
        case .writeConflict:
            return .unavailable("another write is running on '\(graph)': \(error.message)", code: "write_conflict", retryAfterSeconds: 1)
        case .closed:
            return GraphRegistry.notFound(graph)
        case .interrupted:
            return .unavailable("the operation on '\(graph)' was interrupted", code: "interrupted", retryAfterSeconds: 1)
        default:
            return APIError(.internalServerError, code: "engine_error", detail: "engine failure on '\(graph)': \(error.message)")
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let components = (ContinuousClock.now - start).components
        let milliseconds = Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
        return (milliseconds * 1000).rounded() / 1000
    }
}
