import Foundation
import GraphEngine
import Logging
import Staging

/// The graph side of an ingest: the live graph through the registry, or a graph being rebuilt.
struct IngestTarget: Sendable {
    /// Reads the graph's catalog.
    var catalog: @Sendable () async throws -> GraphCatalog
    /// Runs a read-only statement (exports, counts) and returns the first column of its first row
    /// as an integer when there is one.
    var read: @Sendable (String) async throws -> Int64?
    /// Runs a `COPY` statement (checkpointing first, see ``runCopy(_:on:)``), queued behind the
    /// graph's other writers.
    var copy: @Sendable (String) async throws -> Void
}

extension IngestTarget {
    /// The live graph `id`.
    static func live(_ id: GraphID, registry: GraphRegistry) -> IngestTarget {
        let executor = registry.executor
        return IngestTarget(
            catalog: {
                try await registry.withConnection(to: id) { _, connection in
                    try await executor.run(on: connection) { try GraphCatalog.read($0) }
                }
            },
            read: { statement in
                try await registry.withConnection(to: id) { _, connection in
                    try await executor.run(on: connection) { try IngestTarget.firstInteger(of: statement, on: $0) }
                }
            },
            copy: { statement in
                try await registry.withConnection(to: id) { handle, connection in
                    if handle.isReadOnly {
                        throw ServiceError(.readOnlyDatabase, "database '\(id)' is read-only")
                    }
                    try await handle.database.writeGate.withPermit {
                        try await executor.run(on: connection) { try IngestTarget.runCopy(statement, on: $0) }
                    }
                }
            }
        )
    }

    /// Runs `copy` (a `COPY` statement) after a `CHECKPOINT`, on the connection of the caller
    /// that holds the graph's write permit.
    ///
    /// LadybugDB 0.22.0 corrupts its heap when a node-table COPY fails or is interrupted while
    /// the table holds rows written by `CREATE`/`MERGE` that are not checkpointed yet: the
    /// process aborts later (at the next checkpoint or when the database closes) with
    /// `free(): invalid next size` and the like. With everything checkpointed first, a failed or
    /// interrupted COPY rolls back cleanly. The checkpoint takes a few milliseconds when little
    /// is in the WAL, and does not wait for running reads.
    ///
    /// When the server checkpoints (``Connection/checkpointsManually``) a `COPY` writes no log:
    /// it changes the data file and is durable only after the `CHECKPOINT` that follows it here.
    ///
    /// A `COPY` changes the data file without the log, so the graph's journal takes a new base
    /// after it (and is told before it, so that a process killed in between knows).
    static func runCopy(_ copy: String, on connection: Connection) throws {
        try connection.checkpoint()
        let journal = connection.database.journal
        try journal?.dataFileWillChange(connection.database)
        do {
            _ = try firstInteger(of: copy, on: connection)
        } catch {
            if connection.checkpointsManually { try? connection.checkpoint() }
            try? journal?.dataFileChanged(connection, reason: "a failed COPY")
            throw error
        }
        if connection.checkpointsManually { try connection.checkpoint() }
        try journal?.dataFileChanged(connection, reason: "COPY")
    }

    static func firstInteger(of statement: String, on connection: Connection) throws -> Int64? {
        let result = try connection.query(statement)
        defer { result.close() }
        return try result.next()?.first?.int64Value
    }
}

/// Why rows would be rejected, with a few examples.
struct RejectedRows: Sendable {
    var count: Int64
    var reason: String
    var examples: [String]

    var text: String {
        "\(count) \(reason)" + (examples.isEmpty ? "" : " (e.g. \(examples.joined(separator: ", ")))")
    }
}

/// One ingest of a DuckDB relation (a staged table, or a file a COPY downloaded) into a graph
/// table: validate columns and types, find the rows the graph would reject, write the rest as
/// Parquet in the graph's `staging-io/` folder (graph property order, FROM/TO keys first,
/// DECIMAL as DOUBLE) and let the engine COPY it.
struct GraphIngest: Sendable {
    let source: String
    let sourceName: String
    let graphTableName: String
    let fileIDs: [String]?
    /// How the source was staged: `.node` data is unique on `identifier` and has no null ones,
    /// `.relationship` data is unique on `(src, dst)` and has no null ones (the loader made them
    /// so); `.table` or `nil` when nothing is known, and the checks run.
    let shape: StagedShape?
    let ignoreErrors: Bool
    let io: String
    let duckdb: StagingConnection
    let executor: StagingExecutor
    let target: IngestTarget
    /// The task's progress, when the ingest runs as one: each DuckDB statement over the rows is a
    /// phase that its progress moves (`checking_rows`, `preparing_rows`; `reading_graph` while
    /// the graph exports its keys), and the graph's COPY is `copying_into_graph`.
    var progress: PhasedProgress? = nil

    struct Outcome: Sendable {
        var graphTable: String
        var rowsIngested: Int64
        var rowsSkipped: Int64
        var warnings: [String]
    }

    private struct Column: Sendable {
        var name: String
        var type: String
    }

    func run() async throws -> Outcome {
        let catalog = try await target.catalog()
        let staged = try await stagedColumns()
        if let node = catalog.nodeTables.first(where: { $0.name == graphTableName })
            ?? catalog.nodeTables.first(where: { $0.name.lowercased() == graphTableName.lowercased() })
        {
            return try await ingestNodes(into: node, staged: staged, catalog: catalog)
        }
        if let rel = catalog.relTables.first(where: { $0.name == graphTableName })
            ?? catalog.relTables.first(where: { $0.name.lowercased() == graphTableName.lowercased() })
        {
            return try await ingestRelationships(into: rel, staged: staged, catalog: catalog)
        }
        throw ServiceError(.graphTableNotFound, "the graph has no node or relationship table named '\(graphTableName)' to ingest '\(sourceName)' into")
    }

    private func stagedColumns() async throws -> [Column] {
        let source = self.source
        return try await withStagingErrors {
            try await executor.run(on: duckdb) { connection in
                try connection.query("DESCRIBE SELECT * FROM \(source)").rows().compactMap { row -> Column? in
                    guard let name = row[0].stringValue, let type = row[1].stringValue else { return nil }
                    return Column(name: name, type: type)
                }
            }
        }
    }

    /// `SELECT` list items for the graph's properties the source has, in the graph's order, with
    /// the property each fills; collects mismatches. A property the source lacks is left out, so
    /// the engine's COPY (given the property list) fills it with the column's `DEFAULT`.
    private func projection(
        properties: [GraphCatalog.Property], staged: [String: Column], keyMapping: [String: String], table: String,
        mismatches: inout [String], checks: inout [(column: String, expression: String, target: String)]
    ) -> [(property: String, item: String)] {
        properties.compactMap { property in
            let stagedName = keyMapping[property.name] ?? property.name
            guard let column = staged[stagedName] else { return nil }
            guard let target = GraphTypeMapping.duckDBType(forGraph: property.type) else {
                mismatches.append("\(table).\(property.name) has type \(property.type), which ingest does not support")
                return nil
            }
            guard GraphTypeMapping.isCompatible(staged: column.type, target: target) else {
                mismatches.append("column '\(stagedName)' is \(column.type), but \(table).\(property.name) is \(property.type)")
                return nil
            }
            let quoted = StagingSQL.identifier(stagedName)
            if column.type.uppercased() != target {
                checks.append((stagedName, quoted, target))
                return (property.name, "CAST(\(quoted) AS \(target))")
            }
            return (property.name, quoted)
        }
    }

    private var fileFilter: String {
        guard let fileIDs, !fileIDs.isEmpty else { return "TRUE" }
        return "file_id IN (\(fileIDs.map(StagingSQL.literal).joined(separator: ", ")))"
    }

    /// Fails with every mismatch, or with values that do not convert.
    private func validate(mismatches: [String], checks: [(column: String, expression: String, target: String)]) async throws {
        var problems = mismatches
        if problems.isEmpty, !checks.isEmpty {
            let (source, filter, progress) = (self.source, fileFilter, self.progress)
            let counts = try await withStagingErrors {
                try await executor.run(on: duckdb) { connection -> [Int64] in
                    progress?.begin("checking_rows", "checking that the values convert", to: 15, polling: connection)
                    let items = checks.map {
                        "count(*) FILTER (WHERE \($0.expression) IS NOT NULL AND TRY_CAST(\($0.expression) AS \($0.target)) IS NULL)"
                    }
                    let row = try connection.query("SELECT \(items.joined(separator: ", ")) FROM \(source) WHERE \(filter)").rows().first ?? []
                    return row.map { $0.int64Value ?? 0 }
                }
            }
            for (check, count) in zip(checks, counts) where count > 0 {
                problems.append("column '\(check.column)': \(count) value\(count == 1 ? "" : "s") do not convert to \(check.target)")
            }
        }
        guard problems.isEmpty else {
            throw ServiceError(.ingestValidationFailed, "'\(sourceName)' does not match graph table '\(graphTableName)': " + problems.joined(separator: "; "))
        }
    }

    /// Exports the first column of a Cypher query to a Parquet file in `io` (for anti-joins in
    /// DuckDB); returns the DuckDB relation reading it.
    private func export(_ cypher: String, columns: String) async throws -> String {
        let file = io + "/export-\(UUID().uuidString).parquet"
        progress?.begin("reading_graph", "reading the keys already in the graph", to: progress?.percent ?? 0)
        _ = try await target.read("COPY (\(cypher)) TO \(SchemaQuoting.stringLiteral(file))")
        if !FileManager.default.fileExists(atPath: file) {
            return "(SELECT \(columns) WHERE FALSE)"
        }
        return "read_parquet(\(StagingSQL.literal(file)))"
    }

    // MARK: Nodes

    private func ingestNodes(into table: GraphCatalog.NodeTable, staged: [Column], catalog: GraphCatalog) async throws -> Outcome {
        let byName = Dictionary(staged.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        guard let primaryKey = table.primaryKey else {
            throw ServiceError(.ingestValidationFailed, "graph table '\(table.name)' has no primary key")
        }
        var mismatches: [String] = []
        var keyMapping: [String: String] = [:]
        let keyColumn: String
        if byName[primaryKey] != nil {
            keyColumn = primaryKey
        } else if byName["identifier"] != nil {
            keyColumn = "identifier"
            keyMapping[primaryKey] = "identifier"
        } else {
            keyColumn = primaryKey
            mismatches.append("no key column: '\(sourceName)' has neither '\(primaryKey)' nor 'identifier'")
        }
        let propertyNames = Set(table.properties.map(\.name))
        for column in staged where column.name != "file_id" && column.name != keyColumn && !propertyNames.contains(column.name) {
            mismatches.append("column '\(column.name)' is not a property of \(table.name)")
        }
        var checks: [(column: String, expression: String, target: String)] = []
        let select = projection(
            properties: table.properties, staged: byName, keyMapping: keyMapping, table: table.name, mismatches: &mismatches,
            checks: &checks
        )
        try await validate(mismatches: mismatches, checks: checks)

        let graphName = SchemaQuoting.name(table.name)
        let existing = try await target.read("MATCH (n:\(graphName)) RETURN count(n)") ?? 0
        let keysRelation: String? =
            existing > 0
            ? try await export("MATCH (n:\(graphName)) RETURN n.\(SchemaQuoting.name(primaryKey)) AS k", columns: "NULL::VARCHAR AS k") : nil
        let exportFiles = keysRelation.map(Self.files(in:)) ?? []
        defer { for file in exportFiles { try? FileManager.default.removeItem(atPath: file) } }
        let key = StagingSQL.identifier(keyColumn)
        let keyText = "CAST(s.\(key) AS VARCHAR)"
        let (source, filter, io, progress) = (self.source, fileFilter, self.io, self.progress)
        let ignoreErrors = self.ignoreErrors
        let file = io + "/ingest-\(UUID().uuidString).parquet"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let knownUnique = shape == .node && keyColumn == "identifier"
        let (rejected, written) = try await withStagingErrors {
            try await executor.run(on: duckdb) { connection -> ([RejectedRows], Int64) in
                let base = "(SELECT * FROM \(source) WHERE \(filter)) AS s"
                var rejected: [RejectedRows] = []
                var (nulls, duplicateRows): (Int64, Int64) = (0, 0)
                if !knownUnique {
                    progress?.begin("checking_rows", "checking the keys", to: 30, polling: connection)
                    let counts = try connection.query(
                        "SELECT count(*) FILTER (WHERE s.\(key) IS NULL), count(s.\(key)) - count(DISTINCT s.\(key)) FROM \(base)"
                    ).rows().first ?? []
                    (nulls, duplicateRows) = (counts.first?.int64Value ?? 0, counts.last?.int64Value ?? 0)
                }
                if nulls > 0 { rejected.append(RejectedRows(count: nulls, reason: "rows without a key", examples: [])) }
                if duplicateRows > 0 {
                    let examples = try connection.query(
                        "SELECT \(keyText) FROM \(base) WHERE s.\(key) IS NOT NULL GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
                    ).rows().compactMap { $0.first?.stringValue.map { "'\($0)'" } }
                    rejected.append(RejectedRows(count: duplicateRows, reason: "rows repeating a key of an earlier row", examples: examples))
                }
                var existingJoin = ""
                if let keysRelation {
                    existingJoin = "AND \(keyText) NOT IN (SELECT CAST(k AS VARCHAR) FROM \(keysRelation))"
                    progress?.begin("checking_rows", "looking for keys already in the graph", to: 35, polling: connection)
                    let present = try connection.query(
                        "SELECT count(*) FROM \(base) WHERE \(keyText) IN (SELECT CAST(k AS VARCHAR) FROM \(keysRelation))"
                    ).rows().first?.first?.int64Value ?? 0
                    if present > 0 {
                        let examples = try connection.query(
                            "SELECT \(keyText) FROM \(base) WHERE \(keyText) IN (SELECT CAST(k AS VARCHAR) FROM \(keysRelation)) LIMIT 5"
                        ).rows().compactMap { $0.first?.stringValue.map { "'\($0)'" } }
                        rejected.append(RejectedRows(count: present, reason: "keys already present in the graph", examples: examples))
                    }
                }
                if !rejected.isEmpty, !ignoreErrors { return (rejected, 0) }
                // Only the filters that remove something (a DISTINCT ON costs a hash of every key).
                let rows =
                    rejected.isEmpty
                    ? base
                    : duplicateRows > 0
                        ? "(SELECT DISTINCT ON (s.\(key)) s.* FROM \(base) WHERE s.\(key) IS NOT NULL \(existingJoin)) AS s"
                        : "(SELECT s.* FROM \(base) WHERE s.\(key) IS NOT NULL \(existingJoin)) AS s"
                progress?.begin("preparing_rows", "writing the rows for the graph", to: 60, polling: connection)
                let written = try connection.execute(
                    "COPY (SELECT \(select.map(\.item).joined(separator: ", ")) FROM \(rows)) TO \(StagingSQL.literal(file)) (FORMAT parquet)"
                )
                return (rejected, Int64(written))
            }
        }
        return try await finish(rejected: rejected, written: written, file: file, graphTable: table.name, properties: select.map(\.property))
    }

    // MARK: Relationships

    private func ingestRelationships(into table: GraphCatalog.RelTable, staged: [Column], catalog: GraphCatalog) async throws -> Outcome {
        let byName = Dictionary(staged.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var mismatches: [String] = []
        guard table.connections.count == 1, let pair = table.connections.first else {
            throw ServiceError(.ingestValidationFailed, "relationship table '\(table.name)' connects \(table.connections.count) pairs of node tables; ingest supports one")
        }
        guard let fromTable = catalog.nodeTables.first(where: { $0.name == pair.from }), let fromKey = fromTable.primaryKey,
            let toTable = catalog.nodeTables.first(where: { $0.name == pair.to }), let toKey = toTable.primaryKey
        else {
            throw ServiceError(.ingestValidationFailed, "the node tables of '\(table.name)' have no primary keys")
        }
        if byName["src"] == nil { mismatches.append("no 'src' column (relationship data needs 'from' and 'to' when staged)") }
        if byName["dst"] == nil { mismatches.append("no 'dst' column (relationship data needs 'from' and 'to' when staged)") }
        let propertyNames = Set(table.properties.map(\.name))
        for column in staged where !["file_id", "src", "dst"].contains(column.name) && !propertyNames.contains(column.name) {
            mismatches.append("column '\(column.name)' is not a property of \(table.name)")
        }
        let fromType = fromTable.properties.first { $0.name == fromKey }?.type ?? "STRING"
        let toType = toTable.properties.first { $0.name == toKey }?.type ?? "STRING"
        var checks: [(column: String, expression: String, target: String)] = []
        let endpoints = projection(
            properties: [.init(name: "src", type: fromType), .init(name: "dst", type: toType)], staged: byName, keyMapping: [:],
            table: table.name, mismatches: &mismatches, checks: &checks
        )
        let select = projection(
            properties: table.properties, staged: byName, keyMapping: [:], table: table.name, mismatches: &mismatches, checks: &checks
        )
        try await validate(mismatches: mismatches, checks: checks)

        let relName = SchemaQuoting.name(table.name)
        let existingEdges = try await target.read("MATCH ()-[r:\(relName)]->() RETURN count(r)") ?? 0
        // Data staged as relationships has no repeated or null pairs, and with no edges in the
        // graph none can be doubled: the engine's COPY, which refuses a missing endpoint and
        // leaves the table as it was, checks the endpoints. Only when it refuses are the
        // rejected rows looked for below, to report their count and examples.
        var engineRefusal: (any Error)?
        if !ignoreErrors, existingEdges == 0, shape == .relationship {
            do {
                return try await copyAsStaged(columns: (endpoints + select).map(\.item), graphTable: table.name, properties: select.map(\.property))
            } catch {
                if Task.isCancelled { throw error }
                engineRefusal = error
            }
        }

        var exportFiles: [String] = []
        defer { for file in exportFiles { try? FileManager.default.removeItem(atPath: file) } }
        let fromName = SchemaQuoting.name(fromTable.name)
        let toName = SchemaQuoting.name(toTable.name)
        let fromKeys = try await export("MATCH (n:\(fromName)) RETURN n.\(SchemaQuoting.name(fromKey)) AS k", columns: "NULL::VARCHAR AS k")
        exportFiles += Self.files(in: fromKeys)
        let toKeys =
            toTable.name == fromTable.name
            ? fromKeys : try await export("MATCH (n:\(toName)) RETURN n.\(SchemaQuoting.name(toKey)) AS k", columns: "NULL::VARCHAR AS k")
        if toKeys != fromKeys { exportFiles += Self.files(in: toKeys) }
        let edgesRelation: String? =
            existingEdges > 0
            ? try await export(
                "MATCH (a:\(fromName))-[r:\(relName)]->(b:\(toName)) RETURN a.\(SchemaQuoting.name(fromKey)) AS s, b.\(SchemaQuoting.name(toKey)) AS d",
                columns: "NULL::VARCHAR AS s, NULL::VARCHAR AS d"
            ) : nil
        exportFiles += edgesRelation.map(Self.files(in:)) ?? []
        let (source, filter, io, ignoreErrors, progress) = (self.source, fileFilter, self.io, self.ignoreErrors, self.progress)
        let file = io + "/ingest-\(UUID().uuidString).parquet"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let knownUnique = shape == .relationship
        let (rejected, skippedPresent, skippedDuplicates, written) = try await withStagingErrors {
            try await executor.run(on: duckdb) { connection -> ([RejectedRows], Int64, Int64, Int64) in
                progress?.begin("checking_rows", "checking that both endpoints are in the graph", to: 35, polling: connection)
                let srcText = "CAST(s.src AS VARCHAR)"
                let dstText = "CAST(s.dst AS VARCHAR)"
                // One pass finds the dangling rows: keys are unique, so the outer joins keep every row once.
                let withEndpoints =
                    "(SELECT * FROM \(source) WHERE \(filter)) AS s "
                    + "LEFT JOIN (SELECT CAST(k AS VARCHAR) AS k FROM \(fromKeys)) AS f ON f.k = \(srcText) "
                    + "LEFT JOIN (SELECT CAST(k AS VARCHAR) AS k FROM \(toKeys)) AS t ON t.k = \(dstText)"
                let dangling = "(s.src IS NULL OR s.dst IS NULL OR f.k IS NULL OR t.k IS NULL)"
                var rejected: [RejectedRows] = []
                let danglingCount =
                    try connection.query("SELECT count(*) FROM \(withEndpoints) WHERE \(dangling)").rows().first?.first?.int64Value ?? 0
                if danglingCount > 0 {
                    let examples = try connection.query(
                        "SELECT coalesce(\(srcText), 'null') || ' -> ' || coalesce(\(dstText), 'null') FROM \(withEndpoints) WHERE \(dangling) LIMIT 5"
                    ).rows().compactMap { $0.first?.stringValue.map { "'\($0)'" } }
                    rejected.append(
                        RejectedRows(count: danglingCount, reason: "relationships whose endpoints are missing from the graph", examples: examples)
                    )
                }
                if !rejected.isEmpty, !ignoreErrors { return (rejected, 0, 0, 0) }
                // The rows to copy, with only the filters that remove something.
                var valid =
                    danglingCount > 0
                    ? "(SELECT s.* FROM \(withEndpoints) WHERE NOT \(dangling)) AS s" : "(SELECT * FROM \(source) WHERE \(filter)) AS s"
                // Edges already in the graph are skipped, so a second ingest never doubles them;
                // repeated (src, dst) pairs in the data become one edge.
                var present: Int64 = 0
                if let edgesRelation {
                    let edges = "(SELECT DISTINCT CAST(s AS VARCHAR) AS s, CAST(d AS VARCHAR) AS d FROM \(edgesRelation))"
                    let isPresent = "EXISTS (SELECT 1 FROM \(edges) e WHERE e.s = \(srcText) AND e.d = \(dstText))"
                    progress?.begin("checking_rows", "looking for relationships already in the graph", to: 40, polling: connection)
                    present = try connection.query("SELECT count(*) FROM \(valid) WHERE \(isPresent)").rows().first?.first?.int64Value ?? 0
                    if present > 0 { valid = "(SELECT s.* FROM \(valid) WHERE NOT \(isPresent)) AS s" }
                }
                var duplicates: Int64 = 0
                if !knownUnique {
                    progress?.begin("checking_rows", "looking for repeated (src, dst) pairs", to: 45, polling: connection)
                    let counts = try connection.query("SELECT count(*), count(DISTINCT (\(srcText), \(dstText))) FROM \(valid)").rows().first ?? []
                    duplicates = (counts.first?.int64Value ?? 0) - (counts.last?.int64Value ?? 0)
                    if duplicates > 0 { valid = "(SELECT DISTINCT ON (\(srcText), \(dstText)) s.* FROM \(valid)) AS s" }
                }
                progress?.begin("preparing_rows", "writing the rows for the graph", to: 60, polling: connection)
                let written = try connection.execute(
                    "COPY (SELECT \((endpoints + select).map(\.item).joined(separator: ", ")) FROM \(valid)) TO \(StagingSQL.literal(file)) (FORMAT parquet)"
                )
                return (rejected, present, duplicates, Int64(written))
            }
        }
        // The engine refused rows the checks do not find: its error stands.
        if let engineRefusal, rejected.isEmpty { throw engineRefusal }
        var outcome = try await finish(rejected: rejected, written: written, file: file, graphTable: table.name, properties: select.map(\.property))
        if skippedPresent > 0 {
            outcome.rowsSkipped += skippedPresent
            outcome.warnings.append("\(skippedPresent) relationships already in the graph were skipped (not doubled)")
        }
        if skippedDuplicates > 0 {
            outcome.rowsSkipped += skippedDuplicates
            outcome.warnings.append("\(skippedDuplicates) rows repeated an earlier (src, dst) pair and were merged")
        }
        return outcome
    }

    // MARK: Copy

    /// Fails on rejected rows unless `ignore_errors`, else COPYs the file into the graph.
    /// `properties` are the graph properties the file's columns fill, in order (after the FROM/TO
    /// keys of relationships): the engine gives every other property its `DEFAULT`.
    private func finish(rejected: [RejectedRows], written: Int64, file: String, graphTable: String, properties: [String]) async throws
        -> Outcome
    {
        let skipped = rejected.reduce(0) { $0 + $1.count }
        if !rejected.isEmpty, !ignoreErrors {
            throw ServiceError(.ingestRowsRejected, "\(skipped) row\(skipped == 1 ? "" : "s") of '\(sourceName)' would be rejected by the graph: "
                    + rejected.map(\.text).joined(separator: "; ")
                    + ". Nothing was copied; pass \(SuggestedOption.ignoreErrors) to skip exactly these rows.")
        }
        if written > 0 {
            let list = properties.map(SchemaQuoting.name).joined(separator: ", ")
            let statement = "COPY \(SchemaQuoting.name(graphTable))(\(list)) FROM \(SchemaQuoting.stringLiteral(file))"
            if let progress {
                let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? 0
                try await progress.graphCopy(bytes: bytes, into: graphTable, to: 95) { try await target.copy(statement) }
            } else {
                try await target.copy(statement)
            }
        }
        return Outcome(
            graphTable: graphTable, rowsIngested: written, rowsSkipped: skipped,
            warnings: rejected.map { "skipped " + $0.text }
        )
    }

    /// Writes the source's rows (the file filter applied) in the graph's column order and COPYs
    /// them, with no check of their keys.
    private func copyAsStaged(columns: [String], graphTable: String, properties: [String]) async throws -> Outcome {
        let (source, filter, file, progress) = (self.source, fileFilter, io + "/ingest-\(UUID().uuidString).parquet", self.progress)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let written = try await withStagingErrors {
            try await executor.run(on: duckdb) { connection in
                progress?.begin("preparing_rows", "writing the rows for the graph", to: 50, polling: connection)
                return try connection.execute(
                    "COPY (SELECT \(columns.joined(separator: ", ")) FROM \(source) WHERE \(filter)) TO \(StagingSQL.literal(file)) (FORMAT parquet)"
                )
            }
        }
        return try await finish(rejected: [], written: Int64(written), file: file, graphTable: graphTable, properties: properties)
    }

    /// The Parquet files a relation from ``export(_:columns:)`` reads.
    static func files(in relation: String) -> [String] {
        guard relation.hasPrefix("read_parquet('"), relation.hasSuffix("')") else { return [] }
        return [String(relation.dropFirst("read_parquet('".count).dropLast(2))]
    }
}
