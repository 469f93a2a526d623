import Logging
import Foundation
import GraphEngine
import Staging

extension GraphCatalog {
    /// DDL that recreates these tables (node tables first, each with its primary key; then
    /// relationship tables with every FROM/TO pair).
    var recreationDDL: [String] {
        func columns(_ properties: [Property]) -> [String] {
            properties.map { "\(SchemaQuoting.name($0.name)) \($0.type)" }
        }
        var statements: [String] = []
        for table in nodeTables {
            var parts = columns(table.properties)
            if let key = table.primaryKey { parts.append("PRIMARY KEY (\(SchemaQuoting.name(key)))") }
            statements.append("CREATE NODE TABLE \(SchemaQuoting.name(table.name))(\(parts.joined(separator: ", ")))")
        }
        for table in relTables {
            let pairs = table.connections.map { "FROM \(SchemaQuoting.name($0.from)) TO \(SchemaQuoting.name($0.to))" }
            statements.append("CREATE REL TABLE \(SchemaQuoting.name(table.name))(\((pairs + columns(table.properties)).joined(separator: ", ")))")
        }
        return statements
    }
}

extension StagingService {
    /// `rebuild: true`: builds a new graph beside the live one from the live schema and every
    /// staged table that names a graph table (node tables first), then swaps the engine files in
    /// atomically (``GraphRegistry/replaceDatabaseFiles(of:with:drainTimeout:)``). Queries keep
    /// answering from the old graph until the new one is complete. The rebuilt graph holds
    /// exactly the staged data: writes made to the graph outside staging are not carried over.
    func rebuild(graph id: GraphID, store: StagingStore, requested: TableName, ignoreErrors: Bool, start: ContinuousClock.Instant) async throws
        -> IngestResponse
    {
        let catalog = try await withGraphErrors(id) { try await IngestTarget.live(id, registry: registry).catalog() }
        let folder = registry.dataDirectory.databasesPath + "/.rebuild-\(id)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = registry.executor
        var configuration = registry.settings.database
        configuration.readOnly = false
        let path = folder + "/" + GraphRegistry.databaseFileName
        let openConfiguration = configuration
        let database = try await engine.run { try Database(path: path, configuration: openConfiguration) }
        let connection: Connection
        do {
            connection = try await engine.run { try database.connect() }
        } catch {
            try? await engine.run { database.close() }
            throw error
        }
        var outcomes: [GraphIngest.Outcome] = []
        var warnings: [String] = []
        do {
            try await withGraphErrors(id) {
                let ddl = catalog.recreationDDL
                try await engine.run(on: connection) { connection in
                    for statement in ddl { _ = try IngestTarget.firstInteger(of: statement, on: connection) }
                }
            }
            let target = IngestTarget(
                catalog: { try await engine.run(on: connection) { try GraphCatalog.read($0) } },
                read: { statement in try await engine.run(on: connection) { try IngestTarget.firstInteger(of: statement, on: $0) } },
                copy: { statement in try await engine.run(on: connection) { try IngestTarget.runCopy(statement, on: $0) } }
            )
            let staged = try await withStagingErrors {
                try await executor.run(on: store.writer) { connection in
                    try connection.query(
                        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() ORDER BY table_name"
                    ).rows().compactMap { $0.first?.stringValue }
                }
            }
            let nodeNames = Set(catalog.nodeTables.map { $0.name.lowercased() })
            let relNames = Set(catalog.relTables.map { $0.name.lowercased() })
            let ordered = staged.filter { nodeNames.contains($0.lowercased()) } + staged.filter { relNames.contains($0.lowercased()) }
            for name in staged where !nodeNames.contains(name.lowercased()) && !relNames.contains(name.lowercased()) {
                warnings.append("staged table '\(name)' names no graph table and was not used")
            }
            for name in ordered {
                let shape = try await withStagingErrors {
                    try await executor.run(on: store.writer) { try Self.stagedShape(of: name, on: $0) }
                }
                let ingest = GraphIngest(
                    source: "main." + StagingSQL.identifier(name), sourceName: name, graphTableName: name, fileIDs: nil, shape: shape,
                    ignoreErrors: ignoreErrors, io: store.ioDirectory, duckdb: store.writer, executor: executor, target: target
                )
                var outcome = try await withGraphErrors(id) { try await ingest.run() }
                outcome.warnings = outcome.warnings.map { "\(name): \($0)" }
                outcomes.append(outcome)
            }
            try await engine.run(on: connection) { _ = try IngestTarget.firstInteger(of: "CHECKPOINT", on: $0) }
            try await engine.run {
                connection.close()
                database.close()
            }
        } catch {
            try? await engine.run {
                connection.close()
                database.close()
            }
            throw error
        }
        try await registry.replaceDatabaseFiles(of: id, with: folder)
        logger.notice(
            "audit: graph rebuilt from staging",
            metadata: [
                "audit": "rebuild", "graph_id": "\(id)", "tables": "\(outcomes.count)",
                "rows": "\(outcomes.reduce(0) { $0 + $1.rowsIngested })",
            ]
        )
        return IngestResponse(
            graphID: id.rawValue, tableName: requested.rawValue,
            graphTable: outcomes.first { $0.graphTable.lowercased() == requested.rawValue.lowercased() }?.graphTable ?? requested.rawValue,
            rowsIngested: outcomes.reduce(0) { $0 + $1.rowsIngested }, rowsSkipped: outcomes.reduce(0) { $0 + $1.rowsSkipped },
            warnings: warnings + outcomes.flatMap(\.warnings), rebuilt: true,
            executionTimeMilliseconds: (ContinuousClock.now - start).milliseconds
        )
    }
}
