import GraphService
import GraphEngine
import NIOCore

/// The NDJSON and server-sent-event framing of one chunk of a streamed result, shared by Cypher
/// (`/query`) and staging SQL (`/tables/query`).
///
/// NDJSON: one object a line, `{chunk_index, columns (first chunk only), data, row_count,
/// total_rows_sent, is_last_chunk}`, the last one also with `truncated` (where the source reports
/// it), `execution_time_ms` and `database`. SSE: a `columns` event first, each chunk as a `chunk`
/// event, then a `complete` event `{total_rows_sent, chunk_count, truncated?, execution_time_ms,
/// database}`.
enum ResultChunkFrame {
    /// What writing a chunk's rows found.
    struct Rows {
        var count: Int
        var isLast: Bool
        /// Whether the result was cut at a row limit (`nil`: the answer has no such field).
        var truncated: Bool?
    }

    /// Writes chunk `index` into `buffer`; `columns` writes the JSON array of column names,
    /// `rows` the rows (comma-separated JSON values, at most one chunk's worth).
    static func write(
        index: Int, totalBefore: Int, serverSentEvents: Bool, database: String, started: ContinuousClock.Instant,
        into buffer: inout ByteBuffer, columns: (inout ByteBuffer) -> Void, rows: (inout ByteBuffer) throws -> Rows
    ) rethrows -> Rows {
        if index == 0, serverSentEvents {
            buffer.writeStaticString("event: columns\ndata: {\"columns\":")
            columns(&buffer)
            buffer.writeStaticString("}\n\n")
        }
        if serverSentEvents { buffer.writeStaticString("event: chunk\ndata: ") }
        buffer.writeStaticString("{\"chunk_index\":")
        buffer.writeJSONNumber(index)
        if index == 0 {
            buffer.writeStaticString(",\"columns\":")
            columns(&buffer)
        }
        buffer.writeStaticString(",\"data\":[")
        let written = try rows(&buffer)
        buffer.writeStaticString("],\"row_count\":")
        buffer.writeJSONNumber(written.count)
        buffer.writeStaticString(",\"total_rows_sent\":")
        buffer.writeJSONNumber(totalBefore + written.count)
        buffer.writeStaticString(",\"is_last_chunk\":")
        buffer.writeJSONBool(written.isLast)
        let elapsed = QueryResultEncoding.milliseconds(since: started)
        if written.isLast {
            writeTail(truncated: written.truncated, elapsed: elapsed, database: database, into: &buffer)
        }
        buffer.writeStaticString("}")
        guard serverSentEvents else {
            buffer.writeStaticString("\n")
            return written
        }
        buffer.writeStaticString("\n\n")
        if written.isLast {
            buffer.writeStaticString("event: complete\ndata: {\"total_rows_sent\":")
            buffer.writeJSONNumber(totalBefore + written.count)
            buffer.writeStaticString(",\"chunk_count\":")
            buffer.writeJSONNumber(index + 1)
            writeTail(truncated: written.truncated, elapsed: elapsed, database: database, into: &buffer)
            buffer.writeStaticString("}\n\n")
        }
        return written
    }

    /// `,"truncated":…,"execution_time_ms":…,"database":…` (without `truncated` when `nil`).
    private static func writeTail(truncated: Bool?, elapsed: Double, database: String, into buffer: inout ByteBuffer) {
        if let truncated {
            buffer.writeStaticString(",\"truncated\":")
            buffer.writeJSONBool(truncated)
        }
        buffer.writeStaticString(",\"execution_time_ms\":")
        buffer.writeJSONNumber(elapsed)
        buffer.writeStaticString(",\"database\":")
        buffer.writeJSONString(database)
    }
}
