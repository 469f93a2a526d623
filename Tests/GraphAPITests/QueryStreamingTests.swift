import Foundation
import GraphAPITesting
import HTTPTypes
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// NDJSON and server-sent-event answers of `POST /databases/{graph_id}/query`: chunk framing,
/// the final line in every case, large results, backpressure and disconnects.
@Suite struct QueryStreamingTests {
    static let people = TestGraph(id: "people", ddl: TestGraph.peopleDDL)
    static let ndjson: HTTPFields = [.accept: "application/x-ndjson"]
    static let sse: HTTPFields = [.accept: "text/event-stream"]

    /// Checks the chunk invariants of NDJSON lines and returns the rows of every chunk.
    static func checkChunks(_ lines: [[String: Any]], columns: [String], database: String = "people") -> [[[String: Any]]] {
        var total = 0
        var rows: [[[String: Any]]] = []
        for (index, line) in lines.enumerated() {
            let data = line["data"] as? [[String: Any]] ?? []
            total += data.count
            rows.append(data)
            #expect(line["chunk_index"] as? Int == index)
            #expect(line["row_count"] as? Int == data.count)
            #expect(line["total_rows_sent"] as? Int == total)
            #expect((line["columns"] as? [String]) == (index == 0 ? columns : nil))
            let isLast = index == lines.count - 1
            #expect(line["is_last_chunk"] as? Bool == isLast, "line \(index) of \(lines.count)")
            #expect((line["execution_time_ms"] != nil) == isLast)
            #expect((line["database"] as? String) == (isLast ? database : nil))
        }
        return rows
    }

    @Test func chunkBoundariesAlwaysEndWithALastChunk() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            // (rows, chunk size, expected line sizes)
            let cases: [(Int, Int, [Int])] = [(0, 5, [0]), (1, 5, [1]), (10, 5, [5, 5]), (10, 3, [3, 3, 3, 1]), (7, 10_000, [7])]
            for (rows, chunkSize, sizes) in cases {
                let cypher = rows == 0 ? "UNWIND range(1, 3) AS i WITH i WHERE i < 0 RETURN i" : "UNWIND range(1, \(rows)) AS i RETURN i"
                let answer = try await client.cypher("people", cypher, suffix: "?streaming=true&chunk_size=\(chunkSize)")
                #expect(answer.status == .ok)
                #expect(answer.headers[.contentType] == "application/x-ndjson; charset=utf-8")
                let lines = try answer.lines()
                #expect(lines.map { ($0["data"] as? [Any])?.count ?? -1 } == sizes, "\(rows) rows by \(chunkSize)")
                let chunks = Self.checkChunks(lines, columns: ["i"])
                #expect(chunks.joined().map { $0["i"] as? Int } == (0..<rows).map { $0 + 1 })
            }
            // The Accept header alone selects NDJSON; the configured chunk size (tier: 1,000) applies.
            let byHeader = try await client.cypher("people", "UNWIND range(1, 2500) AS i RETURN i", headers: Self.ndjson)
            #expect(try byHeader.lines().map { ($0["data"] as? [Any])?.count } == [1000, 1000, 500])
            // streaming=false wins over the header.
            let forced = try await client.cypher("people", "RETURN 1 AS one", suffix: "?streaming=false", headers: Self.ndjson)
            #expect(try forced.json()["row_count"] as? Int == 1)
        }
    }

    @Test func streamsValuesLikeTheJSONAnswer() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let cypher = "MATCH (a:Person {name: 'Ada'})-[k:KNOWS]->(b) RETURN a, k, b.born AS born, a.amount AS amount"
            let json = try await client.cypher("people", cypher)
            let ndjson = try await client.cypher("people", cypher, headers: Self.ndjson)
            let jsonRow = try #require((try json.json()["data"] as? [[String: Any]])?.first)
            let streamRow = try #require((try ndjson.lines().first?["data"] as? [[String: Any]])?.first)
            #expect(NSDictionary(dictionary: jsonRow) == NSDictionary(dictionary: streamRow))
            #expect(streamRow["born"] as? String == "1912-06-23")
            #expect((streamRow["a"] as? [String: Any])?["_LABEL"] as? String == "Person")
        }
    }

    @Test func serverSentEventsCarryColumnsChunksAndCompletion() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let answer = try await client.cypher(
                "people", "UNWIND range(1, 10) AS i RETURN i, date('2024-01-02') AS d", suffix: "?chunk_size=4", headers: Self.sse
            )
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "text/event-stream; charset=utf-8")
            #expect(answer.headers[.cacheControl] == "no-cache")
            let events = try answer.events()
            #expect(events.map(\.event) == ["columns", "chunk", "chunk", "chunk", "complete"])
            #expect(events.first?.data["columns"] as? [String] == ["i", "d"])
            let chunks = Self.checkChunks(events.filter { $0.event == "chunk" }.map(\.data), columns: ["i", "d"])
            #expect(chunks.map(\.count) == [4, 4, 2])
            #expect(chunks.first?.first?["d"] as? String == "2024-01-02")
            let complete = try #require(events.last?.data)
            #expect(complete["total_rows_sent"] as? Int == 10)
            #expect(complete["chunk_count"] as? Int == 3)
            #expect(complete["database"] as? String == "people")

            let empty = try await client.cypher("people", "MATCH (p:Person) WHERE p.age < 0 RETURN p.name", headers: Self.sse)
            #expect(try empty.events().map(\.event) == ["columns", "chunk", "complete"])
        }
    }

    @Test func badStreamingParametersAre400() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            for suffix in ["?streaming=true&chunk_size=0", "?streaming=true&chunk_size=10001", "?chunk_size=abc", "?streaming=maybe"] {
                let answer = try await client.cypher("people", "RETURN 1", suffix: suffix)
                #expect(answer.status == .badRequest, "\(suffix)")
                #expect(answer.code == (suffix.contains("maybe") ? "invalid_streaming" : "invalid_chunk_size"), "\(suffix)")
            }
            // Errors known before the first byte are HTTP errors, not a 200 stream.
            let parse = try await client.cypher("people", "RETURN (", headers: Self.ndjson)
            #expect(parse.status == .badRequest)
            #expect(parse.code == "cypher_syntax_error")
            let sse = try await client.cypher("people", "MATCH (n:Nobody) RETURN n", headers: Self.sse)
            #expect(sse.status == .badRequest)
        }
    }

    @Test(.slow) func streamsAMillionRowsWithoutARowCap() async throws {
        try await TestServer.withServer(graphs: [Self.people], configure: { $0.maxRows = 100 }) { server in
            let client = server.client
            let started = ContinuousClock.now
            let answer = try await client.cypher("people", "UNWIND range(1, 1000000) AS i RETURN i", suffix: "?chunk_size=10000", headers: Self.ndjson)
            let elapsed = ContinuousClock.now - started
            #expect(answer.status == .ok)
            let lines = answer.body.split(separator: "\n")
            #expect(lines.count == 100)
            let last = try #require(JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
            #expect(last["is_last_chunk"] as? Bool == true)
            #expect(last["total_rows_sent"] as? Int == 1_000_000)
            #expect(last["row_count"] as? Int == 10_000)
            #expect((last["data"] as? [[String: Any]])?.last?["i"] as? Int == 1_000_000)
            let first = try #require(JSONSerialization.jsonObject(with: Data(lines.first!.utf8)) as? [String: Any])
            #expect(first["is_last_chunk"] as? Bool == false)
            print("1M rows streamed as NDJSON: \(answer.body.utf8.count) bytes in \(elapsed)")
        }
    }

    /// While a client reads slowly, the server keeps pulling chunks lazily (the connection stays
    /// leased: the result is not buffered and released); when the client goes away, the query's
    /// connection comes back to the pool.
    @Test func slowClientHoldsTheStreamAndDisconnectReleasesIt() async throws {
        try await TestServer.withServer(
            graphs: [Self.people],
            configure: {
                $0.connectionsPerDatabase = 1
                $0.connectionWaitMilliseconds = 300
            }
        ) { server in
            let client = server.client
            let port = server.port
            let connection = try await RawHTTPConnection.connect(port: port)
            let body = #"{"cypher": "UNWIND range(1, 1000000) AS i RETURN i, 'padding padding padding padding padding' AS pad"}"#
            let received = try await connection.post(
                path: "/databases/people/query?streaming=true&chunk_size=100", body: body, readAtLeast: 64 * 1024
            ) { _, _ in
                try await Task.sleep(for: .milliseconds(500))
                // The stream is still being served: the database's only connection is busy.
                let busy = try await ExtraClient.cypher(port: port, "people", "RETURN 1 AS one")
                #expect(busy.status == .serviceUnavailable, "\(busy.body)")
                #expect(busy.code == "database_busy")
                #expect(busy.headers[.retryAfter] != nil)
            }
            #expect(received.hasPrefix("HTTP/1.1 200"))
            #expect(received.contains("\"chunk_index\":0"))
            // The client closed mid-stream: the connection is released promptly.
            let released = try await eventually(seconds: 5) {
                try await client.cypher("people", "RETURN 1 AS one").status == .ok
            }
            #expect(released)
        }
    }

    @Test(arguments: ["ndjson", "sse"])
    func anEngineFailureAfterTheFirstByteEndsWithAnInBandError(format: String) async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let port = server.port
            let connection = try await RawHTTPConnection.connect(port: port)
            var tail = ""
            let body = #"{"cypher": "UNWIND range(1, 2000000) AS i RETURN i, 'padding padding padding padding padding' AS pad"}"#
            let accept = format == "sse" ? "text/event-stream" : "application/x-ndjson"
            _ = try await connection.post(
                path: "/databases/people/query?chunk_size=100", body: body, headers: ["Accept: \(accept)"], readAtLeast: 16 * 1024
            ) { _, iterator in
                // Deleting the graph closes its database under the running stream.
                let deleted = try await client.execute(uri: "/databases/people", method: .delete)
                #expect(deleted.status == .ok, "\(String(buffer: deleted.body))")
                while var chunk = try await iterator.next() {
                    tail += chunk.readString(length: chunk.readableBytes) ?? ""
                    if tail.hasSuffix("\r\n0\r\n\r\n") { break }  // end of the chunked body
                }
            }
            // Raw bytes of a chunked body: drop the CRs so chunk-size lines and data lines split apart.
            let lines = tail.replacingOccurrences(of: "\r", with: "").split(separator: "\n")
            let objects = lines.map { $0.hasPrefix("data: ") ? $0.dropFirst(6) : $0 }.filter { $0.hasPrefix("{") }
            // Every line read after the first bytes, up to the error, is a whole chunk, numbered
            // without gaps (chunks leave in batches; one cut short by the failure is not sent).
            let chunks = objects.dropLast().map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(chunks.allSatisfy { $0 != nil })
            let indexes = chunks.compactMap { $0?["chunk_index"] as? Int }
            #expect(!indexes.isEmpty)
            #expect(indexes == Array((indexes.first ?? 0)..<(indexes.first ?? 0) + indexes.count), "\(indexes.prefix(5))…")
            let last = try #require(objects.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(last["is_last_chunk"] as? Bool == true)
            #expect(last["error"] as? String != nil, "\(last)")
            #expect(last["code"] as? String == "database_closed")
            if format == "sse" {
                #expect(lines.last(where: { $0.hasPrefix("event: ") }) == "event: error")
            }
        }
    }
}
