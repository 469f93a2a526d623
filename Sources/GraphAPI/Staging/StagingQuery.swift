import Foundation
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Staging
import Synchronization

/// The body of `POST /databases/{graph_id}/tables/query`: `{"sql": "...", "parameters": [..], "timeout": s}`.
struct StagingQueryRequest: Sendable {
    var sql: String
    var parameters: [StagingValue]
    var timeoutSeconds: Double?

    static let fields = ["sql", "parameters", "timeout"]

    /// Parses the body strictly: `400 invalid_json` for bad JSON, `422` for a missing `sql`, an
    /// unknown field, or a field of the wrong type (parameters must be scalars).
    init(body: ByteBuffer) throws(APIError) {
        let parsed: Result<EngineValue, JSONValueParser.SyntaxError> = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONValueParser.SyntaxError) in try JSONValueParser.parse(bytes) }
        }
        let root: EngineValue
        switch parsed {
        case .success(let value): root = value
        case .failure(let error):
            if body.readableBytes == 0 { throw APIError.unprocessable("the request body is empty: expected {\"sql\": \"...\"}") }
            throw APIError.badRequest("the request body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard case .map(let fields) = root else { throw APIError.unprocessable("the request body must be a JSON object") }
        var sql: String?
        var parameters: [StagingValue] = []
        for (key, value) in fields {
            switch key {
            case "sql":
                guard case .string(let text) = value else { throw APIError.unprocessable("field 'sql' must be a string") }
                sql = text
            case "parameters":
                switch value {
                case .null: break
                case .list(let items):
                    for (index, item) in items.enumerated() { parameters.append(try Self.value(item, index: index)) }
                default: throw APIError.unprocessable("field 'parameters' must be a list")
                }
            case "timeout":
                switch value {
                case .null: break
                case .int64(let seconds) where seconds > 0: timeoutSeconds = Double(seconds)
                case .double(let seconds) where seconds > 0 && seconds.isFinite: timeoutSeconds = seconds
                default: throw APIError.unprocessable("field 'timeout' must be a positive number of seconds")
                }
            default:
                throw APIError.unprocessable("unknown field '\(key)'; accepted: sql, parameters, timeout")
            }
        }
        guard let sql else { throw APIError.unprocessable("missing required field 'sql'") }
        guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("sql is empty", code: "sql_syntax_error")
        }
        self.sql = sql
        self.parameters = parameters
    }

    private static func value(_ item: EngineValue, index: Int) throws(APIError) -> StagingValue {
        switch item {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int64(let value): return .int(value)
        case .uint64(let value): return .uint(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .int128(let digits):
            guard let value = Int128(digits) else { throw APIError.unprocessable("parameters[\(index)] is out of range") }
            return .hugeint(value)
        default:
            throw APIError.unprocessable("parameters[\(index)] must be a string, number, boolean or null")
        }
    }
}

/// Reads rows across DuckDB's chunks, a given number at a time. Used on one staging executor
/// thread at a time.
final class StagingRowCursor: @unchecked Sendable {
    private let result: StagingResult
    private var chunk: StagingChunk?
    private var row = 0
    private var finished = false
    private var remaining: Int

    init(result: StagingResult, limit: Int) {
        self.result = result
        self.remaining = limit
    }

    /// Writes up to `count` rows as JSON arrays (comma-separated) into `buffer`; returns how many.
    func writeRows(into buffer: inout ByteBuffer, count: Int) -> Int {
        var written = 0
        while written < count, remaining > 0 {
            if chunk == nil || row >= chunk!.count {
                guard !finished, let next = result.nextChunk() else {
                    finished = true
                    break
                }
                chunk = next
                row = 0
                if next.count == 0 { continue }
            }
            guard let chunk else { break }
            if written > 0 { buffer.writeStaticString(",") }
            buffer.writeStaticString("[")
            for column in 0..<chunk.columnCount {
                if column > 0 { buffer.writeStaticString(",") }
                buffer.writeJSON(chunk.value(row: row, column: column))
            }
            buffer.writeStaticString("]")
            row += 1
            written += 1
            remaining -= 1
        }
        return written
    }

    /// Whether rows beyond the limit exist (reads ahead one row; call once the limit is reached).
    var hasRowsBeyondLimit: Bool {
        if let chunk, row < chunk.count { return true }
        guard !finished else { return false }
        while let next = result.nextChunk() {
            if next.count > 0 {
                chunk = next
                row = 0
                return true
            }
        }
        finished = true
        return false
    }

    /// Whether every row (within the limit) has been written.
    var isExhausted: Bool {
        if remaining == 0 { return true }
        if let chunk, row < chunk.count { return false }
        if finished { return true }
        // Look ahead for the next non-empty chunk.
        while let next = result.nextChunk() {
            if next.count > 0 {
                chunk = next
                row = 0
                return false
            }
        }
        finished = true
        return true
    }
}

extension StagingController {
    /// `POST /databases/{graph_id}/tables/query`: one read-only `SELECT`/`WITH` over the staged
    /// tables, in a read-only transaction on the locked-down store, with a row cap and a timeout
    /// that interrupts DuckDB.
    func query(_ request: Request, context: GraphRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let configuration = server.configuration
        let format = try QueryResponseFormat(
            request: request, defaultChunkSize: configuration.chunkSize ?? configuration.tier.preset.chunkSize
        )
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let input = try StagingQueryRequest(body: body)
        let timeoutSeconds = min(input.timeoutSeconds ?? configuration.defaultQueryTimeoutSeconds, configuration.maxQueryTimeoutSeconds)
        let maxRows: Int
        switch format {
        case .json: maxRows = configuration.maxRows
        case .ndjson, .serverSentEvents: maxRows = configuration.maxStagingStreamRows
        }
        let store = try await staging.store(context.graphID)
        let connection = try store.readConnection()
        let executor = staging.executor
        let sql = Self.trimmedStatement(input.sql)
        let parameters = input.parameters
        let result: StagingResult
        do {
            result = try await QueryController.withDeadline(seconds: timeoutSeconds) {
                try await executor.run(on: connection) { connection -> StagingResult in
                    let type = try connection.statementType(of: sql)
                    if type == .multiple {
                        throw APIError.badRequest("only one SQL statement may be sent", code: "multiple_statements")
                    }
                    guard type == .select else {
                        throw APIError(
                            .forbidden, code: "forbidden_statement",
                            detail: "only a read-only SELECT or WITH statement may run on staged tables, not \(type)"
                        )
                    }
                    try connection.execute("BEGIN TRANSACTION READ ONLY")
                    do {
                        let result = try connection.query("SELECT * FROM (\n\(sql)\n) AS graph_api_query LIMIT \(maxRows + 1)", parameters: parameters)
                        try connection.execute("ROLLBACK")
                        return result
                    } catch {
                        _ = try? connection.execute("ROLLBACK")
                        throw error
                    }
                }
            }
        } catch {
            connection.close()
            switch error {
            case let error as StagingError: throw APIError.staging(error, timeoutSeconds: timeoutSeconds)
            case is QueryController.DeadlineExceeded: throw APIError.queryTimeout(seconds: timeoutSeconds)
            default: throw error
            }
        }
        let cursor = StagingRowCursor(result: result, limit: maxRows)
        let columns = result.columns
        let database = context.graphID.rawValue
        context.logger.info(
            "staging query", metadata: ["graph_id": "\(database)", "ms": "\((ContinuousClock.now - started).milliseconds)"]
        )
        var headers = HTTPFields()
        headers[.contentType] = format.contentType
        switch format {
        case .json:
            let buffer = try await executor.run { () -> ByteBuffer in
                defer {
                    result.close()
                    connection.close()
                }
                var buffer = ByteBuffer()
                buffer.writeStaticString("{\"columns\":")
                Self.writeColumnNames(columns, into: &buffer)
                buffer.writeStaticString(",\"column_types\":[")
                for (index, column) in columns.enumerated() {
                    if index > 0 { buffer.writeStaticString(",") }
                    buffer.writeJSONString(column.type.description)
                }
                buffer.writeStaticString("],\"rows\":[")
                let rows = cursor.writeRows(into: &buffer, count: maxRows)
                let truncated = rows == maxRows && cursor.hasRowsBeyondLimit
                buffer.writeStaticString("],\"row_count\":")
                buffer.writeJSONNumber(rows)
                buffer.writeStaticString(",\"truncated\":")
                buffer.writeJSONBool(truncated)
                buffer.writeStaticString(",\"execution_time_ms\":")
                buffer.writeJSONNumber(QueryResultEncoding.milliseconds(since: started))
                buffer.writeStaticString(",\"database\":")
                buffer.writeJSONString(database)
                buffer.writeStaticString("}")
                return buffer
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
        case .ndjson(let chunkSize), .serverSentEvents(let chunkSize):
            let sse: Bool = if case .serverSentEvents = format { true } else { false }
            let stream = StagingQueryStream(
                cursor: cursor, result: result, connection: connection, executor: executor, columns: columns, chunkSize: chunkSize,
                maxRows: maxRows, serverSentEvents: sse, database: database, started: started
            )
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await stream.write(to: &writer) })
        }
    }

    static func writeColumnNames(_ columns: [StagingColumn], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("[")
        for (index, column) in columns.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            buffer.writeJSONString(column.name)
        }
        buffer.writeStaticString("]")
    }

    /// The statement without trailing semicolons and whitespace (it is wrapped in a subquery).
    static func trimmedStatement(_ sql: String) -> String {
        var text = Substring(sql)
        while let last = text.last, last == ";" || last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}

/// A staged-table query answered as NDJSON lines or server-sent events, framed as the Cypher
/// streams are (`chunk_index`, `columns` on the first chunk, `data` rows as arrays, `row_count`,
/// `total_rows_sent`, `is_last_chunk`; the last chunk adds `truncated`, `execution_time_ms`,
/// `database`). Each chunk is encoded on the staging executor and written with an awaited write.
final class StagingQueryStream: Sendable {
    let cursor: StagingRowCursor
    let result: StagingResult
    let connection: StagingConnection
    let executor: StagingExecutor
    let columns: [StagingColumn]
    let chunkSize: Int
    let maxRows: Int
    let serverSentEvents: Bool
    let database: String
    let started: ContinuousClock.Instant
    private let closed = Atomic<Bool>(false)

    init(
        cursor: StagingRowCursor, result: StagingResult, connection: StagingConnection, executor: StagingExecutor,
        columns: [StagingColumn], chunkSize: Int, maxRows: Int, serverSentEvents: Bool, database: String,
        started: ContinuousClock.Instant
    ) {
        self.cursor = cursor
        self.result = result
        self.connection = connection
        self.executor = executor
        self.columns = columns
        self.chunkSize = chunkSize
        self.maxRows = maxRows
        self.serverSentEvents = serverSentEvents
        self.database = database
        self.started = started
    }

    deinit { close() }

    private func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        result.close()
        connection.close()
    }

    func write(to writer: inout any ResponseBodyWriter) async throws {
        var index = 0
        var total = 0
        defer { close() }
        while true {
            let (chunkIndex, totalBefore) = (index, total)
            let (buffer, rows, isLast) = try await executor.run { [self] in self.chunk(index: chunkIndex, totalBefore: totalBefore) }
            total += rows
            index += 1
            try await writer.write(buffer)
            if isLast { break }
        }
        try await writer.finish(nil)
    }

    private func chunk(index: Int, totalBefore: Int) -> (ByteBuffer, Int, Bool) {
        var buffer = ByteBuffer()
        let rows = ResultChunkFrame.write(
            index: index, totalBefore: totalBefore, serverSentEvents: serverSentEvents, database: database, started: started,
            into: &buffer, columns: { StagingController.writeColumnNames(columns, into: &$0) }
        ) { buffer in
            let count = cursor.writeRows(into: &buffer, count: chunkSize)
            let isLast = count < chunkSize || cursor.isExhausted
            return ResultChunkFrame.Rows(
                count: count, isLast: isLast, truncated: isLast && totalBefore + count == maxRows && cursor.hasRowsBeyondLimit
            )
        }
        return (buffer, rows.count, rows.isLast)
    }
}
