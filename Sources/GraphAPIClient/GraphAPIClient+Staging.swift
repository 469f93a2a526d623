import Foundation
import GraphAPIContract
import GraphJSON


extension GraphAPIRequest {
    /// Seconds a load or an ingest request waits for its answer. The server answers only when the
    /// work is done and sets no time limit on it, so these wait far longer than other requests.
    public static let loadTimeoutSeconds: Double = 3_600

    /// `GET /databases/{graph_id}/tables`.
    public static func listTables(_ graphID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["databases", graphID, "tables"])
    }

    /// `POST /databases/{graph_id}/tables`, waiting up to ``loadTimeoutSeconds``.
    public static func createTable(_ graphID: String, _ request: CreateStagingTableRequest, async: Bool = false) throws -> GraphAPIRequest {
        GraphAPIRequest(
            method: "POST", pathSegments: ["databases", graphID, "tables"], queryItems: async ? [.init(name: "async", value: "true")] : [],
            body: try JSONEncoder().encode(request), timeoutSeconds: loadTimeoutSeconds
        )
    }

    /// `DELETE /databases/{graph_id}/tables/{table_name}`.
    public static func deleteTable(_ graphID: String, table: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "DELETE", pathSegments: ["databases", graphID, "tables", table])
    }

    /// `DELETE /databases/{graph_id}/tables/{table_name}/files/{file_id}`.
    public static func deleteTableFile(_ graphID: String, table: String, fileID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "DELETE", pathSegments: ["databases", graphID, "tables", table, "files", fileID])
    }

    /// `POST /databases/{graph_id}/tables/query`, answered with one JSON document.
    public static func queryTables(_ graphID: String, _ query: StagingQueryRequest) -> GraphAPIRequest {
        GraphAPIRequest(
            method: "POST", pathSegments: ["databases", graphID, "tables", "query"], body: Data(query.jsonBody.jsonText.utf8),
            accept: "application/json"
        )
    }

    /// `POST /databases/{graph_id}/tables/query?streaming=true[&chunk_size=N]`, answered with NDJSON.
    public static func streamTablesQuery(_ graphID: String, _ query: StagingQueryRequest, chunkSize: Int? = nil) -> GraphAPIRequest {
        var items = [QueryItem(name: "streaming", value: "true")]
        if let chunkSize { items.append(QueryItem(name: "chunk_size", value: String(chunkSize))) }
        return GraphAPIRequest(
            method: "POST", pathSegments: ["databases", graphID, "tables", "query"], queryItems: items,
            body: Data(query.jsonBody.jsonText.utf8), accept: "application/x-ndjson"
        )
    }

    /// `POST /databases/{graph_id}/tables/{table_name}/ingest`, waiting up to ``loadTimeoutSeconds``.
    public static func ingestTable(_ graphID: String, table: String, _ request: IngestRequest, async: Bool = false) throws -> GraphAPIRequest {
        GraphAPIRequest(
            method: "POST", pathSegments: ["databases", graphID, "tables", table, "ingest"],
            queryItems: async ? [.init(name: "async", value: "true")] : [], body: try JSONEncoder().encode(request),
            timeoutSeconds: loadTimeoutSeconds
        )
    }

    /// `POST /databases/{graph_id}/copy`.
    public static func copy(_ graphID: String, _ request: CopyRequest) throws -> GraphAPIRequest {
        GraphAPIRequest(method: "POST", pathSegments: ["databases", graphID, "copy"], body: try JSONEncoder().encode(request))
    }
}

extension GraphAPIClient {
    /// `GET /databases/{graph_id}/tables`: the graph's staged tables with their row counts, sizes,
    /// sources and columns.
    public func listTables(_ graphID: String) async throws -> [StagingTableInfo] {
        try await decoded([StagingTableInfo].self, .listTables(graphID))
    }

    /// `POST /databases/{graph_id}/tables`: loads Parquet or CSV sources (paths below the server's
    /// import directory, or `s3://` globs) into a staged table, replacing one of that name. Rows
    /// with an `identifier` are deduplicated on it; rows with `from` and `to` become `src, dst, …`
    /// deduplicated on the pair.
    ///
    /// The request waits for the answer up to ``GraphAPIRequest/loadTimeoutSeconds``.
    public func createTable(_ graphID: String, _ request: CreateStagingTableRequest) async throws -> CreateStagingTableResponse {
        try await decoded(CreateStagingTableResponse.self, .createTable(graphID, request))
    }

    /// `DELETE /databases/{graph_id}/tables/{table_name}`: drops a staged table (the graph keeps
    /// what was ingested from it).
    public func deleteTable(_ graphID: String, table: String) async throws -> StagingDeleteResponse {
        try await decoded(StagingDeleteResponse.self, .deleteTable(graphID, table: table))
    }

    /// `DELETE /databases/{graph_id}/tables/{table_name}/files/{file_id}`: deletes the staged rows
    /// that came from one source file. A file id with no rows is an error (404, `file_not_found`).
    public func deleteTableFile(_ graphID: String, table: String, fileID: String) async throws -> StagingDeleteResponse {
        try await decoded(StagingDeleteResponse.self, .deleteTableFile(graphID, table: table, fileID: fileID))
    }

    /// `POST /databases/{graph_id}/tables/query`: the whole result as one JSON document (at most
    /// the server's `max_rows` rows; ``StagingQueryResponse/truncated`` says whether more existed).
    /// Only one read-only `SELECT` or `WITH` statement is accepted.
    public func queryTables(_ graphID: String, _ query: StagingQueryRequest) async throws -> StagingQueryResponse {
        let body = try await send(tablesQueryRequest(graphID, query))
        do {
            return try StagingQueryResponse(json: try JSONValue(parsing: body))
        } catch let error as JSONSyntaxError {
            throw GraphAPIClientError(kind: .invalidResponse, detail: "the query result is not JSON: \(error)")
        }
    }

    /// `POST /databases/{graph_id}/tables/query` as NDJSON: the chunks as they arrive, up to the
    /// server's streaming row limit (the last chunk's ``StagingQueryChunk/truncated`` says
    /// whether it cut the result).
    ///
    /// The request starts when iteration starts. An in-band error ends the iteration with a
    /// ``GraphAPIClientError/Kind/streamFailed`` error, and so does a stream that ends without
    /// its last chunk. Leaving the loop early or cancelling the task closes the connection.
    public func streamTablesQuery(_ graphID: String, _ query: StagingQueryRequest, chunkSize: Int? = nil) -> StagingQueryChunkStream {
        var request = GraphAPIRequest.streamTablesQuery(graphID, query, chunkSize: chunkSize)
        request.timeoutSeconds = queryTimeout(seconds: query.timeoutSeconds)
        return StagingQueryChunkStream(client: self, request: request)
    }

    /// The request of a non-streaming staged-table query, waiting long enough for the query's own
    /// timeout.
    public func tablesQueryRequest(_ graphID: String, _ query: StagingQueryRequest) -> GraphAPIRequest {
        var request = GraphAPIRequest.queryTables(graphID, query)
        request.timeoutSeconds = queryTimeout(seconds: query.timeoutSeconds)
        return request
    }

    /// `POST /databases/{graph_id}/tables/{table_name}/ingest`: validates the staged table against
    /// the graph table of the same name and copies its rows in. Rows the graph would reject fail
    /// the whole ingest (400, `ingest_rows_rejected`, nothing copied) unless
    /// ``IngestRequest/ignoreErrors`` is set, which skips and counts exactly those rows.
    ///
    /// The request waits for the answer up to ``GraphAPIRequest/loadTimeoutSeconds``.
    public func ingestTable(_ graphID: String, table: String, _ request: IngestRequest = IngestRequest()) async throws -> IngestResponse {
        try await decoded(IngestResponse.self, .ingestTable(graphID, table: table, request))
    }

    /// `POST /databases/{graph_id}/copy`: starts a `copy` task that loads Parquet or CSV sources
    /// straight into a graph table. Problems found before the task starts (a source outside the
    /// import directory, no S3 credentials, an unknown graph) are thrown; problems of the copy
    /// itself fail the task (follow it with ``monitorTask(_:)``).
    public func copy(_ graphID: String, _ request: CopyRequest) async throws -> TaskAcceptedResponse {
        try await decoded(TaskAcceptedResponse.self, .copy(graphID, request))
    }

    /// `POST /databases/{graph_id}/tables?async=true`: the load of ``createTable(_:_:)`` as a
    /// `staging_load` task; its result is the answer the load would have had.
    public func startCreateTable(_ graphID: String, _ request: CreateStagingTableRequest) async throws -> TaskAcceptedResponse {
        try await decoded(TaskAcceptedResponse.self, .createTable(graphID, request, async: true))
    }

    /// `POST /databases/{graph_id}/tables/{table_name}/ingest?async=true`: the ingest of
    /// ``ingestTable(_:table:_:)`` as an `ingest` task; its result is the answer it would have had.
    public func startIngestTable(_ graphID: String, table: String, _ request: IngestRequest = IngestRequest()) async throws -> TaskAcceptedResponse {
        try await decoded(TaskAcceptedResponse.self, .ingestTable(graphID, table: table, request, async: true))
    }
}
