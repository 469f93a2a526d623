import GraphJSON

// Still hand-written beside the generated types. The staged-table query's request, answer and
// stream chunk (`StagingQueryRequest`, `StagingQueryResponse`, `StagingQueryChunk`) must stay so:
// the generated ones hold parameters and rows as `OpenAPIValueContainer`s, which lose numbers'
// exact digits, and the chunk is the model of the hand-written NDJSON stream. The others (loads,
// ingest, copy) are due to become typealiases of `Components.Schemas` as `Databases.swift`'s did.

/// A string or a list of strings: the `source` and `s3_pattern` of the staging and copy requests.
/// One value is sent as a string, several as a list.
public struct StagingSourceList: Codable, Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    /// Local paths below the server's import directory (relative to it, or absolute) and
    /// `s3://bucket/prefix/*.parquet` globs, in order.
    public var values: [String]

    /// Creates a list.
    public init(_ values: [String]) { self.values = values }

    /// One source.
    public init(stringLiteral value: String) { self.values = [value] }

    /// Several sources.
    public init(arrayLiteral elements: String...) { self.values = elements }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            values = [one]
        } else {
            values = try container.decode([String].self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if values.count == 1 {
            try container.encode(values[0])
        } else {
            try container.encode(values)
        }
    }
}

/// The file format of staged or copied sources (`format`).
public struct StagingFileFormat: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The wire value.
    public var rawValue: String

    /// Wraps a wire value (the server decides whether it knows it).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Apache Parquet.
    public static let parquet = StagingFileFormat(rawValue: "parquet")
    /// CSV with a header line.
    public static let csv = StagingFileFormat(rawValue: "csv")

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Credentials for `s3://` sources (`s3_credentials`). Without them the server uses its own
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, … in its environment).
public struct S3Credentials: Codable, Sendable, Hashable {
    /// `aws_access_key_id`.
    public var accessKeyID: String
    /// `aws_secret_access_key`.
    public var secretAccessKey: String
    /// `aws_session_token`, for temporary credentials.
    public var sessionToken: String?
    /// `region` (the server's default is `us-east-1`).
    public var region: String?
    /// `endpoint_url` of an S3-compatible store (`http://127.0.0.1:9000`); `nil` for AWS.
    public var endpointURL: String?

    /// Creates credentials.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String? = nil, endpointURL: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.endpointURL = endpointURL
    }

    enum CodingKeys: String, CodingKey {
        case accessKeyID = "aws_access_key_id"
        case secretAccessKey = "aws_secret_access_key"
        case sessionToken = "aws_session_token"
        case region
        case endpointURL = "endpoint_url"
    }
}

/// The body of `POST /databases/{graph_id}/tables`. Give the sources in ``source`` or in
/// ``s3Pattern`` (the original service's name for the same field), not both.
public struct CreateStagingTableRequest: Codable, Sendable, Hashable {
    /// The staged table's name (a table of that name is replaced).
    public var tableName: String
    /// The sources.
    public var source: StagingSourceList?
    /// The sources, under the name `s3_pattern`.
    public var s3Pattern: StagingSourceList?
    /// The format; `nil` lets the server infer it from the sources' extensions.
    public var format: StagingFileFormat?
    /// File ids by source path (each row records the id of its file; by default its file name).
    public var fileIDMap: [String: String]?
    /// Credentials for `s3://` sources; `nil` takes the server's.
    public var s3Credentials: S3Credentials?

    /// Creates a request.
    public init(
        tableName: String, source: StagingSourceList? = nil, s3Pattern: StagingSourceList? = nil, format: StagingFileFormat? = nil,
        fileIDMap: [String: String]? = nil, s3Credentials: S3Credentials? = nil
    ) {
        self.tableName = tableName
        self.source = source
        self.s3Pattern = s3Pattern
        self.format = format
        self.fileIDMap = fileIDMap
        self.s3Credentials = s3Credentials
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "table_name"
        case source
        case s3Pattern = "s3_pattern"
        case format
        case fileIDMap = "file_id_map"
        case s3Credentials = "s3_credentials"
    }
}

/// `201` answer of `POST /databases/{graph_id}/tables`.
public struct CreateStagingTableResponse: Codable, Sendable, Hashable {
    /// `success`.
    public var status: String
    /// The graph.
    public var graphID: String
    /// The staged table.
    public var tableName: String
    /// Rows in the staged table (after deduplication).
    public var rowCount: Int64
    /// Rows read from the sources.
    public var rowsRead: Int64?
    /// Rows dropped: repeating the key (or the endpoint pair) of another row, or without one.
    public var rowsDropped: Int64?
    /// `node` (has `identifier`), `relationship` (has `from` and `to`) or `table`.
    public var shape: String?
    /// The format read.
    public var format: StagingFileFormat?
    /// Server-side time of the load.
    public var executionTimeMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case tableName = "table_name"
        case rowCount = "row_count"
        case rowsRead = "rows_read"
        case rowsDropped = "rows_dropped"
        case shape, format
        case executionTimeMilliseconds = "execution_time_ms"
    }
}

/// One entry of `GET /databases/{graph_id}/tables`.
public struct StagingTableInfo: Codable, Sendable, Hashable {
    /// A column of a staged table.
    public struct Column: Codable, Sendable, Hashable {
        /// The column's name.
        public var name: String
        /// Its DuckDB type (`VARCHAR`, `BIGINT`, …).
        public var type: String
    }

    /// The graph.
    public var graphID: String
    /// The staged table.
    public var tableName: String
    /// Its rows.
    public var rowCount: Int64
    /// Bytes it takes in the staging file.
    public var sizeBytes: UInt64
    /// The sources it was loaded from (local paths as absolute paths on the server).
    public var source: [String]
    /// The format it was loaded from.
    public var format: StagingFileFormat?
    /// `node`, `relationship` or `table`.
    public var shape: String?
    /// When it was loaded (ISO-8601 UTC).
    public var createdAt: String?
    /// Its columns in order.
    public var columns: [Column]

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case tableName = "table_name"
        case rowCount = "row_count"
        case sizeBytes = "size_bytes"
        case source, format, shape
        case createdAt = "created_at"
        case columns
    }
}

/// Answer of `DELETE /databases/{graph_id}/tables/{table_name}` and
/// `DELETE /databases/{graph_id}/tables/{table_name}/files/{file_id}`.
public struct StagingDeleteResponse: Codable, Sendable, Hashable {
    /// `deleted`.
    public var status: String
    /// The graph.
    public var graphID: String
    /// The staged table.
    public var tableName: String
    /// The file whose rows were deleted (file deletes only).
    public var fileID: String?
    /// Rows deleted.
    public var rowsDeleted: Int64

    enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case tableName = "table_name"
        case fileID = "file_id"
        case rowsDeleted = "rows_deleted"
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

/// The body of `POST /databases/{graph_id}/tables/{table_name}/ingest`; every field is optional.
public struct IngestRequest: Codable, Sendable, Hashable {
    /// Skip (and count) the rows the graph would reject instead of failing the whole ingest.
    public var ignoreErrors: Bool?
    /// Recreate the graph from its schema and every staged table, atomically.
    public var rebuild: Bool?
    /// With `rebuild`: rebuild even when rows of the graph that no staged table holds would be
    /// dropped (otherwise the server refuses with `409 rebuild_would_lose_data`).
    public var acceptDataLoss: Bool?
    /// Only the rows of these source files (their `file_id`).
    public var fileIDs: [String]?

    /// Creates a request.
    public init(ignoreErrors: Bool? = nil, rebuild: Bool? = nil, acceptDataLoss: Bool? = nil, fileIDs: [String]? = nil) {
        self.ignoreErrors = ignoreErrors
        self.rebuild = rebuild
        self.acceptDataLoss = acceptDataLoss
        self.fileIDs = fileIDs
    }

    enum CodingKeys: String, CodingKey {
        case ignoreErrors = "ignore_errors"
        case rebuild
        case acceptDataLoss = "accept_data_loss"
        case fileIDs = "file_ids"
    }
}

/// Answer of `POST /databases/{graph_id}/tables/{table_name}/ingest`.
public struct IngestResponse: Codable, Sendable, Hashable {
    /// `success`.
    public var status: String
    /// The graph.
    public var graphID: String
    /// The staged table.
    public var tableName: String
    /// The graph table the rows went into.
    public var graphTable: String?
    /// Rows copied into the graph (with a rebuild: from every staged table).
    public var rowsIngested: Int64
    /// Rows skipped (with ``IngestRequest/ignoreErrors``).
    public var rowsSkipped: Int64
    /// What was skipped or merged, and why.
    public var warnings: [String]
    /// Whether the graph was rebuilt from every staged table.
    public var rebuilt: Bool?
    /// Server-side time of the ingest.
    public var executionTimeMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case tableName = "table_name"
        case graphTable = "graph_table"
        case rowsIngested = "rows_ingested"
        case rowsSkipped = "rows_skipped"
        case warnings, rebuilt
        case executionTimeMilliseconds = "execution_time_ms"
    }
}

/// The body of `POST /databases/{graph_id}/copy`: a background COPY of Parquet or CSV files
/// straight into a graph table. Give the sources in ``source`` or in ``s3Pattern``, not both.
public struct CopyRequest: Codable, Sendable, Hashable {
    /// The graph table (node or relationship table) to copy into.
    public var tableName: String
    /// The sources.
    public var source: StagingSourceList?
    /// The sources, under the name `s3_pattern`.
    public var s3Pattern: StagingSourceList?
    /// The format; `nil` lets the server infer it from the sources' extensions.
    public var format: StagingFileFormat?
    /// Skip (and count) the rows the graph would reject instead of failing the copy.
    public var ignoreErrors: Bool?
    /// Credentials for `s3://` sources; `nil` takes the server's.
    public var s3Credentials: S3Credentials?

    /// Creates a request.
    public init(
        tableName: String, source: StagingSourceList? = nil, s3Pattern: StagingSourceList? = nil, format: StagingFileFormat? = nil,
        ignoreErrors: Bool? = nil, s3Credentials: S3Credentials? = nil
    ) {
        self.tableName = tableName
        self.source = source
        self.s3Pattern = s3Pattern
        self.format = format
        self.ignoreErrors = ignoreErrors
        self.s3Credentials = s3Credentials
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "table_name"
        case source
        case s3Pattern = "s3_pattern"
        case format
        case ignoreErrors = "ignore_errors"
        case s3Credentials = "s3_credentials"
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
