import GraphService
import GraphEngine
import NIOCore

/// The response bytes of a query result, written with ``QueryResultJSONWriter`` straight into
/// `ByteBuffer`s. Every function here reads the engine: call them on the ``EngineExecutor``.
enum QueryResultEncoding {
    /// The whole non-streaming answer:
    /// `{"columns":[..],"data":[{..}],"row_count":N,"execution_time_ms":X,"database":"..","truncated":B}`
    /// with at most `maxRows` rows; `truncated` says whether more existed. Returns the bytes and
    /// the number of rows written.
    static func document(
        _ result: QueryResult, maxRows: Int, database: String, started: ContinuousClock.Instant
    ) throws -> (ByteBuffer, rows: Int) {
        let writer = try QueryResultJSONWriter(result, shape: .objects)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256)
        buffer.writeStaticString("{\"columns\":")
        writer.writeColumnNames(into: &buffer)
        buffer.writeStaticString(",\"data\":[")
        let rows = try writer.writeRows(into: &buffer, maxRows: maxRows)
        let truncated = writer.hasMoreRows
        buffer.writeStaticString("],\"row_count\":")
        buffer.writeJSONNumber(rows)
        buffer.writeStaticString(",\"execution_time_ms\":")
        buffer.writeJSONNumber(milliseconds(since: started))
        buffer.writeStaticString(",\"database\":")
        buffer.writeJSONString(database)
        buffer.writeStaticString(",\"truncated\":")
        buffer.writeJSONBool(truncated)
        buffer.writeStaticString("}")
        return (buffer, rows)
    }

    /// Milliseconds since `start`, rounded to microseconds.
    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return (ms * 1000).rounded() / 1000
    }

    /// The in-band error object that ends a stream after its first byte:
    /// `{"error":"..","code":"..","is_last_chunk":true}`.
    static func writeStreamError(_ error: APIError, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"error\":")
        buffer.writeJSONString(error.detail)
        buffer.writeStaticString(",\"code\":")
        buffer.writeJSONString(error.code)
        buffer.writeStaticString(",\"is_last_chunk\":true}")
    }
}
