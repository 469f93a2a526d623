import GraphAPIContract
import GraphJSON

// Hand-written, not the generated `Components.Schemas.QueryRequest`, `QueryResult` and
// `QueryChunk`: those hold parameters and rows as `OpenAPIValueContainer`/`OpenAPIObjectContainer`,
// which read numbers through `Int`/`Double` and objects into dictionaries, so a 128-bit integer or a
// long decimal would lose digits and a row its column order. These keep both as `JSONValue`, and
// `QueryChunk` is the model of the hand-written NDJSON stream.

/// The body of `POST /databases/{graph_id}/query`.
public struct QueryRequest: Sendable, Hashable {
    /// The Cypher statement.
    public var cypher: String
    /// Values for `$name` parameters (bound by the server through a prepared statement).
    public var parameters: [String: JSONValue]
    /// Timeout in seconds; `nil` takes the server's default.
    public var timeoutSeconds: Double?

    /// Creates a request.
    public init(cypher: String, parameters: [String: JSONValue] = [:], timeoutSeconds: Double? = nil) {
        self.cypher = cypher
        self.parameters = parameters
        self.timeoutSeconds = timeoutSeconds
    }

    /// The JSON body: `{"cypher": ..., "parameters": {...}, "timeout": ...}`, parameters sorted by
    /// name, numbers with their exact digits.
    public var jsonBody: JSONValue {
        var members = [JSONObject.Member(key: "cypher", value: .string(cypher))]
        if !parameters.isEmpty {
            let sorted = parameters.sorted { $0.key < $1.key }.map { JSONObject.Member(key: $0.key, value: $0.value) }
            members.append(JSONObject.Member(key: "parameters", value: .object(JSONObject(sorted))))
        }
        if let timeoutSeconds, let timeout = JSONValue.seconds(timeoutSeconds) {
            members.append(JSONObject.Member(key: "timeout", value: timeout))
        }
        return .object(JSONObject(members))
    }
}

extension JSONValue {
    /// A number of seconds as a request's `timeout`: a whole number without a fraction (`30`, not
    /// `30.0`); `nil` for NaN and the infinities.
    static func seconds(_ seconds: Double) -> JSONValue? {
        guard let number = JSONNumber(seconds) else { return nil }
        let whole = seconds.rounded() == seconds && abs(seconds) < 1e15
        return .number(whole ? JSONNumber(Int64(seconds)) : number)
    }
}

/// A non-streaming query result: `{columns, data, row_count, execution_time_ms, database, truncated}`.
public struct QueryResponse: Codable, Sendable, Hashable {
    /// Column names in order.
    public var columns: [String]
    /// One object per row, `{column: value}`, members in column order.
    public var data: [JSONObject]
    /// Rows in ``data``.
    public var rowCount: Int
    /// Server-side time of the query.
    public var executionTimeMilliseconds: Double
    /// The graph queried.
    public var database: String
    /// Whether the server cut the result at its row limit (more rows existed).
    public var truncated: Bool

    /// The rows as values in column order.
    public var rows: [[JSONValue]] {
        data.map { QueryResponse.values(of: $0, columns: columns) }
    }

    /// A row's values in column order: by position when the member names line up (so columns of
    /// the same name stay apart), by name otherwise; `null` where a column is missing.
    public static func values(of row: JSONObject, columns: [String]) -> [JSONValue] {
        if row.count == columns.count, zip(row.members, columns).allSatisfy({ $0.key == $1 }) {
            return row.members.map(\.value)
        }
        return columns.map { row[$0] ?? .null }
    }

    enum CodingKeys: String, CodingKey {
        case columns, data, database, truncated
        case rowCount = "row_count"
        case executionTimeMilliseconds = "execution_time_ms"
    }

    /// Reads a result from its parsed JSON, keeping every number's digits and every row's order.
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidResponse``).
    public init(json: JSONValue) throws(GraphAPIClientError) {
        let fields = try ResponseFields(json, what: "query result")
        columns = try fields.strings("columns")
        data = try fields.objects("data")
        rowCount = try fields.int("row_count") ?? data.count
        executionTimeMilliseconds = try fields.double("execution_time_ms") ?? 0
        database = try fields.string("database") ?? ""
        truncated = try fields.bool("truncated") ?? false
    }
}

/// One line of a streamed (NDJSON) query result.
public struct QueryChunk: Codable, Sendable, Hashable {
    /// 0, 1, 2, … in order.
    public var chunkIndex: Int
    /// Column names; on the first chunk only.
    public var columns: [String]?
    /// The chunk's rows, `{column: value}`.
    public var data: [JSONObject]
    /// Rows in this chunk.
    public var rowCount: Int
    /// Rows sent so far, this chunk included.
    public var totalRowsSent: Int
    /// Whether this is the last chunk (the stream always ends with one).
    public var isLastChunk: Bool
    /// Server-side time of the query; on the last chunk.
    public var executionTimeMilliseconds: Double?
    /// The graph queried; on the last chunk.
    public var database: String?

    enum CodingKeys: String, CodingKey {
        case columns, data, database
        case chunkIndex = "chunk_index"
        case rowCount = "row_count"
        case totalRowsSent = "total_rows_sent"
        case isLastChunk = "is_last_chunk"
        case executionTimeMilliseconds = "execution_time_ms"
    }

    /// Creates a chunk.
    public init(
        chunkIndex: Int, columns: [String]?, data: [JSONObject], rowCount: Int, totalRowsSent: Int, isLastChunk: Bool,
        executionTimeMilliseconds: Double? = nil, database: String? = nil
    ) {
        self.chunkIndex = chunkIndex
        self.columns = columns
        self.data = data
        self.rowCount = rowCount
        self.totalRowsSent = totalRowsSent
        self.isLastChunk = isLastChunk
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
        data = try fields.objects("data")
        rowCount = try fields.int("row_count") ?? data.count
        totalRowsSent = try fields.int("total_rows_sent") ?? 0
        guard let last = try fields.bool("is_last_chunk") else {
            throw GraphAPIClientError(kind: .invalidResponse, detail: "a stream line has no \"is_last_chunk\"")
        }
        isLastChunk = last
        executionTimeMilliseconds = try fields.double("execution_time_ms")
        database = try fields.string("database")
    }
}

extension QueryChunk: ResultChunk {
    /// The rows as values in column order (see ``QueryResponse/values(of:columns:)``).
    public func rowValues(columns: [String]) -> [[JSONValue]] {
        data.map { QueryResponse.values(of: $0, columns: columns) }
    }

    /// The rows as the server sent them.
    public func rowObjects(columns: [String]) -> [JSONObject] { data }
}

/// Typed access to the members of a response object, failing with `invalidResponse`.
struct ResponseFields {
    let object: JSONObject
    let what: String

    init(_ value: JSONValue, what: String) throws(GraphAPIClientError) {
        guard case .object(let object) = value else {
            throw GraphAPIClientError(kind: .invalidResponse, detail: "the \(what) is not a JSON object")
        }
        self.object = object
        self.what = what
    }

    func invalid(_ key: String, _ expected: String) -> GraphAPIClientError {
        GraphAPIClientError(kind: .invalidResponse, detail: "field \"\(key)\" of the \(what) is not \(expected)")
    }

    func strings(_ key: String) throws(GraphAPIClientError) -> [String] {
        guard case .array(let elements) = object[key] else { throw invalid(key, "an array of strings") }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let text) = element else { throw invalid(key, "an array of strings") }
            result.append(text)
        }
        return result
    }

    func objects(_ key: String) throws(GraphAPIClientError) -> [JSONObject] {
        guard case .array(let elements) = object[key] else { throw invalid(key, "an array of objects") }
        var result: [JSONObject] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .object(let row) = element else { throw invalid(key, "an array of objects") }
            result.append(row)
        }
        return result
    }

    func int(_ key: String) throws(GraphAPIClientError) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value, let int = Int(number.text) else { throw invalid(key, "an integer") }
        return int
    }

    func double(_ key: String) throws(GraphAPIClientError) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value, let double = Double(number.text) else { throw invalid(key, "a number") }
        return double
    }

    func bool(_ key: String) throws(GraphAPIClientError) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let bool) = value else { throw invalid(key, "a boolean") }
        return bool
    }

    func string(_ key: String) throws(GraphAPIClientError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw invalid(key, "a string") }
        return text
    }
}
