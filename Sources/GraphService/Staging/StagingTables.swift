import Logging
import Foundation
import GraphEngine
import Staging

/// What staged data looks like, decided by its column names.
enum StagedShape: String, Sendable {
    /// Has `identifier`: deduplicated on it, rows without one dropped.
    case node
    /// Has `from` and `to`: stored as `src, dst, ...`, deduplicated on `(src, dst)`.
    case relationship
    /// Neither: stored as read.
    case table
}

/// What one load from the sources did.
struct LoadOutcome: Sendable {
    var shape: StagedShape
    var rowsRead: Int64
    var rowsWritten: Int64
    /// The columns of the sources as read (names and DuckDB types), before any shaping.
    var columns: [SourceColumn] = []
}

/// A column of source files, as DuckDB describes it.
struct SourceColumn: Sendable, Equatable {
    var name: String
    var type: String
}

extension StagingService {
    /// The column the loader adds with each row's source file.
    static let sourceFileColumn = "__graph_api_source_file"

    /// Refuses changes on read-only nodes and graphs.
    func requireWritable(_ id: GraphID) throws(ServiceError) {
        if registry.settings.readOnlyNode {
            throw ServiceError.readOnlyNode("staging tables cannot be changed here")
        }
        if try registry.metadata(of: id).readOnly {
            throw ServiceError(.readOnlyDatabase, "database '\(id)' is read-only")
        }
    }

    /// Reads `sources` with a loader and writes them, shaped and deduplicated, as one Parquet file
    /// at `file` (inside the graph's `staging-io/`). A cancelled task interrupts DuckDB.
    ///
    /// - Parameters:
    ///   - shapeRows: whether to detect the node/relationship shape and deduplicate (staging);
    ///     `false` copies the rows as read (COPY's download step).
    ///   - progress: the task's progress, moved while DuckDB counts the sources' rows
    ///     (`counting_rows`) and reads and writes them (`reading_sources`, up to `readTo`).
    func load(
        _ sources: StagingSources, credentials: S3Credentials?, io: String, fileIDMap: [String: String], into file: String,
        shapeRows: Bool = true, progress: PhasedProgress? = nil, readTo: Double = 75
    ) async throws -> LoadOutcome {
        let importDirectory = self.importDirectory
        let loader = try await executor.run { try self.makeLoader(for: sources, credentials: credentials, io: io) }
        defer { loader.close() }
        // Counting reads every byte of CSV, and only the footers of Parquet.
        let countTo = (progress?.percent ?? 0) + (readTo - (progress?.percent ?? 0)) * (sources.format == .csv ? 0.4 : 0.05)
        return try await withStagingErrors {
            try await executor.run(on: loader.connection) { connection in
                let read = sources.readFunctionSQL(fileColumn: Self.sourceFileColumn)
                let described = try connection.query("DESCRIBE SELECT * FROM \(read)").rows()
                let columns = described.compactMap { $0.first?.stringValue }.filter { $0 != Self.sourceFileColumn }
                let names = Set(columns)
                let shape: StagedShape =
                    !shapeRows ? .table
                    : names.contains("identifier") ? .node
                    : (names.contains("from") && names.contains("to")) ? .relationship : .table
                if shape == .relationship, names.contains("src") || names.contains("dst") {
                    throw ServiceError(.invalidColumns, "relationship-shaped data (with 'from' and 'to') must not also have 'src' or 'dst' columns")
                }
                progress?.begin(
                    "counting_rows", "counting the rows of the sources", to: countTo, polling: connection,
                    rows: sources.format == .csv ? .none : .duckDB
                )
                let rowsRead = try connection.query("SELECT count(*) FROM \(read)").rows().first?.first?.int64Value ?? 0
                let fileColumn = StagingSQL.identifier(Self.sourceFileColumn)
                var fileID = "regexp_extract(\(fileColumn), '[^/]*$')"
                if !fileIDMap.isEmpty {
                    let cases = fileIDMap.keys.sorted().map { key -> String in
                        let path = key.hasPrefix("s3://") || key.hasPrefix("/") ? key : importDirectory + "/" + key
                        let normalized = key.hasPrefix("s3://") ? key : URL(fileURLWithPath: path).standardizedFileURL.path
                        return "WHEN \(StagingSQL.literal(normalized)) THEN \(StagingSQL.literal(fileIDMap[key]!))"
                    }
                    fileID = "CASE \(fileColumn) \(cases.joined(separator: " ")) ELSE \(fileID) END"
                }
                // A source that brings its own file_id keeps it unless the request maps files.
                let keepOwnFileID = names.contains("file_id") && fileIDMap.isEmpty
                var excluded = [Self.sourceFileColumn]
                if names.contains("file_id"), !keepOwnFileID { excluded.append("file_id") }
                let fileIDColumn = keepOwnFileID || !shapeRows ? "" : ", \(fileID) AS file_id"
                let select: String
                switch shape {
                case .node:
                    let exclusion = excluded.map(StagingSQL.identifier).joined(separator: ", ")
                    select =
                        "SELECT DISTINCT ON (identifier) * EXCLUDE (\(exclusion))\(fileIDColumn) FROM \(read) WHERE identifier IS NOT NULL"
                case .relationship:
                    let exclusion = (["from", "to"] + excluded).map(StagingSQL.identifier).joined(separator: ", ")
                    let rest = names.count > 2 || names.contains("file_id") ? ", * EXCLUDE (\(exclusion))" : ""
                    select =
                        "SELECT DISTINCT ON (\"from\", \"to\") \"from\" AS src, \"to\" AS dst\(rest)\(fileIDColumn) FROM \(read) "
                        + "WHERE \"from\" IS NOT NULL AND \"to\" IS NOT NULL"
                case .table where !shapeRows:
                    // Rows as read for the engine's COPY, which cannot read Parquet DECIMALs: as DOUBLE.
                    let items = described.compactMap { row -> String? in
                        guard let name = row.first?.stringValue, name != Self.sourceFileColumn else { return nil }
                        let type = row.count > 1 ? row[1].stringValue ?? "" : ""
                        let quoted = StagingSQL.identifier(name)
                        return type.uppercased().hasPrefix("DECIMAL") ? "CAST(\(quoted) AS DOUBLE) AS \(quoted)" : quoted
                    }
                    select = "SELECT \(items.joined(separator: ", ")) FROM \(read)"
                case .table:
                    let exclusion = excluded.map(StagingSQL.identifier).joined(separator: ", ")
                    select = "SELECT * EXCLUDE (\(exclusion))\(fileIDColumn) FROM \(read)"
                }
                progress?.begin(
                    "reading_sources", "reading \(rowsRead) rows from the sources", to: readTo, polling: connection, readsSources: true,
                    rows: .known(rowsRead)
                )
                let written = try connection.execute("COPY (\(select)) TO \(StagingSQL.literal(file)) (FORMAT parquet)")
                let sourceColumns = described.compactMap { row -> SourceColumn? in
                    guard let name = row.first?.stringValue, name != Self.sourceFileColumn else { return nil }
                    return SourceColumn(name: name, type: row.count > 1 ? row[1].stringValue ?? "" : "")
                }
                return LoadOutcome(shape: shape, rowsRead: rowsRead, rowsWritten: Int64(written), columns: sourceColumns)
            }
        }
    }

    /// `POST /databases/{graph_id}/tables`: loads the sources into a staged table, replacing one
    /// of that name.
    ///
    /// With `progress` (a `staging_load` task), DuckDB's progress moves the task through its
    /// phases: `counting_rows`, `reading_sources`, `writing_table`, `checkpointing`.
    package func createTable(
        graph id: GraphID, request: CreateStagingTableRequest, progress: PhasedProgress? = nil
    ) async throws -> CreateStagingTableResponse {
        let start = ContinuousClock.now
        let table = try TableName(validating: request.tableName)
        try requireWritable(id)
        let sources = try StagingSources(try request.sources(), format: request.format, importDirectory: importDirectory)
        for (path, fileID) in request.fileIDMap ?? [:] {
            try Self.validateFileID(fileID, field: "file_id_map['\(path)']")
        }
        let store = try await store(id)
        return try await gate(id).withPermit {
            let io = store.ioDirectory
            let file = io + "/load-\(UUID().uuidString).parquet"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let outcome = try await load(
                sources, credentials: request.s3Credentials, io: io, fileIDMap: request.fileIDMap ?? [:], into: file, progress: progress
            )
            let count = try await withStagingErrors {
                try await executor.run(on: store.writer) { connection in
                    let name = StagingSQL.identifier(table.rawValue)
                    try connection.execute("BEGIN TRANSACTION")
                    do {
                        progress?.begin("writing_table", "writing staging table '\(table)'", to: 95, polling: connection)
                        try connection.execute("CREATE OR REPLACE TABLE main.\(name) AS SELECT * FROM read_parquet(\(StagingSQL.literal(file)))")
                        _ = try connection.query(
                            "INSERT OR REPLACE INTO \(StagingStore.catalogTable) VALUES (?, ?, ?, \(StagingSQL.literalList(sources.paths))::VARCHAR[], ?, now()::TIMESTAMP)",
                            parameters: [.string(table.rawValue), .string(outcome.shape.rawValue), .string(sources.format.rawValue), .int(outcome.rowsRead)]
                        )
                        try connection.execute("COMMIT")
                    } catch {
                        _ = try? connection.execute("ROLLBACK")
                        throw error
                    }
                    progress?.begin("checkpointing", "checkpointing the staging file", to: 99)
                    try connection.execute("CHECKPOINT")
                    return try connection.query("SELECT count(*) FROM main.\(name)").rows().first?.first?.int64Value ?? 0
                }
            }
            logger.notice(
                "audit: staging table created",
                metadata: [
                    "audit": "staging_table_created", "graph_id": "\(id)", "table": "\(table)", "rows": "\(count)",
                    "shape": "\(outcome.shape.rawValue)", "sources": "\(sources.paths.count)",
                ]
            )
            return CreateStagingTableResponse(
                graphID: id.rawValue, tableName: table.rawValue, rowCount: count, rowsRead: outcome.rowsRead,
                rowsDropped: max(0, outcome.rowsRead - count), shape: outcome.shape.rawValue, format: sources.format.rawValue,
                executionTimeMilliseconds: (ContinuousClock.now - start).milliseconds
            )
        }
    }

    /// `GET /databases/{graph_id}/tables`.
    package func listTables(graph id: GraphID) async throws -> [StagingTableInfo] {
        let store = try await store(id)
        let connection = try store.readConnection()
        defer { connection.close() }
        return try await withStagingErrors {
            try await executor.run(on: connection) { connection in
                let blockSize = try connection.query("SELECT block_size FROM pragma_database_size()").rows().first?.first?.int64Value ?? 262_144
                let catalog = try connection.query(
                    "SELECT table_name, shape, format, source, strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') FROM \(StagingStore.catalogTable)"
                ).rows()
                var known: [String: (shape: String?, format: String?, source: [String], created: String?)] = [:]
                for row in catalog {
                    guard let name = row[0].stringValue else { continue }
                    known[name] = (row[1].stringValue, row[2].stringValue, row[3].stringListValue ?? [], row[4].stringValue)
                }
                let columns = try connection.query(
                    "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' "
                        + "AND database_name = current_database() ORDER BY table_name, column_index"
                ).rows()
                var columnsByTable: [String: [StagingColumnInfo]] = [:]
                for row in columns {
                    guard let table = row[0].stringValue, let name = row[1].stringValue, let type = row[2].stringValue else { continue }
                    columnsByTable[table, default: []].append(StagingColumnInfo(name: name, type: type))
                }
                let tables = try connection.query(
                    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() ORDER BY table_name"
                ).rows().compactMap { $0.first?.stringValue }
                return try tables.map { table in
                    let name = StagingSQL.identifier(table)
                    let rows = try connection.query("SELECT count(*) FROM main.\(name)").rows().first?.first?.int64Value ?? 0
                    let blocks = try connection.query(
                        "SELECT count(DISTINCT block_id) FROM pragma_storage_info(\(StagingSQL.literal("main." + name))) WHERE persistent"
                    ).rows().first?.first?.int64Value ?? 0
                    let info = known[table]
                    return StagingTableInfo(
                        graphID: id.rawValue, tableName: table, rowCount: rows, sizeBytes: blocks * blockSize,
                        source: info?.source ?? [], format: info?.format, shape: info?.shape, createdAt: info?.created,
                        columns: columnsByTable[table] ?? []
                    )
                }
            }
        }
    }

    /// `DELETE /databases/{graph_id}/tables/{table_name}`.
    package func deleteTable(graph id: GraphID, table: TableName) async throws -> Int64 {
        try requireWritable(id)
        let store = try await store(id)
        return try await gate(id).withPermit {
            let rows = try await withStagingErrors {
                try await executor.run(on: store.writer) { connection -> Int64? in
                    let name = StagingSQL.identifier(table.rawValue)
                    guard try Self.tableExists(table, on: connection) else { return nil }
                    let rows = try connection.query("SELECT count(*) FROM main.\(name)").rows().first?.first?.int64Value ?? 0
                    try connection.execute("BEGIN TRANSACTION")
                    do {
                        try connection.execute("DROP TABLE main.\(name)")
                        _ = try connection.query("DELETE FROM \(StagingStore.catalogTable) WHERE table_name = ?", parameters: [.string(table.rawValue)])
                        try connection.execute("COMMIT")
                    } catch {
                        _ = try? connection.execute("ROLLBACK")
                        throw error
                    }
                    try connection.execute("CHECKPOINT")
                    return rows
                }
            }
            guard let rows else { throw Self.tableNotFound(table, graph: id) }
            logger.notice(
                "audit: staging table deleted", metadata: ["audit": "staging_table_deleted", "graph_id": "\(id)", "table": "\(table)"]
            )
            return rows
        }
    }

    /// `DELETE /databases/{graph_id}/tables/{table_name}/files/{file_id}`: removes the rows that
    /// came from one source file.
    package func deleteFile(graph id: GraphID, table: TableName, fileID: String) async throws -> Int64 {
        try Self.validateFileID(fileID, field: "file_id")
        try requireWritable(id)
        let store = try await store(id)
        return try await gate(id).withPermit {
            let rows = try await withStagingErrors {
                try await executor.run(on: store.writer) { connection -> Int64? in
                    guard try Self.tableExists(table, on: connection) else { return nil }
                    let hasFileID = try !connection.query(
                        "SELECT 1 FROM duckdb_columns() WHERE schema_name = 'main' AND database_name = current_database() "
                            + "AND table_name = ? AND column_name = 'file_id'",
                        parameters: [.string(table.rawValue)]
                    ).rows().isEmpty
                    guard hasFileID else { return -1 }
                    let deleted = try connection.query(
                        "DELETE FROM main.\(StagingSQL.identifier(table.rawValue)) WHERE file_id = ?", parameters: [.string(fileID)]
                    ).rowsChanged
                    try connection.execute("CHECKPOINT")
                    return Int64(deleted)
                }
            }
            guard let rows else { throw Self.tableNotFound(table, graph: id) }
            if rows < 0 {
                throw ServiceError(.noFileIDs, "staging table '\(table)' has no file_id column")
            }
            if rows == 0 {
                throw ServiceError(.fileNotFound, "staging table '\(table)' has no rows from file '\(fileID)'")
            }
            logger.notice(
                "audit: staged file rows deleted",
                metadata: ["audit": "staging_file_deleted", "graph_id": "\(id)", "table": "\(table)", "file_id": "\(fileID)", "rows": "\(rows)"]
            )
            return rows
        }
    }

    static func tableExists(_ table: TableName, on connection: StagingConnection) throws -> Bool {
        try !connection.query(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() AND table_name = ?",
            parameters: [.string(table.rawValue)]
        ).rows().isEmpty
    }

    /// The shape a staged table was loaded with (`nil` for a table the catalog does not know).
    static func stagedShape(of table: String, on connection: StagingConnection) throws -> StagedShape? {
        try connection.query("SELECT shape FROM \(StagingStore.catalogTable) WHERE table_name = ?", parameters: [.string(table)])
            .rows().first?.first?.stringValue.flatMap(StagedShape.init(rawValue:))
    }

    static func tableNotFound(_ table: TableName, graph id: GraphID) -> ServiceError {
        ServiceError(.tableNotFound, "staging table '\(table)' does not exist in database '\(id)'")
    }

    /// File ids are 1-128 characters of letters, digits, `.`, `_`, `-` (they travel in URL paths).
    static func validateFileID(_ fileID: String, field: String) throws(ServiceError) {
        let valid =
            (1...128).contains(fileID.utf8.count)
            && fileID.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        guard valid, fileID != ".", fileID != ".." else {
            throw ServiceError(.invalidFileID, "invalid \(field) '\(fileID.prefix(80))': use 1-128 letters, digits, '.', '_' or '-'")
        }
    }
}
