import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One line of a streamed (NDJSON) result: a Cypher ``QueryChunk`` or a staged-table
/// ``StagingQueryChunk``. Both streams are framed alike (`chunk_index`, `columns` on the first
/// chunk, `data`, `row_count`, `total_rows_sent`, `is_last_chunk`); they differ in how a row is
/// written (an object for Cypher, an array for SQL).
public protocol ResultChunk: Sendable {
    /// Reads one parsed NDJSON line.
    ///
    /// - Throws: ``GraphAPIClientError``: ``GraphAPIClientError/Kind/streamFailed`` with the
    ///   server's message and code for an in-band error line, ``GraphAPIClientError/Kind/invalidResponse``
    ///   for a line that is not a chunk.
    init(json: JSONValue) throws(GraphAPIClientError)
    /// 0, 1, 2, … in order.
    var chunkIndex: Int { get }
    /// Column names; on the first chunk only.
    var columns: [String]? { get }
    /// Whether this is the last chunk (the stream always ends with one).
    var isLastChunk: Bool { get }
    /// The chunk's rows as values in the order of `columns` (the first chunk's column names).
    func rowValues(columns: [String]) -> [[JSONValue]]
    /// The chunk's rows as `{column: value}` objects, members in the order of `columns`.
    func rowObjects(columns: [String]) -> [JSONObject]
}

/// The chunks of a streamed (NDJSON) result, in order, as they arrive.
///
/// Iterating starts the request (iterating again runs the query again). Each line is parsed as
/// soon as it is complete and only the unfinished line is buffered by the parser.
///
/// Backpressure: on Linux, FoundationNetworking's `URLSession` cannot pause a running transfer
/// (suspending a task mid-transfer restarts it), so bytes the consumer has not taken yet wait in
/// the session's delegate queue. A consumer that keeps up (writing to a terminal, a file or a
/// pipe) holds about one chunk at a time.
public struct ResultChunkStream<Chunk: ResultChunk>: AsyncSequence, Sendable {
    /// One chunk per NDJSON line.
    public typealias Element = Chunk

    /// The prepared HTTP request.
    let urlRequest: URLRequest

    /// Starts the request.
    public func makeAsyncIterator() -> Iterator {
        let (stream, continuation) = AsyncThrowingStream<Chunk, any Error>.makeStream()
        GraphAPIClient.startStreaming(
            urlRequest, delegate: QueryStreamDelegate(continuation: continuation), queueName: "GraphAPIClient.ResultChunkStream",
            continuation: continuation
        )
        return Iterator(base: stream.makeAsyncIterator())
    }

    /// Yields the chunks of one request.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Chunk, any Error>.Iterator

        /// The next chunk, `nil` after the last one.
        /// - Throws: ``GraphAPIClientError``.
        public mutating func next() async throws -> Chunk? {
            try await base.next()
        }
    }
}

/// The chunks of a streamed Cypher result (`POST /databases/{graph_id}/query` as NDJSON).
public typealias QueryChunkStream = ResultChunkStream<QueryChunk>

/// The chunks of a streamed SQL result over staged tables (`POST /databases/{graph_id}/tables/query`
/// as NDJSON).
public typealias StagingQueryChunkStream = ResultChunkStream<StagingQueryChunk>

/// Receives one streamed response on the session's serial delegate queue.
final class QueryStreamDelegate<Chunk: ResultChunk>: NSObject, URLSessionDataDelegate, Sendable {
    /// The largest error body kept (an error answer is a small JSON object).
    static var maxErrorBodyBytes: Int { 64 << 10 }

    struct State {
        var lines = NDJSONLineSplitter()
        var errorBody: [UInt8] = []
        var chunks = 0
        /// The last chunk or a failure was delivered; nothing more goes to the consumer.
        var done = false
    }

    let continuation: AsyncThrowingStream<Chunk, any Error>.Continuation
    let state = Mutex(State())

    init(continuation: AsyncThrowingStream<Chunk, any Error>.Continuation) {
        self.continuation = continuation
    }

    static func status(of task: URLSessionTask) -> Int {
        (task.response as? HTTPURLResponse)?.statusCode ?? 0
    }

    static func chunk(from line: UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Chunk {
        let json: JSONValue
        do {
            json = try JSONValue.parse(line)
        } catch {
            throw GraphAPIClientError(kind: .invalidResponse, detail: "a line of the stream is not JSON: \(error)")
        }
        return try Chunk(json: json)
    }

    /// Parses the complete lines of `bytes` (or, with `nil`, the unfinished last line at the end)
    /// and delivers their chunks.
    func deliver(_ bytes: UnsafeBufferPointer<UInt8>?) {
        var chunks: [Chunk] = []
        let outcome: Result<Bool, GraphAPIClientError> = state.withLock { state in
            guard !state.done else { return .success(false) }
            do throws(GraphAPIClientError) {
                let collect = { (line: UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Void in
                    guard chunks.last?.isLastChunk != true else { return }  // nothing follows the last chunk
                    chunks.append(try QueryStreamDelegate.chunk(from: line))
                }
                if let bytes {
                    try state.lines.append(bytes, collect)
                } else {
                    try state.lines.finish(collect)
                }
                state.chunks += chunks.count
                let last = chunks.last?.isLastChunk == true
                if last { state.done = true }
                return .success(last)
            } catch {
                state.done = true
                return .failure(error)
            }
        }
        for chunk in chunks { continuation.yield(chunk) }
        switch outcome {
        case .success(true): continuation.finish()
        case .success(false): break
        case .failure(let error): continuation.finish(throwing: error)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let status = Self.status(of: dataTask)
        let done = data.withUnsafeBytes { raw in receive(raw.bindMemory(to: UInt8.self), status: status) }
        if done { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        defer { session.finishTasksAndInvalidate() }
        let failure = error.map { GraphAPIClientError.transport($0, of: task) }
        complete(
            status: Self.status(of: task), failure: failure,
            retryAfter: (task.response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After")
        )
    }

    /// Takes bytes of the body: the lines of a success answer, or the error body of another.
    /// Returns whether the stream is done (its last chunk or a failure was delivered).
    func receive(_ bytes: UnsafeBufferPointer<UInt8>, status: Int) -> Bool {
        guard (200..<300).contains(status) else {
            state.withLock { state in
                let room = Self.maxErrorBodyBytes - state.errorBody.count
                if room > 0 { state.errorBody.append(contentsOf: bytes.prefix(room)) }
            }
            return false
        }
        deliver(bytes)
        return state.withLock { $0.done }
    }

    /// Ends the stream once the response is complete: with the transport `failure`, the server's
    /// error for an error status, or, for a success answer, after its unfinished last line —
    /// failing if the last chunk never came.
    func complete(status: Int, failure: GraphAPIClientError?, retryAfter: String?) {
        if let failure {
            let alreadyDone = state.withLock { state in
                defer { state.done = true }
                return state.done
            }
            if !alreadyDone { continuation.finish(throwing: failure) }
            return
        }
        guard (200..<300).contains(status) else {
            let body = state.withLock { state in
                state.done = true
                return state.errorBody
            }
            continuation.finish(throwing: GraphAPIClientError.fromResponse(status: status, body: body, retryAfter: retryAfter))
            return
        }
        deliver(nil)
        let chunks = state.withLock { state in
            defer { state.done = true }
            return state.done ? nil : state.chunks
        }
        if let chunks {
            continuation.finish(
                throwing: GraphAPIClientError(
                    kind: .streamFailed, status: status,
                    detail: "the stream ended after \(chunks) chunk\(chunks == 1 ? "" : "s") without its last chunk"
                )
            )
        }
    }
}
