import GraphService
import GraphEngine
import Hummingbird
import Logging
import NIOCore

/// A query result being streamed as NDJSON or server-sent events, chunk by chunk.
///
/// Chunks are read from the engine on the ``EngineExecutor`` a batch at a time (up to 256 KiB or
/// 16,384 rows of whole chunks) and each batch is written with an awaited `write`, so a slow
/// client slows the reading down instead of making the server buffer the result (NIO suspends
/// the write while the socket is not writable). The stream holds its
/// connection (``ConnectionLease``) and admission ticket until it ends: normally, on an engine
/// failure (one last in-band error line or event), or when the client goes away (the write fails
/// or the task is cancelled); in every case the result is freed and the connection returned.
///
/// NDJSON lines:
/// `{"chunk_index":0,"columns":[..],"data":[..],"row_count":N,"total_rows_sent":N,"is_last_chunk":false}`,
/// `columns` on the first line only, and the last line always has `"is_last_chunk":true` with
/// `execution_time_ms` and `database`, also for an empty result (one line with `"data":[]`) and
/// for a row count that is a multiple of the chunk size (the end is detected before the line is
/// written). Server-sent events: `columns` (`{"columns":[..]}`), then `chunk` events carrying the
/// same objects, then `complete` (`{"total_rows_sent":N,"chunk_count":K,"execution_time_ms":X,"database":".."}`),
/// or `error` in place of the rest.
final class QueryStream: Sendable {
    enum Framing: Sendable {
        case ndjson
        case serverSentEvents
    }

    let framing: Framing
    let chunkSize: Int
    let result: QueryResult
    let writer: QueryResultJSONWriter
    let lease: ConnectionLease
    let ticket: AdmissionTicket
    let executor: EngineExecutor
    let graphID: GraphID
    var database: String { graphID.rawValue }
    let started: ContinuousClock.Instant
    let metrics: ServerMetrics
    let logger: Logger

    init(
        framing: Framing, chunkSize: Int, result: QueryResult, writer: QueryResultJSONWriter, lease: ConnectionLease,
        ticket: AdmissionTicket, executor: EngineExecutor, graphID: GraphID, started: ContinuousClock.Instant,
        metrics: ServerMetrics, logger: Logger
    ) {
        self.framing = framing
        self.chunkSize = chunkSize
        self.result = result
        self.writer = writer
        self.lease = lease
        self.ticket = ticket
        self.executor = executor
        self.graphID = graphID
        self.started = started
        self.metrics = metrics
        self.logger = logger
    }

    deinit {
        // A response dropped before its body was written: give everything back.
        finishResources()
    }

    /// The response body.
    var body: ResponseBody {
        ResponseBody { writer in
            try await self.write(to: &writer)
        }
    }

    /// Writes every chunk, then finishes the body.
    func write(to bodyWriter: inout any ResponseBodyWriter) async throws {
        var chunkIndex = 0
        var totalRows = 0
        do {
            while true {
                let batch = try await readChunks(index: chunkIndex, totalRowsBefore: totalRows)
                totalRows += batch.rows
                chunkIndex += batch.chunks
                metrics.rowsStreamed(batch.rows)
                do {
                    try await bodyWriter.write(batch.buffer)
                } catch {
                    logger.debug("query stream: client gone", metadata: ["graph_id": "\(database)", "rows_sent": "\(totalRows)"])
                    metrics.queryAbandoned()
                    await closeResult()
                    finishResources()
                    throw error
                }
                if let failure = batch.failure { throw failure }
                if batch.isLast { break }
            }
        } catch let error as EngineError {
            // The engine failed after the first byte (e.g. the database was deleted or closed):
            // one last in-band error, then a normal end.
            await closeResult()
            finishResources()
            if Task.isCancelled { throw CancellationError() }
            var buffer = ByteBuffer()
            let apiError = APIError(ServiceError.engine(error))
            metrics.queryFailed(graph: graphID, code: apiError.code)
            switch framing {
            case .ndjson:
                QueryResultEncoding.writeStreamError(apiError, into: &buffer)
                buffer.writeStaticString("\n")
            case .serverSentEvents:
                buffer.writeStaticString("event: error\ndata: ")
                QueryResultEncoding.writeStreamError(apiError, into: &buffer)
                buffer.writeStaticString("\n\n")
            }
            try await bodyWriter.write(buffer)
            try await bodyWriter.finish(nil)
            return
        }
        await closeResult()
        finishResources()
        metrics.queryCompleted(graph: graphID, seconds: QueryResultEncoding.milliseconds(since: started) / 1000, rows: totalRows)
        try await bodyWriter.finish(nil)
    }

    /// What one call on the executor read: whole chunks, framed.
    private struct Batch: Sendable {
        var buffer = ByteBuffer()
        var rows = 0
        var chunks = 0
        var isLast = false
        /// The engine failed after the chunks in `buffer`: send them, then this.
        var failure: EngineError?
    }

    /// Reads and frames chunks on the executor, as many as fit in ``batchBytes`` and
    /// ``batchRows`` (at least one); `isLast` is decided before the last chunk is framed.
    ///
    /// Every call hops to an engine thread and back, and every write to the event loop: with
    /// the default 1,000-row chunks that was a fifth of a large stream's time. The chunks are the
    /// same; they leave in fewer, larger writes.
    private func readChunks(index: Int, totalRowsBefore: Int) async throws -> Batch {
        let (writer, chunkSize, framing, database, started) = (self.writer, self.chunkSize, self.framing, self.database, self.started)
        return try await executor.run(on: lease.connection) { _ in
            var batch = Batch()
            repeat {
                let chunkStart = batch.buffer.writerIndex
                do {
                    let rows = try ResultChunkFrame.write(
                        index: index + batch.chunks, totalBefore: totalRowsBefore + batch.rows, serverSentEvents: framing == .serverSentEvents,
                        database: database, started: started, into: &batch.buffer, columns: { writer.writeColumnNames(into: &$0) }
                    ) { buffer in
                        let count = try writer.writeRows(into: &buffer, maxRows: chunkSize)
                        return ResultChunkFrame.Rows(count: count, isLast: count < chunkSize || !writer.hasMoreRows)
                    }
                    batch.rows += rows.count
                    batch.chunks += 1
                    batch.isLast = rows.isLast
                } catch let error as EngineError where batch.chunks > 0 {
                    // A chunk that failed midway left part of its line: drop that part, keep
                    // the whole chunks before it.
                    batch.buffer.moveWriterIndex(to: chunkStart)
                    batch.failure = error
                    return batch
                }
            } while !batch.isLast && batch.buffer.readableBytes < Self.batchBytes && batch.rows < Self.batchRows
            return batch
        }
    }

    /// Bytes after which a batch of chunks is written (the chunk that crosses it is included).
    static let batchBytes = 256 * 1024
    /// Rows after which a batch of chunks is written.
    static let batchRows = 16_384

    /// Frees the engine's result (on the executor: a large result takes a moment to free).
    private func closeResult() async {
        let result = self.result
        do {
            try await executor.run { result.close() }
        } catch {
            result.close()
        }
    }

    /// Returns the connection and the admission ticket. Idempotent.
    private func finishResources() {
        lease.release()
        ticket.release()
    }
}
