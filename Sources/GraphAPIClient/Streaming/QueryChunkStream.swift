import GraphJSON
import NIOCore

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
/// Backpressure: the body is read from the connection only as the iteration asks for chunks
/// (AsyncHTTPClient stops reading the socket when its small buffer is full), so a slow consumer
/// slows the server's stream down instead of piling the result up in memory.
public struct ResultChunkStream<Chunk: ResultChunk>: AsyncSequence, Sendable {
    /// One chunk per NDJSON line.
    public typealias Element = Chunk

    let client: GraphAPIClient
    let request: GraphAPIRequest

    /// Starts the request at the first ``Iterator/next()``.
    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, request: request)
    }

    /// Yields the chunks of one request.
    public struct Iterator: AsyncIteratorProtocol {
        let client: GraphAPIClient
        let request: GraphAPIRequest
        var body: StreamedBody?
        var decoder = ResultChunkDecoder<Chunk>()
        var pending: [Chunk] = []
        var failure: GraphAPIClientError?
        var done = false

        init(client: GraphAPIClient, request: GraphAPIRequest) {
            self.client = client
            self.request = request
        }

        /// The next chunk, `nil` after the last one.
        ///
        /// An in-band error line ends the iteration with ``GraphAPIClientError/Kind/streamFailed``
        /// (after the chunks before it), and so does a stream that ends without its last chunk.
        /// - Throws: ``GraphAPIClientError``.
        public mutating func next() async throws -> Chunk? {
            guard !done else { return nil }
            do {
                return try await nextChunk()
            } catch {
                done = true
                await body?.close()
                throw error
            }
        }

        private mutating func nextChunk() async throws -> Chunk? {
            let idle = request.timeoutSeconds ?? client.configuration.requestTimeoutSeconds
            if body == nil { body = try await StreamedBody.open(request, client: client) }
            while true {
                if !pending.isEmpty {
                    let chunk = pending.removeFirst()
                    if chunk.isLastChunk {
                        done = true
                        await body?.close()
                    }
                    return chunk
                }
                if let failure { throw failure }
                let buffer = try await body?.next(client: client, idleSeconds: idle)
                let decoded =
                    buffer.map { buffer in
                        buffer.withUnsafeReadableBytes { decoder.decode($0.bindMemory(to: UInt8.self)) }
                    } ?? decoder.decode(nil)
                pending.append(contentsOf: decoded.chunks)
                failure = decoded.failure
            }
        }
    }
}

/// Turns the bytes of an NDJSON result, however they are split, into chunks: each line is parsed
/// as soon as it is complete; nothing after the last chunk is read.
struct ResultChunkDecoder<Chunk: ResultChunk>: Sendable {
    private var lines = NDJSONLineSplitter()
    private var chunks = 0
    private var finished = false

    /// Decodes the complete lines of `bytes` (`nil`: the body ended). Returns the chunks found and
    /// the failure that ends the stream after them, if any: an in-band error line, a line that is
    /// not a chunk, or the end of the body without the last chunk.
    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>?) -> (chunks: [Chunk], failure: GraphAPIClientError?) {
        guard !finished else { return ([], nil) }
        var found: [Chunk] = []
        let collect = { (line: UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Void in
            guard found.last?.isLastChunk != true else { return }  // nothing follows the last chunk
            found.append(try Self.chunk(from: line))
        }
        do throws(GraphAPIClientError) {
            if let bytes {
                try lines.append(bytes, collect)
            } else {
                try lines.finish(collect)
            }
        } catch {
            finished = true
            return (found, error)
        }
        chunks += found.count
        if found.last?.isLastChunk == true {
            finished = true
        } else if bytes == nil {
            finished = true
            return (
                found,
                GraphAPIClientError(
                    kind: .streamFailed, status: 200,
                    detail: "the stream ended after \(chunks) chunk\(chunks == 1 ? "" : "s") without its last chunk"
                )
            )
        }
        return (found, nil)
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
}

/// The chunks of a streamed Cypher result (`POST /databases/{graph_id}/query` as NDJSON).
public typealias QueryChunkStream = ResultChunkStream<QueryChunk>

/// The chunks of a streamed SQL result over staged tables (`POST /databases/{graph_id}/tables/query`
/// as NDJSON).
public typealias StagingQueryChunkStream = ResultChunkStream<StagingQueryChunk>
