import Foundation
import Synchronization
import GraphJSON
import GraphEngine
import Logging
import Staging

extension StagingService {
    /// What a COPY did (the task's `result`).
    struct CopyOutcome: Sendable {
        var graphTable: String
        var rowsCopied: Int64
        var rowsSkipped: Int64
        var warnings: [String]
        var direct: Bool
    }

    /// The background COPY of `POST /databases/{graph_id}/copy`, queued with the graph's ingests.
    ///
    /// Local Parquet/CSV without `ignore_errors` goes straight to the engine's COPY (the files
    /// were checked to lie below the import directory); the engine COPYs in one transaction, so a
    /// failure or a cancellation leaves the table as it was. `s3://` sources, and local Parquet
    /// with DECIMAL columns (which the engine cannot read), are first rewritten by a loader into
    /// one Parquet file in the graph's `staging-io/` (DECIMAL as DOUBLE). With `ignore_errors`, the
    /// rows go through ``GraphIngest`` so exactly the rows the graph would reject are skipped and
    /// counted — never the engine's own `IGNORE_ERRORS`, which is not trusted to keep valid rows.
    ///
    /// Columns fill the table's columns in order; files with fewer columns than the table name
    /// theirs after the table's properties and the rest get their `DEFAULT` (as ingest does).
    /// Relationships never double, as with ingest: when the table already has edges, or the
    /// files repeat a (FROM, TO) pair, the rows go through ``GraphIngest``, which skips pairs
    /// already in the graph and merges repeated ones (counted in `rows_skipped`, with warnings).
    ///
    /// Progress is reported by phase, with the bytes known in advance: 5% started, 40% read
    /// (when a loader reads the sources first, with its row count), then, while the engine
    /// COPYs (it reports no progress of its own), an estimate from the bytes to copy and the
    /// node's measured COPY rate (``CopyRate``) every half second, never past 95%; 100% with the
    /// rows copied.
    func copy(
        graph id: GraphID, table: TableName, sources: StagingSources, credentials: S3Credentials?, ignoreErrors: Bool,
        progress: TaskProgress
    ) async throws -> CopyOutcome {
        try await gate(id).withPermit {
            progress.report(percent: 5, message: "copying into \(table)")
            let target = IngestTarget.live(id, registry: registry)
            let catalog = try await withGraphErrors(id) { try await target.catalog() }
            let node = catalog.nodeTables.first { $0.name == table.rawValue }
                ?? catalog.nodeTables.first { $0.name.lowercased() == table.rawValue.lowercased() }
            let rel = catalog.relTables.first { $0.name == table.rawValue }
                ?? catalog.relTables.first { $0.name.lowercased() == table.rawValue.lowercased() }
            guard let graphTable = node?.name ?? rel?.name, let properties = node?.properties ?? rel?.properties else {
                throw ServiceError(.graphTableNotFound, "the graph has no node or relationship table named '\(table)'")
            }
            let isNode = node != nil
            let countQuery =
                isNode
                ? "MATCH (n:\(SchemaQuoting.name(graphTable))) RETURN count(n)" : "MATCH ()-[r:\(SchemaQuoting.name(graphTable))]->() RETURN count(r)"
            let bytes = sources.localBytes
            let sourceName = sources.paths.count == 1 ? sources.paths[0] : "the sources"
            let io = try ioDirectory(id)
            if !ignoreErrors {
                // The rows as they are: the files themselves, or the loader's rewrite of them.
                var columns: [SourceColumn] = []
                var relation = sources.readFunctionSQL()
                var copyFrom = "[" + sources.files.map(SchemaQuoting.stringLiteral).joined(separator: ", ") + "]"
                var options = sources.format == .csv ? " (header=true)" : ""
                var rewritten: String?
                // What the engine's COPY reads, for the progress estimate while it runs.
                var (copyBytes, copyStart) = (bytes, 5.0)
                defer { if let rewritten { try? FileManager.default.removeItem(atPath: rewritten) } }
                // A DuckDB that reads them: a loader locked down to the import directory, or one
                // that sees only the graph's staging folder.
                var database: StagingDatabase?
                defer { database?.close() }
                if !sources.hasRemote {
                    let loader = try await executor.run { () throws -> StagingDatabase in
                        let loader = try self.makeLoader(for: sources, credentials: nil, io: io)
                        loader.connection.close()  // describe() makes its own
                        return loader.database
                    }
                    database = loader
                    columns = try await describe(relation, on: loader)
                }
                if sources.hasRemote || columns.contains(where: { $0.type.uppercased().hasPrefix("DECIMAL") }) {
                    database?.close()
                    database = nil
                    let file = io + "/copy-\(UUID().uuidString).parquet"
                    rewritten = file
                    let loaded = try await load(sources, credentials: credentials, io: io, fileIDMap: [:], into: file, shapeRows: false)
                    let fileBytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? nil
                    progress.report(
                        percent: 40, rowsProcessed: 0, bytesProcessed: bytes > 0 ? bytes : fileBytes, totalRows: loaded.rowsWritten,
                        message: "read \(loaded.rowsRead) rows"
                    )
                    columns = loaded.columns
                    (copyBytes, copyStart) = (fileBytes ?? 0, 40)
                    relation = "read_parquet(\(StagingSQL.literal(file)))"
                    (copyFrom, options) = (SchemaQuoting.stringLiteral(file), "")
                    database = try await executor.run { () throws -> StagingDatabase in
                        let database = try StagingDatabase.inMemory(configuration: self.duckDBConfiguration(tempDirectory: io + "/loader-tmp"))
                        try database.lockDown(to: [io])
                        return database
                    }
                }
                guard let reader = database else { throw ServiceError(.stagingError, "no DuckDB to read the sources with") }
                let filled = try Self.copiedProperties(columns: columns, properties: properties, isNode: isNode, table: graphTable, source: sourceName)
                let before = try await withGraphErrors(id) { try await target.read(countQuery) } ?? 0
                var mayDouble = !isNode && before > 0
                if !isNode, !mayDouble { mayDouble = try await hasRepeatedPairs(relation, columns: columns, on: reader) }
                if mayDouble {
                    // Through the ingest pipeline: pairs already in the graph, or repeated, must not double.
                    let renamed = Self.renamed(columns: columns, to: ["src", "dst"] + filled)
                    let connection = try reader.connect()
                    defer { connection.close() }
                    let ingest = GraphIngest(
                        source: "(SELECT \(renamed) FROM \(relation))", sourceName: sourceName, graphTableName: graphTable, fileIDs: nil,
                        shape: .table, ignoreErrors: false, io: io, duckdb: connection, executor: executor, target: target
                    )
                    let outcome = try await withGraphErrors(id) { try await ingest.run() }
                    progress.report(percent: 100, rowsProcessed: outcome.rowsIngested, bytesProcessed: bytes > 0 ? bytes : nil, message: "copied")
                    return CopyOutcome(
                        graphTable: graphTable, rowsCopied: outcome.rowsIngested, rowsSkipped: outcome.rowsSkipped, warnings: outcome.warnings,
                        direct: false
                    )
                }
                let list = filled.map(SchemaQuoting.name).joined(separator: ", ")
                try await copyRate.reporting(bytes: copyBytes, from: copyStart, to: 95, table: graphTable, progress: progress) {
                    try await withGraphErrors(id) { try await target.copy("COPY \(SchemaQuoting.name(graphTable))(\(list)) FROM \(copyFrom)\(options)") }
                }
                let after = try await withGraphErrors(id) { try await target.read(countQuery) } ?? 0
                progress.report(percent: 100, rowsProcessed: after - before, bytesProcessed: bytes > 0 ? bytes : nil, message: "copied")
                return CopyOutcome(graphTable: graphTable, rowsCopied: after - before, rowsSkipped: 0, warnings: [], direct: rewritten == nil)
            }
            let file = io + "/copy-\(UUID().uuidString).parquet"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let loaded = try await load(sources, credentials: credentials, io: io, fileIDMap: [:], into: file, shapeRows: true)
            let fileBytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? nil
            progress.report(
                percent: 40, rowsProcessed: 0, bytesProcessed: bytes > 0 ? bytes : fileBytes, totalRows: loaded.rowsWritten,
                message: "read \(loaded.rowsRead) rows"
            )
            // Validate and skip exactly the rows the graph would reject, in a DuckDB instance that
            // sees only this graph's staging folder.
            let scratch = try await executor.run { () throws -> StagingDatabase in
                let database = try StagingDatabase.inMemory(configuration: self.duckDBConfiguration(tempDirectory: io + "/loader-tmp"))
                try database.lockDown(to: [io])
                return database
            }
            defer { scratch.close() }
            let connection = try scratch.connect()
            defer { connection.close() }
            let ingest = GraphIngest(
                source: "read_parquet(\(StagingSQL.literal(file)))", sourceName: sourceName,
                graphTableName: graphTable, fileIDs: nil, shape: loaded.shape, ignoreErrors: true, io: io, duckdb: connection, executor: executor, target: target
            )
            var outcome = try await withGraphErrors(id) { try await ingest.run() }
            let dropped = loaded.rowsRead - loaded.rowsWritten
            if dropped > 0 {
                outcome.rowsSkipped += dropped
                outcome.warnings.insert("skipped \(dropped) rows repeating a key (or an endpoint pair) of another row, or without one", at: 0)
            }
            progress.report(percent: 100, rowsProcessed: outcome.rowsIngested, message: "copied")
            return CopyOutcome(
                graphTable: graphTable, rowsCopied: outcome.rowsIngested, rowsSkipped: outcome.rowsSkipped, warnings: outcome.warnings,
                direct: false
            )
        }
    }

    /// The graph properties the source columns fill, in the columns' order (after the FROM and TO
    /// keys of relationship data). Columns fill the table's in order when there are as many as
    /// the table has; fewer must each be named after a property (exact, else any case), and the
    /// properties left out get their `DEFAULT`.
    static func copiedProperties(
        columns: [SourceColumn], properties: [GraphCatalog.Property], isNode: Bool, table: String, source: String
    ) throws -> [String] {
        let expected = properties.count + (isNode ? 0 : 2)
        let named = isNode ? columns : Array(columns.dropFirst(2))
        guard columns.count < expected, columns.count >= (isNode ? 1 : 2) else { return properties.map(\.name) }
        var filled: [String] = []
        var unknown: [String] = []
        for column in named {
            if let property = properties.first(where: { $0.name == column.name })
                ?? properties.first(where: { $0.name.lowercased() == column.name.lowercased() })
            {
                filled.append(property.name)
            } else {
                unknown.append("'\(column.name)'")
            }
        }
        guard unknown.isEmpty else {
            throw ServiceError(
                .ingestValidationFailed,
                "'\(source)' has \(columns.count) columns for the \(expected) of \(table): with fewer columns than the table, each "
                    + (isNode ? "" : "after the FROM and TO keys ")
                    + "must be named after a property of \(table) (the others get their DEFAULT); not properties: \(unknown.joined(separator: ", "))"
            )
        }
        return filled
    }

    /// A `SELECT` list giving `columns` the names `names`, in order.
    static func renamed(columns: [SourceColumn], to names: [String]) -> String {
        zip(columns, names).map { "\(StagingSQL.identifier($0.name)) AS \(StagingSQL.identifier($1))" }.joined(separator: ", ")
    }

    /// The columns of `relation` (names and DuckDB types), read with a connection of `database`.
    func describe(_ relation: String, on database: StagingDatabase) async throws -> [SourceColumn] {
        let connection = try database.connect()
        defer { connection.close() }
        return try await withStagingErrors {
            try await executor.run(on: connection) { connection in
                try connection.query("DESCRIBE SELECT * FROM \(relation)").rows().compactMap { row -> SourceColumn? in
                    guard let name = row.first?.stringValue else { return nil }
                    return SourceColumn(name: name, type: row.count > 1 ? row[1].stringValue ?? "" : "")
                }
            }
        }
    }

    /// Whether relationship rows of `relation` repeat a (FROM, TO) pair (its first two columns).
    func hasRepeatedPairs(_ relation: String, columns: [SourceColumn], on database: StagingDatabase) async throws -> Bool {
        guard columns.count >= 2 else { return false }
        let (from, to) = (StagingSQL.identifier(columns[0].name), StagingSQL.identifier(columns[1].name))
        let connection = try database.connect()
        defer { connection.close() }
        return try await withStagingErrors {
            try await executor.run(on: connection) { connection in
                let row = try connection.query("SELECT count(*), count(DISTINCT (\(from), \(to))) FROM \(relation)").rows().first ?? []
                return (row.first?.int64Value ?? 0) != (row.last?.int64Value ?? 0)
            }
        }
    }
}

extension StagingService {
    /// Starts the background COPY of `request` into graph `id` as a `copy` task, after checking
    /// everything that can be checked before: the table name, the sources, the credentials.
    package func submitCopy(graph id: GraphID, request body: CopyRequest, logger: Logger) async throws -> TaskRecord {
        let table = try TableName(validating: body.tableName)
        try requireWritable(id)
        let sources = try StagingSources(try body.sources(), format: body.format, importDirectory: importDirectory)
        if sources.hasRemote, body.s3Credentials == nil, configuration.s3Credentials == nil {
            throw ServiceError(.missingS3Credentials, "no S3 credentials: pass s3_credentials or configure AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        _ = try body.s3Credentials?.secret()
        let metrics = self.metrics
        let (credentials, ignoreErrors) = (body.s3Credentials, body.ignoreErrors)
        let metadata: [String: JSONValue] = [
            "table_name": .string(table.rawValue), "sources": .array(sources.paths.map(JSONValue.string)),
            "format": .string(sources.format.rawValue), "ignore_errors": .bool(ignoreErrors),
        ]
        return try await tasks.submit(type: "copy", graphID: id, metadata: metadata) { progress in
            let started = ContinuousClock.now
            let outcome = try await self.copy(
                graph: id, table: table, sources: sources, credentials: credentials, ignoreErrors: ignoreErrors, progress: progress
            )
            metrics.ingestRows(Int(outcome.rowsCopied), skipped: Int(outcome.rowsSkipped))
            logger.notice(
                "audit: copy into graph",
                metadata: [
                    "audit": "copy", "graph_id": "\(id)", "table": "\(outcome.graphTable)", "rows": "\(outcome.rowsCopied)",
                    "skipped": "\(outcome.rowsSkipped)",
                ]
            )
            return .object([
                "graph_table": .string(outcome.graphTable), "rows_copied": .int(outcome.rowsCopied),
                "rows_skipped": .int(outcome.rowsSkipped), "warnings": .array(outcome.warnings.map(JSONValue.string)),
                "execution_time_ms": .double((ContinuousClock.now - started).milliseconds),
            ])
        }
    }
}

/// The node's recent engine COPY rate, and the progress estimate made from it while a COPY runs.
final class CopyRate: Sendable {
    /// Bytes per second; starts at a rate measured here for Parquet node tables (≈1M rows of
    /// ~20 MB in ~1 s) and follows each COPY of at least 1 MB.
    private let bytesPerSecond = Mutex<Double>(20_000_000)

    /// Runs `copy`, reporting every half second `from`…`to` percent in proportion to the time
    /// `bytes` should take at the current rate (never reaching `to`), with the phase
    /// `copying_into_graph` and the estimated time left in the task's metadata, then learns the
    /// rate.
    func reporting<T: Sendable>(
        bytes: Int64, from: Double, to: Double, table: String, progress: TaskProgress, _ copy: () async throws -> T
    ) async throws -> T {
        let rate = bytesPerSecond.withLock { $0 }
        let expected = max(0.2, Double(bytes) / rate)
        let started = ContinuousClock.now
        let megabytes = Double(bytes) / 1_000_000
        progress.report(
            percent: from, bytesProcessed: 0, totalBytes: bytes > 0 ? bytes : nil,
            message: "copying \(Self.format(megabytes)) MB into \(table)",
            metadata: ["phase": "copying_into_graph", "eta_seconds": .double(expected.rounded(.up)), "rows_per_second": .null]
        )
        let ticker = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(500))
                let elapsed = (ContinuousClock.now - started).seconds
                let fraction = min(0.99, elapsed / expected)
                progress.report(
                    percent: from + (to - from) * fraction,
                    bytesProcessed: bytes > 0 ? Int64(Double(bytes) * fraction) : nil,
                    message: "copying \(Self.format(megabytes)) MB into \(table): \(Int(elapsed)) s of about \(Int(expected.rounded(.up))) s "
                        + "(estimated at \(Self.format(rate / 1_000_000)) MB/s; the engine reports no progress)",
                    // Past the estimate, the time left is not known.
                    metadata: ["eta_seconds": elapsed < expected ? .double((expected - elapsed).rounded(.up)) : .null]
                )
            }
        }
        defer { ticker.cancel() }
        let value = try await copy()
        let seconds = (ContinuousClock.now - started).seconds
        if bytes >= 1_000_000, seconds > 0.05 {
            let measured = Double(bytes) / seconds
            bytesPerSecond.withLock { $0 = 0.7 * $0 + 0.3 * measured }
        }
        return value
    }

    private static func format(_ value: Double) -> String {
        String(format: value >= 10 ? "%.0f" : "%.1f", value)
    }
}
