import Logging
import Foundation
import GraphEngine
import Staging

extension StagingService {
    /// `POST /databases/{graph_id}/tables/{table_name}/ingest`: validates the staged table
    /// against the graph table of the same name and copies it in (see ``GraphIngest``). Ingests
    /// of one graph run one at a time, in order; queries keep running. With `progress` (an
    /// `ingest` task), DuckDB's progress moves the task while it checks and writes the rows, and
    /// the COPY rate's estimate while the graph copies them in (see ``GraphIngest``); a rebuild
    /// reports no phases.
    package func ingest(
        graph id: GraphID, table: TableName, request: IngestRequest, progress: PhasedProgress? = nil
    ) async throws -> IngestResponse {
        let start = ContinuousClock.now
        try requireWritable(id)
        for fileID in request.fileIDs ?? [] { try Self.validateFileID(fileID, field: "file_ids") }
        let store = try await store(id)
        return try await gate(id).withPermit {
            let (exists, shape) = try await withStagingErrors {
                try await executor.run(on: store.writer) { connection in
                    (try Self.tableExists(table, on: connection), try Self.stagedShape(of: table.rawValue, on: connection))
                }
            }
            guard exists else { throw Self.tableNotFound(table, graph: id) }
            if request.rebuild {
                return try await rebuild(
                    graph: id, store: store, requested: table, ignoreErrors: request.ignoreErrors, acceptDataLoss: request.acceptDataLoss,
                    start: start
                )
            }
            let ingest = GraphIngest(
                source: "main." + StagingSQL.identifier(table.rawValue), sourceName: table.rawValue, graphTableName: table.rawValue,
                fileIDs: request.fileIDs, shape: shape, ignoreErrors: request.ignoreErrors, io: store.ioDirectory, duckdb: store.writer,
                executor: executor, target: .live(id, registry: registry), progress: progress
            )
            let outcome = try await withGraphErrors(id) { try await ingest.run() }
            logger.notice(
                "audit: staging table ingested",
                metadata: [
                    "audit": "ingest", "graph_id": "\(id)", "table": "\(table)", "graph_table": "\(outcome.graphTable)",
                    "rows": "\(outcome.rowsIngested)", "skipped": "\(outcome.rowsSkipped)",
                ]
            )
            metrics.ingestRows(Int(outcome.rowsIngested), skipped: Int(outcome.rowsSkipped))
            return IngestResponse(
                graphID: id.rawValue, tableName: table.rawValue, graphTable: outcome.graphTable, rowsIngested: outcome.rowsIngested,
                rowsSkipped: outcome.rowsSkipped, warnings: outcome.warnings, rebuilt: false,
                executionTimeMilliseconds: (ContinuousClock.now - start).milliseconds
            )
        }
    }

    /// Runs `body`, turning engine failures into the contract's errors.
    func withGraphErrors<T>(_ id: GraphID, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EngineError {
            var failure = ServiceError.engine(error)
            if failure.category == .invalidRequest { failure.code = .ingestFailed }
            throw failure
        } catch let error as StagingError {
            throw ServiceError.staging(error)
        }
    }
}
