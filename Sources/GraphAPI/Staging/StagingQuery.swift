import GraphService
import Foundation
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Staging
import Synchronization

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
        let configuration = staging.configuration
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
        let (result, connection) = try await staging.query(
            graph: context.graphID, request: input, maxRows: maxRows, timeoutSeconds: timeoutSeconds
        )
        let executor = staging.executor
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
