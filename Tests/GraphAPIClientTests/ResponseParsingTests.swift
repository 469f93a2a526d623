import Foundation
import GraphAPIContract
import GraphJSON
import Testing

@testable import GraphAPIClient

@Suite struct ResponseParsingTests {
    @Test func splitterCutsLinesAcrossPieces() throws {
        var splitter = NDJSONLineSplitter()
        var lines: [String] = []
        let collect = { (line: UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Void in
            lines.append(String(decoding: line, as: UTF8.self))
        }
        let pieces = ["{\"a\"", ":1}\n{\"b\":2}\r\n\n", "{\"c\"", "", ":3}\n{\"d\":4}"]
        for piece in pieces {
            var bytes = Array(piece.utf8)
            let result: Result<Void, GraphAPIClientError> = bytes.withUnsafeMutableBufferPointer { buffer in
                Result { () throws(GraphAPIClientError) in try splitter.append(UnsafeBufferPointer(buffer), collect) }
            }
            try result.get()
        }
        #expect(lines == [#"{"a":1}"#, #"{"b":2}"#, #"{"c":3}"#])
        #expect(splitter.hasPartialLine)
        try splitter.finish(collect)
        #expect(lines.last == #"{"d":4}"#)
        #expect(!splitter.hasPartialLine)
    }

    @Test func chunkLinesParse() throws {
        let first = try QueryChunk(
            json: try JSONValue(
                parsing: #"{"chunk_index":0,"columns":["n","big"],"data":[{"n":1,"big":170141183460469231731687303715884105727}],"row_count":1,"total_rows_sent":1,"is_last_chunk":false}"#
            )
        )
        #expect(first.chunkIndex == 0)
        #expect(first.columns == ["n", "big"])
        #expect(first.data.first?["big"]?.numberValue?.text == "170141183460469231731687303715884105727")
        #expect(!first.isLastChunk)
        #expect(first.executionTimeMilliseconds == nil)
        let last = try QueryChunk(
            json: try JSONValue(
                parsing: #"{"chunk_index":1,"data":[],"row_count":0,"total_rows_sent":1,"is_last_chunk":true,"execution_time_ms":2.5,"database":"g"}"#
            )
        )
        #expect(last.columns == nil)
        #expect(last.isLastChunk)
        #expect(last.executionTimeMilliseconds == 2.5)
        #expect(last.database == "g")
    }

    @Test func inBandErrorLineThrowsTheServersMessageAndCode() throws {
        let line = try JSONValue(parsing: #"{"error":"the query ran past its timeout","code":"query_timeout","is_last_chunk":true}"#)
        #expect(throws: GraphAPIClientError(kind: .streamFailed, status: 200, detail: "the query ran past its timeout", code: "query_timeout")) {
            try QueryChunk(json: line)
        }
    }

    @Test func malformedChunksAreInvalidResponses() throws {
        for text in [#"[1]"#, #"{"data":[]}"#, #"{"data":[1],"is_last_chunk":true}"#, #"{"data":[],"is_last_chunk":"yes"}"#] {
            #expect {
                try QueryChunk(json: try JSONValue(parsing: text))
            } throws: { error in
                (error as? GraphAPIClientError)?.kind == .invalidResponse
            }
        }
    }

    @Test func queryResponseParsesExactly() throws {
        let response = try QueryResponse(
            json: try JSONValue(
                parsing: #"{"columns":["b","a"],"data":[{"b":1.10,"a":null},{"b":2,"a":[1]}],"row_count":2,"execution_time_ms":0.5,"database":"g","truncated":true}"#
            )
        )
        #expect(response.columns == ["b", "a"])
        #expect(response.rows == [[.number(JSONNumber("1.10")!), .null], [2, [1]]])
        #expect(response.rowCount == 2)
        #expect(response.truncated)
        #expect(response.database == "g")
        #expect(throws: GraphAPIClientError.self) { try QueryResponse(json: ["columns": [1], "data": []]) }
    }

    @Test func errorBodiesGiveDetailCodeAndRetry() {
        let error = GraphAPIClientError.fromResponse(
            status: 404, body: Array(#"{"detail":"database 'x' not found","code":"database_not_found"}"#.utf8), retryAfter: nil
        )
        #expect(error == GraphAPIClientError(kind: .server, status: 404, detail: "database 'x' not found", code: "database_not_found"))
        #expect(error.description == "database 'x' not found (code: database_not_found, HTTP 404)")
        #expect(error.isNotFound)
        #expect(error.exitStatus == 4)

        let busy = GraphAPIClientError.fromResponse(
            status: 503, body: Array(#"{"detail":"busy","code":"database_busy"}"#.utf8), retryAfter: " 3"
        )
        #expect(busy.retryAfterSeconds == 3)
        #expect(busy.exitStatus == 1)

        let proxy = GraphAPIClientError.fromResponse(status: 502, body: Array("<html>Bad Gateway</html>".utf8), retryAfter: nil)
        #expect(proxy.detail == "<html>Bad Gateway</html>")
        #expect(proxy.code == nil)
        let empty = GraphAPIClientError.fromResponse(status: 500, body: [], retryAfter: nil)
        #expect(empty.detail == "the server answered HTTP 500 without a body")
        let listed = GraphAPIClientError.fromResponse(status: 422, body: Array(#"{"detail":[{"loc":"x"}]}"#.utf8), retryAfter: nil)
        #expect(listed.detail == #"[{"loc":"x"}]"#)
    }

    @Test func exitStatusPerClass() {
        #expect(GraphAPIClientError(kind: .server, status: 401, detail: "").exitStatus == 3)
        #expect(GraphAPIClientError(kind: .server, status: 403, detail: "").exitStatus == 3)
        #expect(GraphAPIClientError(kind: .server, status: 429, detail: "").exitStatus == 3)
        #expect(GraphAPIClientError(kind: .server, status: 404, detail: "").exitStatus == 4)
        #expect(GraphAPIClientError(kind: .server, status: 400, detail: "").exitStatus == 1)
        #expect(GraphAPIClientError(kind: .server, status: 408, detail: "").exitStatus == 1)
        #expect(GraphAPIClientError(kind: .transport, detail: "").exitStatus == 1)
        #expect(GraphAPIClientError(kind: .streamFailed, status: 200, detail: "").exitStatus == 1)
        #expect(GraphAPIClientError(kind: .invalidInput, detail: "").exitStatus == 64)
    }

    /// A timestamp read into a `Date` prints back as the server wrote it: every millisecond of a
    /// few seconds (a `Date` lands a hair below about half of them, which truncation would print
    /// one millisecond early).
    @Test func timestampsPrintBackAsTheServerWroteThem() throws {
        for millisecond in 0..<3_000 {
            let text = String(format: "2026-12-06T15:44:%02d.%03dZ", millisecond / 1000, millisecond % 1000)
            let date = try GraphAPIClient.contractDecoder().decode([Date].self, from: Data("[\"\(text)\"]".utf8))[0]
            #expect(ServerTimestamp.text(date) == text)
        }
        #expect(ServerTimestamp.text(Date(timeIntervalSince1970: 0.9996)) == "1970-01-01T00:00:01.000Z")
    }

    @Test func modelsDecodeTheContractsAnswers() throws {
        let list = try GraphAPIClient.contractDecoder().decode(
            DatabaseList.self,
            from: Data(
                #"{"databases":[{"graph_id":"g","schema_type":"entity","repository_name":null,"read_only":false,"created_at":"2026-01-04T09:00:00.123Z","last_accessed":null,"size_bytes":4096,"is_open":false}],"total_databases":1,"total_size_bytes":4096,"node_capacity":{"max_databases":10,"current_databases":1,"capacity_remaining":9,"utilization_percent":10.0}}"#
                    .utf8
            )
        )
        #expect(list.databases.first?.graphId == "g")
        // Timestamps are printed as the server wrote them, to the millisecond.
        #expect(list.databases.first.map { ServerTimestamp.text($0.createdAt) } == "2026-01-04T09:00:00.123Z")
        #expect(list.databases.first?.schemaType == .entity)
        #expect(list.nodeCapacity?.capacityRemaining == 9)
        // A key scoped to some graphs gets no node_capacity.
        let scoped = try GraphAPIClient.contractDecoder().decode(
            DatabaseList.self, from: Data(#"{"databases":[],"total_databases":0,"total_size_bytes":0}"#.utf8)
        )
        #expect(scoped.nodeCapacity == nil)
        let schema = try GraphAPIClient.contractDecoder().decode(
            GraphSchema.self,
            from: Data(
                #"{"database":"g","node_tables":[{"name":"P","primary_key":"id","properties":[{"name":"id","type":"INT64"}],"comment":null}],"rel_tables":[{"name":"K","from":"P","to":"P","connections":[{"from":"P","to":"P"}],"properties":[]}]}"#
                    .utf8
            )
        )
        #expect(schema.nodeTables.first?.primaryKey == "id")
        #expect(schema.relTables.first?.connections == [.init(from: "P", to: "P")])
    }

    // MARK: The stream's decoding side (the iterator feeds it the body as it arrives)

    /// Feeds `pieces` of a body to the stream's decoder, ends the body, and collects what the
    /// consumer sees: the chunks, then the failure that ends the stream.
    static func stream(_ pieces: [String]) async -> (chunks: [QueryChunk], error: (any Error)?) {
        var decoder = ResultChunkDecoder<QueryChunk>()
        var chunks: [QueryChunk] = []
        for piece in pieces + [nil] as [String?] {
            var bytes = Array((piece ?? "").utf8)
            let decoded = bytes.withUnsafeMutableBufferPointer { buffer in
                decoder.decode(piece == nil ? nil : UnsafeBufferPointer(buffer))
            }
            chunks += decoded.chunks
            if let failure = decoded.failure { return (chunks, failure) }
        }
        return (chunks, nil)
    }

    static let firstLine = #"{"chunk_index":0,"columns":["i"],"data":[{"i":1}],"row_count":1,"total_rows_sent":1,"is_last_chunk":false}"#
    static let lastLine =
        #"{"chunk_index":1,"data":[{"i":2}],"row_count":1,"total_rows_sent":2,"is_last_chunk":true,"execution_time_ms":1,"database":"g"}"#

    @Test func streamDeliversChunksSplitAnywhere() async {
        let body = Self.firstLine + "\n" + Self.lastLine + "\n"
        let pieces = stride(from: 0, to: body.utf8.count, by: 5).map { start in
            String(decoding: Array(body.utf8)[start..<min(start + 5, body.utf8.count)], as: UTF8.self)
        }
        let (chunks, error) = await Self.stream(pieces)
        #expect(error == nil)
        #expect(chunks.map(\.chunkIndex) == [0, 1])
        #expect(chunks.last?.isLastChunk == true)
        // Without the final newline the last line still counts.
        let (unterminated, noError) = await Self.stream([Self.firstLine + "\n" + Self.lastLine])
        #expect(noError == nil)
        #expect(unterminated.count == 2)
    }

    @Test func streamEndingWithoutItsLastChunkFails() async {
        let (chunks, error) = await Self.stream([Self.firstLine + "\n"])
        #expect(chunks.count == 1)
        let failure = error as? GraphAPIClientError
        #expect(failure?.kind == .streamFailed)
        #expect(failure?.detail == "the stream ended after 1 chunk without its last chunk")
    }

    @Test func streamInBandErrorEndsItAfterTheChunksBefore() async {
        let errorLine = #"{"error":"the database was closed","code":"database_closed","is_last_chunk":true}"#
        let (chunks, error) = await Self.stream([Self.firstLine + "\n" + errorLine + "\n"])
        #expect(chunks.count == 1)
        #expect(error as? GraphAPIClientError == GraphAPIClientError(kind: .streamFailed, status: 200, detail: "the database was closed", code: "database_closed"))
    }

    @Test func streamGarbageIsAnInvalidResponse() async {
        let (none, garbage) = await Self.stream(["<html>\n"])
        #expect(none.isEmpty)
        #expect((garbage as? GraphAPIClientError)?.kind == .invalidResponse)
    }
}
