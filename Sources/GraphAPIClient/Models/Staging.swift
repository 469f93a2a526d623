import GraphAPIContract
import GraphJSON

// The wire models of the staging operations are the types generated from `openapi/openapi.json`
// (`Generated/`); these names are the client's for them. The staged-table query's request, answer
// and stream chunk (`StagingQueryRequest`, `StagingQueryResponse`, `StagingQueryChunk`) stay
// hand-written: the generated ones hold parameters and rows as `OpenAPIValueContainer`s, which
// lose numbers' exact digits, and the chunk is the model of the hand-written NDJSON stream.

/// A string or a list of strings: the `source` and `s3_pattern` of the staging and copy requests.
/// One value is sent as a string, several as a list.
public typealias StagingSourceList = Components.Schemas.StagingSources
/// The file format of staged or copied sources (`format`): `parquet` or `csv`.
public typealias StagingFileFormat = Components.Schemas.StagingFileFormat
/// What a staged table holds (`shape`): `node`, `relationship` or `table`.
public typealias StagingShape = Components.Schemas.StagingShape
/// Credentials for `s3://` sources (`s3_credentials`). Without them the server uses its own
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, … in its environment).
public typealias S3Credentials = Components.Schemas.S3Credentials
/// The body of `POST /databases/{graph_id}/tables`. Give the sources in `source` or in
/// `s3Pattern` (the original service's name for the same field), not both.
public typealias CreateStagingTableRequest = Components.Schemas.CreateStagingTableRequest
/// `201` answer of `POST /databases/{graph_id}/tables`.
public typealias CreateStagingTableResponse = Components.Schemas.CreateStagingTableResponse
/// One entry of `GET /databases/{graph_id}/tables`.
public typealias StagingTableInfo = Components.Schemas.StagingTable
/// A column of a staged table: its name and DuckDB type.
public typealias StagingColumn = Components.Schemas.StagingColumn
/// Answer of `DELETE /databases/{graph_id}/tables/{table_name}` and
/// `DELETE /databases/{graph_id}/tables/{table_name}/files/{file_id}`.
public typealias StagingDeleteResponse = Components.Schemas.StagingDeleteResponse
/// The body of `POST /databases/{graph_id}/tables/{table_name}/ingest`; every field is optional.
public typealias IngestRequest = Components.Schemas.IngestRequest
/// Answer of `POST /databases/{graph_id}/tables/{table_name}/ingest`.
public typealias IngestResponse = Components.Schemas.IngestResponse
/// The body of `POST /databases/{graph_id}/copy`: a background COPY of Parquet or CSV files
/// straight into a graph table. Give the sources in `source` or in `s3Pattern`, not both.
public typealias CopyRequest = Components.Schemas.CopyRequest

extension Components.Schemas.StagingSources: ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    /// A list of sources: one is sent as a string, several as a list.
    public init(_ values: [String]) {
        self = values.count == 1 ? .case1(values[0]) : .case2(values)
    }

    /// One source.
    public init(stringLiteral value: String) { self = .case1(value) }

    /// Several sources.
    public init(arrayLiteral elements: String...) { self.init(elements) }

    /// Local paths below the server's import directory (relative to it, or absolute) and
    /// `s3://bucket/prefix/*.parquet` globs, in order.
    public var values: [String] {
        switch self {
        case .case1(let value): [value]
        case .case2(let values): values
        }
    }
}

/// The body of `POST /databases/{graph_id}/tables/query`: one read-only `SELECT` or `WITH` over
/// the graph's staged tables.
public struct StagingQueryRequest: Sendable, Hashable {
    /// The SQL statement.
    public var sql: String
    /// Values for its positional parameters (`?`, `$1`, …), in order: strings, numbers, booleans
    /// or null.
    public var parameters: [JSONValue]
    /// Timeout in seconds; `nil` takes the server's default.
    public var timeoutSeconds: Double?

    /// Creates a request.
    public init(sql: String, parameters: [JSONValue] = [], timeoutSeconds: Double? = nil) {
        self.sql = sql
        self.parameters = parameters
        self.timeoutSeconds = timeoutSeconds
    }

    /// The JSON body: `{"sql": ..., "parameters": [...], "timeout": ...}`, numbers with their
    /// exact digits.
    public var jsonBody: JSONValue {
        var members = [JSONObject.Member(key: "sql", value: .string(sql))]
        if !parameters.isEmpty { members.append(JSONObject.Member(key: "parameters", value: .array(parameters))) }
        if let timeoutSeconds, let timeout = JSONValue.seconds(timeoutSeconds) {
            members.append(JSONObject.Member(key: "timeout", value: timeout))
        }
        return .object(JSONObject(members))
    }
}

/// A non-streaming result over staged tables: `{columns, column_types, rows, row_count,
/// truncated, execution_time_ms, database}`, each row an array in column order.
public struct StagingQueryResponse: Sendable, Hashable {
    /// Column names in order.
    public var columns: [String]
    /// The columns' DuckDB types.
    public var columnTypes: [String]
    /// The rows, values in column order.
    public var rows: [[JSONValue]]
    /// Rows in ``rows``.
    public var rowCount: Int
    /// Whether the server cut the result at its row limit (more rows existed).
    public var truncated: Bool
    /// Server-side time of the query.
    public var executionTimeMilliseconds: Double
    /// The graph whose staged tables were queried.
    public var database: String

    /// Reads a result from its parsed JSON, keeping every number's digits.
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidResponse``).
    public init(json: JSONValue) throws(GraphAPIClientError) {
        let fields = try ResponseFields(json, what: "staging query result")
        columns = try fields.strings("columns")
        columnTypes = fields.object["column_types"] == nil ? [] : try fields.strings("column_types")
        rows = try fields.rows("rows")
        rowCount = try fields.int("row_count") ?? rows.count
        truncated = try fields.bool("truncated") ?? false
        executionTimeMilliseconds = try fields.double("execution_time_ms") ?? 0
        database = try fields.string("database") ?? ""
    }
}

/// One line of a streamed (NDJSON) result over staged tables; framed like ``QueryChunk``, with
/// each row an array in column order.
public struct StagingQueryChunk: Sendable, Hashable, ResultChunk {
    /// 0, 1, 2, … in order.
    public var chunkIndex: Int
    /// Column names; on the first chunk only.
    public var columns: [String]?
    /// The chunk's rows, values in column order.
    public var rows: [[JSONValue]]
    /// Rows in this chunk.
    public var rowCount: Int
    /// Rows sent so far, this chunk included.
    public var totalRowsSent: Int
    /// Whether this is the last chunk (the stream always ends with one).
    public var isLastChunk: Bool
    /// Whether the server cut the result at its streaming row limit; on the last chunk.
    public var truncated: Bool?
    /// Server-side time of the query; on the last chunk.
    public var executionTimeMilliseconds: Double?
    /// The graph queried; on the last chunk.
    public var database: String?

    /// Creates a chunk.
    public init(
        chunkIndex: Int, columns: [String]?, rows: [[JSONValue]], rowCount: Int, totalRowsSent: Int, isLastChunk: Bool,
        truncated: Bool? = nil, executionTimeMilliseconds: Double? = nil, database: String? = nil
    ) {
        self.chunkIndex = chunkIndex
        self.columns = columns
        self.rows = rows
        self.rowCount = rowCount
        self.totalRowsSent = totalRowsSent
        self.isLastChunk = isLastChunk
        self.truncated = truncated
        self.executionTimeMilliseconds = executionTimeMilliseconds
        self.database = database
    }

    /// Reads one parsed NDJSON line.
    ///
    /// - Throws: ``GraphAPIClientError``: ``GraphAPIClientError/Kind/streamFailed`` with the
    ///   server's message and code for an in-band error line (`{"error", "code", "is_last_chunk": true}`),
    ///   ``GraphAPIClientError/Kind/invalidResponse`` for a line that is not a chunk.
    public init(json: JSONValue) throws(GraphAPIClientError) {
        let fields = try ResponseFields(json, what: "stream line")
        if let error = fields.object["error"] {
            throw GraphAPIClientError(
                kind: .streamFailed, status: 200, detail: error.stringValue ?? error.jsonText,
                code: fields.object["code"]?.stringValue
            )
        }
        chunkIndex = try fields.int("chunk_index") ?? 0
        columns = fields.object["columns"] == nil || fields.object["columns"] == .null ? nil : try fields.strings("columns")
        rows = try fields.rows("data")
        rowCount = try fields.int("row_count") ?? rows.count
        totalRowsSent = try fields.int("total_rows_sent") ?? 0
        guard let last = try fields.bool("is_last_chunk") else {
            throw GraphAPIClientError(kind: .invalidResponse, detail: "a stream line has no \"is_last_chunk\"")
        }
        isLastChunk = last
        truncated = try fields.bool("truncated")
        executionTimeMilliseconds = try fields.double("execution_time_ms")
        database = try fields.string("database")
    }

    /// The rows (already in column order).
    public func rowValues(columns: [String]) -> [[JSONValue]] { rows }

    /// The rows as `{column: value}` objects; a column missing from a short row is `null`.
    public func rowObjects(columns: [String]) -> [JSONObject] {
        rows.map { row in
            JSONObject(columns.enumerated().map { index, name in JSONObject.Member(key: name, value: index < row.count ? row[index] : .null) })
        }
    }
}

extension ResponseFields {
    /// An array of arrays (the rows of a SQL result).
    func rows(_ key: String) throws(GraphAPIClientError) -> [[JSONValue]] {
        guard case .array(let elements) = object[key] else { throw invalid(key, "an array of arrays") }
        var result: [[JSONValue]] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .array(let row) = element else { throw invalid(key, "an array of arrays") }
            result.append(row)
        }
        return result
    }
}
