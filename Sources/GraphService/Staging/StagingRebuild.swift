import Logging
import Foundation
import GraphEngine
import Staging

extension GraphCatalog {
    /// DDL that recreates these tables (node tables first, each with its primary key; then
    /// relationship tables with every FROM/TO pair), with every column's `DEFAULT` expression as
    /// the engine prints it, and each table's comment.
    var recreationDDL: [String] {
        func columns(_ properties: [Property]) -> [String] {
            properties.map { property in
                "\(SchemaQuoting.name(property.name)) \(property.type)" + (property.defaultExpression.map { " DEFAULT \($0)" } ?? "")
            }
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
        let comments = nodeTables.map { ($0.name, $0.comment) } + relTables.map { ($0.name, $0.comment) }
        for case let (name, comment?) in comments {
            statements.append("COMMENT ON TABLE \(SchemaQuoting.name(name)) IS \(SchemaQuoting.stringLiteral(comment))")
        }
        return statements
    }
}

extension StagingService {
    /// `rebuild: true`: builds a new graph beside the live one from the live schema and every
    /// staged table that names a graph table (node tables first), then swaps the engine files in
    /// atomically (``GraphRegistry/replaceDatabaseFiles(of:with:drainTimeout:keepReplaced:)``). Queries keep
    /// answering from the old graph until the new one is complete. The rebuilt graph holds
    /// exactly the staged data, in the live schema (column `DEFAULT`s and table comments
    /// included). Before the swap, the rows of the live graph that the new one lacks (node keys,
    /// relationship (FROM, TO) pairs: writes made outside staging, tables with nothing staged)
    /// are counted: unless `acceptDataLoss`, any fails the rebuild with `409
    /// rebuild_would_lose_data` naming them and the live graph stays as it was; with it, they are
    /// named in the warnings.
    func rebuild(
        graph id: GraphID, store: StagingStore, requested: TableName, ignoreErrors: Bool, acceptDataLoss: Bool, start: ContinuousClock.Instant
    ) async throws -> IngestResponse {
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
            let losses = try await withGraphErrors(id) {
                try await Self.losses(
                    of: catalog, from: .live(id, registry: registry), to: target, io: store.ioDirectory, duckdb: store.writer, executor: executor
                )
            }
            if !losses.isEmpty {
                guard acceptDataLoss else {
                    throw ServiceError(
                        .rebuildWouldLoseData,
                        "rebuild would drop rows of graph '\(id)' that no staged table holds: \(losses.map(\.text).joined(separator: "; ")). "
                            + "Nothing was changed; stage them too, or rebuild without them with accept_data_loss: true "
                            + "(graph-api tables ingest --rebuild --accept-data-loss)."
                    )
                }
                warnings += losses.map { "dropped \($0.text) (accept_data_loss)" }
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

/// Rows of one table of the live graph that a rebuilt graph does not hold.
struct RebuildLoss: Sendable {
    var table: String
    var isNode: Bool
    var lost: Int64
    var total: Int64
    var examples: [String]

    var text: String {
        "\(lost) of \(total) \(isNode ? "nodes" : "relationships") of \(table)"
            + (examples.isEmpty ? "" : " (e.g. \(examples.joined(separator: ", ")))")
    }
}

extension StagingService {
    /// The rows of `live` that `rebuilt` lacks, per table: node keys, and relationships by
    /// (FROM key, TO key) pair counted with their multiplicity. Both sides are exported as
    /// Parquet into `io` and compared in DuckDB.
    static func losses(
        of catalog: GraphCatalog, from live: IngestTarget, to rebuilt: IngestTarget, io: String, duckdb: StagingConnection,
        executor: StagingExecutor
    ) async throws -> [RebuildLoss] {
        var losses: [RebuildLoss] = []
        var files: [String] = []
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }
        /// Exports `cypher` from `target`; the relation reading it (empty when nothing was written).
        func export(_ cypher: String, from target: IngestTarget, empty: String) async throws -> String {
            let file = io + "/rebuild-\(UUID().uuidString).parquet"
            files.append(file)
            _ = try await target.read("COPY (\(cypher)) TO \(SchemaQuoting.stringLiteral(file))")
            return FileManager.default.fileExists(atPath: file) ? "read_parquet(\(StagingSQL.literal(file)))" : "(SELECT \(empty) WHERE FALSE)"
        }
        /// How many rows `missing` has, and a few of them as `example`.
        func count(_ missing: String, example: String, order: String) async throws -> (Int64, [String]) {
            try await withStagingErrors {
                try await executor.run(on: duckdb) { connection -> (Int64, [String]) in
                    let lost = try connection.query("SELECT count(*) FROM \(missing)").rows().first?.first?.int64Value ?? 0
                    guard lost > 0 else { return (0, []) }
                    let examples = try connection.query("SELECT \(example) FROM \(missing) ORDER BY \(order) LIMIT 3").rows()
                        .compactMap { $0.first?.stringValue }
                    return (lost, examples)
                }
            }
        }
        for table in catalog.nodeTables {
            guard let key = table.primaryKey else { continue }
            let name = SchemaQuoting.name(table.name)
            let total = try await live.read("MATCH (n:\(name)) RETURN count(n)") ?? 0
            guard total > 0 else { continue }
            let cypher = "MATCH (n:\(name)) RETURN n.\(SchemaQuoting.name(key)) AS k"
            let old = try await export(cypher, from: live, empty: "NULL::VARCHAR AS k")
            let new = try await export(cypher, from: rebuilt, empty: "NULL::VARCHAR AS k")
            let missing = "(SELECT CAST(k AS VARCHAR) AS k FROM \(old) EXCEPT ALL SELECT CAST(k AS VARCHAR) FROM \(new))"
            let (lost, examples) = try await count(missing, example: "'''' || k || ''''", order: "k")
            if lost > 0 { losses.append(RebuildLoss(table: table.name, isNode: true, lost: lost, total: total, examples: examples)) }
        }
        for table in catalog.relTables {
            let name = SchemaQuoting.name(table.name)
            let total = try await live.read("MATCH ()-[r:\(name)]->() RETURN count(r)") ?? 0
            guard total > 0 else { continue }
            var lost: Int64 = 0
            var examples: [String] = []
            for pair in table.connections {
                guard let from = catalog.nodeTables.first(where: { $0.name == pair.from }), let fromKey = from.primaryKey,
                    let to = catalog.nodeTables.first(where: { $0.name == pair.to }), let toKey = to.primaryKey
                else { continue }
                let cypher =
                    "MATCH (a:\(SchemaQuoting.name(from.name)))-[r:\(name)]->(b:\(SchemaQuoting.name(to.name))) "
                    + "RETURN a.\(SchemaQuoting.name(fromKey)) AS s, b.\(SchemaQuoting.name(toKey)) AS d"
                let empty = "NULL::VARCHAR AS s, NULL::VARCHAR AS d"
                let old = try await export(cypher, from: live, empty: empty)
                let new = try await export(cypher, from: rebuilt, empty: empty)
                // A multiset difference: two parallel edges rebuilt as one lose one.
                let missing =
                    "(SELECT CAST(s AS VARCHAR) AS s, CAST(d AS VARCHAR) AS d FROM \(old) "
                    + "EXCEPT ALL SELECT CAST(s AS VARCHAR), CAST(d AS VARCHAR) FROM \(new))"
                let (some, few) = try await count(missing, example: "'''' || s || ''' -> ''' || d || ''''", order: "s, d")
                lost += some
                examples += few
            }
            if lost > 0 {
                losses.append(RebuildLoss(table: table.name, isNode: false, lost: lost, total: total, examples: Array(examples.prefix(3))))
            }
        }
        return losses
    }
}
