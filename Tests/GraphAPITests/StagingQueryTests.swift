import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Staging
import Testing

@testable import GraphAPI
@testable import GraphService

/// `POST /databases/{id}/tables/query`: one read-only SELECT/WITH on a locked-down connection.
@Suite struct StagingQueryTests {
    static func withStagedTable(
        configure: @escaping (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer.Client, TestServer) async throws -> Void
    ) async throws {
        try await TestServer.withDatabases(configure: configure) { fixture in
            let client = fixture.client
            try StagingFixtures.write(
                """
                SELECT 'p' || range AS identifier, range AS n, range / 4 AS ratio, (range * 1.25)::DECIMAL(10,2) AS amount,
                       DATE '2024-01-02' + range::INTEGER AS day, TIMESTAMP '2024-01-02 03:04:05' AS stamp,
                       INTERVAL 1 DAY + INTERVAL 2 HOUR AS span, [range, range + 1] AS pair, {'k': range} AS obj,
                       range % 2 = 0 AS even, 'x''y"z' AS text, '\\x01\\xFF'::BLOB AS bytes
                FROM range(2500)
                """, to: fixture.importDirectory + "/things.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            let created = try await client.send(.post, "/databases/g1/tables", object: ["table_name": "things", "source": "things.parquet"])
            #expect(created.status == .created, "\(String(buffer: created.body))")
            try await body(client, fixture)
        }
    }

    static func sql(_ client: TestServer.Client, _ sql: String, parameters: [Any]? = nil, path: String = "/databases/g1/tables/query")
        async throws -> TestServer.Response
    {
        var object: [String: Any] = ["sql": sql]
        if let parameters { object["parameters"] = parameters }
        return try await client.send(.post, path, object: object)
    }

    @Test func answersEveryTypeAsTheContractSaysWithParameters() async throws {
        try await Self.withStagedTable { client, _ in
            let response = try await Self.sql(
                client, "SELECT n, ratio, amount, day, stamp, span, pair, obj, even, text, bytes FROM things WHERE n = $1 AND identifier = $2;",
                parameters: [3, "p3"])
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let text = String(buffer: response.body)
            #expect(text.contains(#""rows":[[3,0.75,"3.75","2024-01-05","2024-01-02T03:04:05","P1DT2H",[3,4],{"k":3},false,"x'y\"z","Af8="]]"#), "\(text)")
            let body = try response.object()
            #expect(body["row_count"] as? Int == 1)
            #expect(body["truncated"] as? Bool == false)
            #expect(body["columns"] as? [String] == ["n", "ratio", "amount", "day", "stamp", "span", "pair", "obj", "even", "text", "bytes"])
            #expect(body["database"] as? String == "g1")
        }
    }

    @Test func refusesWritesAttachCopyFilesNetworkAndSeveralStatements() async throws {
        try await Self.withStagedTable { client, fixture in
            let forbidden = [
                "INSERT INTO things (identifier) VALUES ('x')",
                "DELETE FROM things",
                "CREATE TABLE evil AS SELECT 1",
                "DROP TABLE things",
                "ATTACH '/tmp/x.duckdb' AS x",
                "COPY things TO '\(fixture.directory)/out.parquet'",
                "INSTALL httpfs",
                "LOAD httpfs",
                "SET enable_external_access = true",
                "PRAGMA version",
                "SELECT * FROM read_csv('/etc/passwd')",
                "SELECT * FROM read_parquet('/etc/hosts')",
                "SELECT * FROM read_parquet('\(fixture.importDirectory)/things.parquet')",
                "SELECT * FROM read_parquet('https://example.com/x.parquet')",
                "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
                "WITH t AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM t",
            ]
            for statement in forbidden {
                let response = try await Self.sql(client, statement)
                #expect(response.status == .forbidden || response.status == .badRequest, "\(statement): \(String(buffer: response.body))")
                #expect(["forbidden_statement", "sql_binding_error", "sql_syntax_error"].contains(response.errorCode ?? ""), "\(statement)")
                // A write or file access never succeeds: the error says why.
                #expect(!(response.errorDetail.isEmpty), "\(statement)")
            }
            let several = try await Self.sql(client, "SELECT 1; DROP TABLE things")
            #expect(several.status == .badRequest)
            #expect(several.errorCode == "multiple_statements")
            #expect(try await Self.sql(client, "SELEC 1").errorCode == "sql_syntax_error")
            #expect(try await Self.sql(client, "SELECT nope FROM things").errorCode == "sql_binding_error")
            #expect(try await Self.sql(client, "   ").errorCode == "sql_syntax_error")
            #expect(try await client.send(.post, "/databases/g1/tables/query", json: #"{"sql": 1}"#).status == .unprocessableContent)
            #expect(try await client.send(.post, "/databases/g1/tables/query", json: #"{"sql": "SELECT 1", "x": 1}"#).status == .unprocessableContent)
            #expect(try await client.send(.post, "/databases/g1/tables/query", json: #"{"sql": "SELECT ?", "parameters": [[1]]}"#).status == .unprocessableContent)
            #expect(try await client.send(.post, "/databases/g1/tables/query", json: "{").errorCode == "invalid_json")
            #expect(try await Self.sql(client, "SELECT ?", parameters: []).status == .badRequest)
            // The table is intact after all of it.
            #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/out.parquet"))
            let count = try await Self.sql(client, "SELECT count(*) FROM things")
            #expect(String(buffer: count.body).contains(#""rows":[[2500]]"#))
        }
    }

    @Test func capsRowsAndStreamsNDJSONAndServerSentEvents() async throws {
        try await Self.withStagedTable(configure: { $0.maxRows = 1000; $0.maxStagingStreamRows = 2400 }) { client, _ in
            let capped = try await Self.sql(client, "SELECT n FROM things ORDER BY n")
            let body = try capped.object()
            #expect(body["row_count"] as? Int == 1000)
            #expect(body["truncated"] as? Bool == true)
            let exact = try await Self.sql(client, "SELECT n FROM things ORDER BY n LIMIT 1000")
            #expect(try exact.object()["truncated"] as? Bool == false)

            let ndjson = try await client.send(.post, "/databases/g1/tables/query?streaming=true&chunk_size=1000", object: ["sql": "SELECT n FROM things ORDER BY n LIMIT 2000"])
            #expect(ndjson.headers[.contentType]?.hasPrefix("application/x-ndjson") == true)
            let lines = String(buffer: ndjson.body).split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(lines.count == 2)
            #expect(lines.map { $0["is_last_chunk"] as? Bool } == [false, true])
            #expect(lines.last?["total_rows_sent"] as? Int == 2000)
            #expect(lines.first?["columns"] as? [String] == ["n"])
            #expect((lines.last?["data"] as? [[Int]])?.last == [1999])

            let over = try await client.send(.post, "/databases/g1/tables/query?streaming=true&chunk_size=1000", object: ["sql": "SELECT n FROM things"])
            let overLines = String(buffer: over.body).split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(overLines.last?["total_rows_sent"] as? Int == 2400)
            #expect(overLines.last?["truncated"] as? Bool == true)

            let empty = try await client.send(.post, "/databases/g1/tables/query?streaming=true", object: ["sql": "SELECT n FROM things WHERE false"])
            #expect(String(buffer: empty.body).contains(#""data":[],"row_count":0,"total_rows_sent":0,"is_last_chunk":true"#))

            var headers = HTTPFields()
            headers[.accept] = "text/event-stream"
            headers[.contentType] = "application/json"
            let sse = try await client.execute(
                uri: "/databases/g1/tables/query?chunk_size=2", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"sql": "SELECT n FROM things ORDER BY n LIMIT 3"}"#))
            let events = String(buffer: sse.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { $0.split(separator: "\n").first.map(String.init) ?? "" }
            #expect(events == ["event: columns", "event: chunk", "event: chunk", "event: complete"])
        }
    }

    @Test func aQueryPastItsTimeoutIs408AndTheConnectionIsFreed() async throws {
        try await Self.withStagedTable { client, _ in
            let started = ContinuousClock.now
            let response = try await client.send(
                .post, "/databases/g1/tables/query",
                object: ["sql": "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3", "timeout": 0.3])
            #expect(response.status == .requestTimeout, "\(String(buffer: response.body))")
            #expect(response.errorCode == "query_timeout")
            // The query would run for minutes: a bound a loaded machine keeps.
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(try await Self.sql(client, "SELECT 1").status == .ok)
        }
    }
}
