import Foundation
import GraphJSON

extension StagingService {
    /// `?async=true` of `POST /tables`: the same load as ``createTable(graph:request:)``, run as a
    /// `staging_load` task whose result is the answer the request would have had. What can be
    /// checked before (the table name, the sources, the file ids, a writable graph) is checked
    /// before the `202`. DuckDB's progress moves the task while it reads (see ``PhasedProgress``).
    package func submitCreateTable(graph id: GraphID, request: CreateStagingTableRequest) async throws -> TaskRecord {
        let table = try TableName(validating: request.tableName)
        try requireWritable(id)
        let sources = try StagingSources(try request.sources(), format: request.format, importDirectory: importDirectory)
        for (path, fileID) in request.fileIDMap ?? [:] {
            try Self.validateFileID(fileID, field: "file_id_map['\(path)']")
        }
        let bytes = sources.localBytes
        let metadata: [String: JSONValue] = [
            "table_name": .string(table.rawValue), "sources": .array(sources.paths.map(JSONValue.string)),
            "format": .string(sources.format.rawValue),
        ]
        let copyRate = self.copyRate
        return try await tasks.submit(type: "staging_load", graphID: id, metadata: metadata) { progress in
            let phases = PhasedProgress(progress, totalBytes: bytes > 0 ? bytes : nil, copyRate: copyRate)
            progress.report(percent: nil, bytesProcessed: bytes > 0 ? 0 : nil, totalBytes: bytes > 0 ? bytes : nil)
            phases.report(percent: 5, message: "loading \(sources.paths.count) source(s) into staging table '\(table)'", phase: "starting")
            let response = try await phases.run { try await self.createTable(graph: id, request: request, progress: phases) }
            // 100% comes with the completion itself, never before.
            progress.report(
                percent: nil, rowsProcessed: response.rowCount, bytesProcessed: bytes > 0 ? bytes : nil,
                totalRows: response.rowCount, message: "loaded \(response.rowCount) rows", metadata: Self.finished
            )
            return try response.jsonValue()
        }
    }

    /// `?async=true` of `POST /tables/{table}/ingest`: the same ingest as
    /// ``ingest(graph:table:request:)``, run as an `ingest` task whose result is the answer the
    /// request would have had.
    package func submitIngest(graph id: GraphID, table: TableName, request: IngestRequest) async throws -> TaskRecord {
        try requireWritable(id)
        for fileID in request.fileIDs ?? [] { try Self.validateFileID(fileID, field: "file_ids") }
        let metadata: [String: JSONValue] = [
            "table_name": .string(table.rawValue), "ignore_errors": .bool(request.ignoreErrors), "rebuild": .bool(request.rebuild),
        ]
        let copyRate = self.copyRate
        return try await tasks.submit(type: "ingest", graphID: id, metadata: metadata) { progress in
            let phases = PhasedProgress(progress, totalBytes: nil, copyRate: copyRate)
            phases.report(
                percent: 5, message: request.rebuild ? "rebuilding the graph from staging" : "ingesting staging table '\(table)'", phase: "starting"
            )
            let response = try await phases.run { try await self.ingest(graph: id, table: table, request: request, progress: phases) }
            progress.report(
                percent: nil, rowsProcessed: response.rowsIngested, totalRows: response.rowsIngested + response.rowsSkipped,
                message: "ingested \(response.rowsIngested) rows into \(response.graphTable)", metadata: Self.finished
            )
            return try response.jsonValue()
        }
    }

    /// The progress metadata of a task that finished its work.
    static let finished: [String: JSONValue] = ["phase": "done", "eta_seconds": 0, "rows_per_second": .null]
}

extension StagingSources {
    /// The bytes of the local files (remote ones are not known before they are read).
    var localBytes: Int64 {
        files.filter { $0.hasPrefix("/") }.reduce(Int64(0)) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
        }
    }
}

extension Encodable {
    /// The value as a JSON value (keys sorted, slashes unescaped), for a task's result.
    func jsonValue() throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try JSONValue(parsing: String(decoding: try encoder.encode(self), as: UTF8.self))
    }
}
