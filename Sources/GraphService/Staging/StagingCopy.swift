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
            guard let graphTable = (catalog.nodeTables.map(\.name) + catalog.relTables.map(\.name)).first(where: { $0 == table.rawValue })
                ?? (catalog.nodeTables.map(\.name) + catalog.relTables.map(\.name)).first(where: { $0.lowercased() == table.rawValue.lowercased() })
            else {
                throw ServiceError(.graphTableNotFound, "the graph has no node or relationship table named '\(table)'")
            }
            let isNode = catalog.nodeTables.contains { $0.name == graphTable }
            let countQuery =
                isNode
                ? "MATCH (n:\(SchemaQuoting.name(graphTable))) RETURN count(n)" : "MATCH ()-[r:\(SchemaQuoting.name(graphTable))]->() RETURN count(r)"
            let bytes = sources.localBytes
            let direct = !ignoreErrors && !sources.hasRemote
            if direct, !(try await hasDecimalColumns(sources, io: try ioDirectory(id))) {
                let before = try await withGraphErrors(id) { try await target.read(countQuery) } ?? 0
                let list = "[" + sources.files.map(SchemaQuoting.stringLiteral).joined(separator: ", ") + "]"
                let options = sources.format == .csv ? " (header=true)" : ""
                try await copyRate.reporting(bytes: bytes, from: 5, to: 95, table: graphTable, progress: progress) {
                    try await withGraphErrors(id) { try await target.copy("COPY \(SchemaQuoting.name(graphTable)) FROM \(list)\(options)") }
                }
                let after = try await withGraphErrors(id) { try await target.read(countQuery) } ?? 0
                progress.report(percent: 100, rowsProcessed: after - before, bytesProcessed: bytes > 0 ? bytes : nil, message: "copied")
                return CopyOutcome(graphTable: graphTable, rowsCopied: after - before, rowsSkipped: 0, warnings: [], direct: true)
            }
            let io = try ioDirectory(id)
            let file = io + "/copy-\(UUID().uuidString).parquet"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let loaded = try await load(sources, credentials: credentials, io: io, fileIDMap: [:], into: file, shapeRows: ignoreErrors)
            let fileBytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? nil
            progress.report(
                percent: 40, rowsProcessed: 0, bytesProcessed: bytes > 0 ? bytes : fileBytes, totalRows: loaded.rowsWritten,
                message: "read \(loaded.rowsRead) rows"
            )
            if !ignoreErrors {
                let before = try await withGraphErrors(id) { try await target.read(countQuery) } ?? 0
                try await copyRate.reporting(bytes: fileBytes ?? 0, from: 40, to: 95, table: graphTable, progress: progress) {
                    try await withGraphErrors(id) { try await target.copy("COPY \(SchemaQuoting.name(graphTable)) FROM \(SchemaQuoting.stringLiteral(file))") }
                }
                let after = try await withGraphErrors(id) { try await target.read(countQuery) } ?? 0
                progress.report(percent: 100, rowsProcessed: after - before, message: "copied")
                return CopyOutcome(graphTable: graphTable, rowsCopied: after - before, rowsSkipped: 0, warnings: [], direct: false)
            }
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
                source: "read_parquet(\(StagingSQL.literal(file)))", sourceName: sources.paths.count == 1 ? sources.paths[0] : "the sources",
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
}

extension StagingService {
    /// Whether local Parquet `sources` have a DECIMAL column, which LadybugDB's COPY refuses
    /// ("Unsupported converted type"). Reads only the files' metadata.
    func hasDecimalColumns(_ sources: StagingSources, io: String) async throws -> Bool {
        guard sources.format == .parquet, !sources.hasRemote else { return false }
        let loader = try await executor.run { try self.makeLoader(for: sources, credentials: nil, io: io) }
        defer { loader.close() }
        let connection = try loader.connect()
        defer { connection.close() }
        return try await withStagingErrors {
            try await executor.run(on: connection) { connection in
                try connection.query("DESCRIBE SELECT * FROM \(sources.readFunctionSQL())").rows().contains { row in
                    row.count > 1 && (row[1].stringValue ?? "").uppercased().hasPrefix("DECIMAL")
                }
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
    /// `bytes` should take at the current rate (never reaching `to`), then learns the rate.
    func reporting<T: Sendable>(
        bytes: Int64, from: Double, to: Double, table: String, progress: TaskProgress, _ copy: () async throws -> T
    ) async throws -> T {
        let rate = bytesPerSecond.withLock { $0 }
        let expected = max(0.2, Double(bytes) / rate)
        let started = ContinuousClock.now
        let megabytes = Double(bytes) / 1_000_000
        progress.report(
            percent: from, bytesProcessed: 0, totalBytes: bytes > 0 ? bytes : nil,
            message: "copying \(Self.format(megabytes)) MB into \(table)"
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
                        + "(estimated at \(Self.format(rate / 1_000_000)) MB/s; the engine reports no progress)"
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
