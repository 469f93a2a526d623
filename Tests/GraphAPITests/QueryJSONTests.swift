import Foundation
import GraphAPITesting
import HTTPTypes
import Logging
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// `POST /databases/{graph_id}/query` answering one JSON document, and every error that is known
/// before the first byte.
@Suite struct QueryJSONTests {
    static let people = TestGraph(id: "people", ddl: TestGraph.peopleDDL)

    @Test func answersColumnsRowsAndMetadata() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let answer = try await client.cypher("people", "MATCH (p:Person) RETURN p.name AS name, p.age AS age ORDER BY name")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "application/json; charset=utf-8")
            let body = try answer.json()
            #expect(body["columns"] as? [String] == ["name", "age"])
            let data = try #require(body["data"] as? [[String: Any]])
            #expect(data.count == 2)
            #expect(data.first?["name"] as? String == "Ada")
            #expect(data.first?["age"] as? Int == 36)
            #expect(body["row_count"] as? Int == 2)
            #expect(body["database"] as? String == "people")
            #expect(body["truncated"] as? Bool == false)
            #expect((body["execution_time_ms"] as? Double).map { $0 >= 0 } == true)
            // The seed form with "database" equal to the path id is accepted.
            let seedForm = try await client.query("people", body: #"{"cypher": "RETURN 1 AS one", "database": "people"}"#)
            #expect(seedForm.status == .ok)
        }
    }

    @Test func encodesEveryValueKind() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let answer = try await client.cypher(
                "people",
                """
                MATCH (a:Person {name: 'Ada'})-[k:KNOWS]->(b:Person)
                RETURN a, k, b.born AS born, a.amount AS amount, a.tags AS tags, a.score AS score,
                       timestamp('2024-01-02 03:04:05') AS ts, interval('1 day 2 hours') AS span,
                       {x: 1, y: 'two'} AS st, NULL AS nothing, true AS yes
                """
            )
            #expect(answer.status == .ok, "\(answer.body)")
            let row = try #require((try answer.json()["data"] as? [[String: Any]])?.first)
            let node = try #require(row["a"] as? [String: Any])
            #expect(node["_LABEL"] as? String == "Person")
            #expect(node["name"] as? String == "Ada")
            #expect((node["_ID"] as? [String: Any])?["offset"] != nil)
            let rel = try #require(row["k"] as? [String: Any])
            #expect(rel["_LABEL"] as? String == "KNOWS")
            #expect(rel["since"] as? Int == 1936)
            #expect(rel["_SRC"] as? [String: Any] != nil)
            #expect(rel["_DST"] as? [String: Any] != nil)
            #expect(row["born"] as? String == "1912-06-23")
            #expect(row["amount"] as? String == "12.50")
            #expect(row["tags"] as? [String] == ["math", "code"])
            #expect(row["score"] as? Double == 1.5)
            #expect(row["ts"] as? String == "2024-01-02T03:04:05")
            #expect(row["span"] as? String == "P1DT2H")
            #expect((row["st"] as? [String: Any])?["y"] as? String == "two")
            #expect(row["nothing"] is NSNull)
            #expect(row["yes"] as? Bool == true)

            let path = try await client.cypher("people", "MATCH p = (:Person)-[:KNOWS*1..1]->(:Person) RETURN p")
            #expect(path.status == .ok, "\(path.body)")
            let value = try #require((try path.json()["data"] as? [[String: Any]])?.first?["p"] as? [String: Any])
            #expect((value["_NODES"] as? [Any])?.count == 2)
            #expect((value["_RELS"] as? [Any])?.count == 1)
        }
    }

    @Test func bindsParametersWithTheirJSONTypes() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let answer = try await client.query(
                "people",
                body: #"""
                {"cypher": "RETURN $i / 2 AS int_div, $d / 2 AS double_div, $s AS s, $b AS b, $n AS n, $l AS l, $m.k AS mk, $big AS big",
                 "parameters": {"i": 5, "d": 5.0, "s": "h\u00e9llo \"q\" \ud83d\ude00", "b": true, "n": null, "l": [1, 2, 3],
                                "m": {"k": "v"}, "big": 170141183460469231731687303715884105727}}
                """#
            )
            #expect(answer.status == .ok, "\(answer.body)")
            let row = try #require((try answer.json()["data"] as? [[String: Any]])?.first)
            #expect(row["int_div"] as? Int == 2)  // INT64: integer division
            #expect(row["double_div"] as? Double == 2.5)  // DOUBLE
            #expect(row["s"] as? String == "héllo \"q\" 😀")
            #expect(row["b"] as? Bool == true)
            #expect(row["n"] is NSNull)
            #expect(row["l"] as? [Int] == [1, 2, 3])
            #expect(row["mk"] as? String == "v")
            #expect(answer.body.contains("\"big\":170141183460469231731687303715884105727"))

            // A parameter filters a MATCH, bound, never spliced.
            let injected = try await client.cypher(
                "people", "MATCH (p:Person) WHERE p.name = $name RETURN count(*) AS n", parameters: ["name": "Ada' OR '1'='1"]
            )
            #expect((try injected.json()["data"] as? [[String: Any]])?.first?["n"] as? Int == 0)
        }
    }

    @Test func statementsThatReachServerFilesAre403() async throws {
        let dir = TestServer.temporaryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/secret.csv"
        try Data("id\n1\n".utf8).write(to: URL(fileURLWithPath: csv))
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let forbidden = [
                "LOAD FROM '/etc/passwd' (header = false, delim = ':') RETURN *",
                "LOAD WITH HEADERS (id INT64) FROM '\(csv)' RETURN id",
                "COPY Person FROM '\(csv)'",
                "COPY (MATCH (p:Person) RETURN p.name) TO '\(dir)/out.csv'",
                "EXPORT DATABASE '\(dir)/export'",
                "IMPORT DATABASE '\(dir)/export'",
                "ATTACH '\(dir)/other.lbug' AS other (dbtype lbug)",
                "INSTALL httpfs",
                "load extension '/tmp/x.so'",
                "MATCH (p:Person) RETURN p.name; LOAD FROM '/etc/passwd' RETURN *",
            ]
            for cypher in forbidden {
                let answer = try await client.cypher("people", cypher)
                #expect(answer.status == .forbidden, "\(cypher): \(answer.body)")
                #expect(answer.code == "forbidden_statement", "\(cypher)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/out.csv"))
            // The same words inside strings, or as property names, are fine.
            let allowed = try await client.cypher("people", "MATCH (p:Person) WHERE p.name <> 'COPY FROM /etc/passwd' RETURN count(*) AS n")
            #expect(allowed.status == .ok, "\(allowed.body)")
            let property = try await client.cypher("people", "WITH {load: 1} AS m RETURN m.load AS l")
            #expect(property.status == .ok, "\(property.body)")
        }
    }

    @Test func truncatesAtMaxRowsAndSaysSo() async throws {
        try await TestServer.withServer(graphs: [Self.people], configure: { $0.maxRows = 10 }) { server in
            let client = server.client
            let over = try await client.cypher("people", "UNWIND range(1, 25) AS i RETURN i")
            let body = try over.json()
            #expect((body["data"] as? [Any])?.count == 10)
            #expect(body["row_count"] as? Int == 10)
            #expect(body["truncated"] as? Bool == true)
            let exact = try await client.cypher("people", "UNWIND range(1, 10) AS i RETURN i")
            #expect(try exact.json()["truncated"] as? Bool == false)
            #expect(try exact.json()["row_count"] as? Int == 10)
        }
    }

    @Test func malformedBodiesAre422Or400() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let unprocessable = [
                #"{}"#, #"{"parameters": {}}"#, #"{"cypher": 5}"#, #"{"cypher": "RETURN 1", "parameters": [1]}"#,
                #"{"cypher": "RETURN 1", "timeout": "soon"}"#, #"{"cypher": "RETURN 1", "timeout": -1}"#,
                #"{"cypher": "RETURN 1", "timeout": true}"#, #"{"cypher": "RETURN 1", "database": 3}"#,
                #"{"cypher": "RETURN 1", "query": "x"}"#, #"["RETURN 1"]"#, "",
            ]
            for body in unprocessable {
                let answer = try await client.query("people", body: body)
                #expect(answer.status == .unprocessableContent, "\(body) → \(answer.status) \(answer.body)")
                #expect(answer.code == "validation_error", "\(body)")
            }
            for body in [#"{"cypher": "RETURN 1""#, #"{"cypher": 'x'}"#, "{\"cypher\": \"RETURN 1\"} trailing", #"{"cypher": "a", "cypher": "b"}"#] {
                let answer = try await client.query("people", body: body)
                #expect(answer.status == .badRequest, "\(body) → \(answer.status)")
                #expect(answer.code == "invalid_json", "\(body)")
            }
            let mismatch = try await client.query("people", body: #"{"cypher": "RETURN 1", "database": "other"}"#)
            #expect(mismatch.status == .badRequest)
            #expect(mismatch.code == "database_mismatch")
        }
    }

    @Test func parseAndBindErrorsAre400WithTheEngineMessage() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let syntax = try await client.cypher("people", "MATCH (n RETURN n")
            #expect(syntax.status == .badRequest)
            #expect(syntax.code == "cypher_syntax_error")
            #expect((try syntax.json()["detail"] as? String)?.contains("Parser exception") == true)

            let unknownTable = try await client.cypher("people", "MATCH (n:Nobody) RETURN n")
            #expect(unknownTable.status == .badRequest)
            #expect(unknownTable.code == "cypher_binding_error")

            let missing = try await client.cypher("people", "RETURN $x AS x")
            #expect(missing.status == .badRequest)
            #expect(missing.code == "cypher_binding_error")

            let unused = try await client.cypher("people", "RETURN 1 AS x", parameters: ["y": 1])
            #expect(unused.status == .badRequest)
            #expect(unused.code == "cypher_binding_error")

            let empty = try await client.cypher("people", "   ")
            #expect(empty.status == .badRequest)

            let transaction = try await client.cypher("people", "/* hi */ BEGIN TRANSACTION")
            #expect(transaction.status == .badRequest)
            #expect(transaction.code == "transaction_statement_not_supported")

            let runtime = try await client.cypher("people", "CREATE (:Person {name: 'Ada'})")  // duplicate primary key
            #expect(runtime.status == .badRequest, "\(runtime.body)")
            #expect(runtime.code == "query_failed")

            // The connection that saw the errors still answers.
            #expect(try await client.cypher("people", "RETURN 1 AS one").status == .ok)
        }
    }

    @Test func unknownOrInvalidGraphIsAnHTTPErrorInEveryFormat() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            for suffix in ["", "?streaming=true"] {
                let unknown = try await client.cypher("nobody", "RETURN 1", suffix: suffix)
                #expect(unknown.status == .notFound)
                #expect(unknown.code == "database_not_found")
            }
            let sse = try await client.cypher("nobody", "RETURN 1", headers: [.accept: "text/event-stream"])
            #expect(sse.status == .notFound)
            let invalid = try await client.cypher("bad.id", "RETURN 1")
            #expect(invalid.status == .badRequest)
            #expect(invalid.code == "invalid_graph_id")
        }
    }

    @Test func writesAreRefusedOnReadOnlyGraphsBeforeTheyRun() async throws {
        let frozen = TestGraph(id: "frozen", ddl: TestGraph.peopleDDL, readOnly: true)
        try await TestServer.withServer(graphs: [frozen]) { server in
            let client = server.client
            let write = try await client.cypher("frozen", "CREATE (:Person {name: 'Grace'})")
            #expect(write.status == .forbidden)
            #expect(write.code == "read_only_database")
            // Keyword matching would miss this one; the engine's classification does not.
            let sneaky = try await client.cypher("frozen", "MATCH (p:Person {name: 'Ada'}) SET p.age = 99 RETURN p.age")
            #expect(sneaky.status == .forbidden)
            let read = try await client.cypher("frozen", "MATCH (p:Person) RETURN count(*) AS n, max(p.age) AS oldest")
            #expect(read.status == .ok)
            let row = try #require((try read.json()["data"] as? [[String: Any]])?.first)
            #expect(row["n"] as? Int == 2)
            #expect(row["oldest"] as? Int == 41)
        }
    }

    @Test func writesAreRefusedForReadOnlyKeys() async throws {
        try await TestServer.withServer(
            graphs: [Self.people],
            configure: {
                $0.apiKeys = [APIKey(secret: "writer-key"), APIKey(secret: "reader-key", scope: KeyScope(readOnly: true))]
            }
        ) { server in
            let client = server.client
            let reader: HTTPFields = [HTTPField.Name("X-Graph-API-Key")!: "reader-key"]
            let writer: HTTPFields = [.authorization: "Bearer writer-key"]
            let refused = try await client.cypher("people", "CREATE (:Person {name: 'Grace'})", headers: reader)
            #expect(refused.status == .forbidden)
            #expect(refused.code == "read_only_key")
            let read = try await client.cypher("people", "MATCH (p:Person) RETURN count(*) AS n", headers: reader)
            #expect((try read.json()["data"] as? [[String: Any]])?.first?["n"] as? Int == 2)
            let accepted = try await client.cypher("people", "CREATE (:Person {name: 'Grace'})", headers: writer)
            #expect(accepted.status == .ok)
            let after = try await client.cypher("people", "MATCH (p:Person) RETURN count(*) AS n", headers: reader)
            #expect((try after.json()["data"] as? [[String: Any]])?.first?["n"] as? Int == 3)
            let anonymous = try await client.cypher("people", "RETURN 1")
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func writesAreRefusedOnReadOnlyNodes() async throws {
        let dir = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.createGraphs([Self.people], in: dir)
        try await TestServer.withServer(dataDirectory: dir, configure: { $0.nodeType = .sharedReplica }) { server in
            let client = server.client
            let write = try await client.cypher("people", "CREATE (:Person {name: 'Grace'})")
            #expect(write.status == .forbidden)
            #expect(write.code == "read_only_node")
            let read = try await client.cypher("people", "MATCH (p:Person) RETURN count(*) AS n")
            #expect(read.status == .ok, "\(read.body)")
        }
    }

    @Test func countsQueriesForTheGraphsMetrics() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            for _ in 0..<3 { _ = try await client.cypher("people", "RETURN 1") }
            _ = try await client.cypher("people", "RETURN (")  // refused before running: not counted
            let metrics = try await client.execute(uri: "/databases/people/metrics", method: .get)
            #expect(metrics.status == .ok)
            let body = try #require(JSONSerialization.jsonObject(with: Data(String(buffer: metrics.body).utf8)) as? [String: Any])
            #expect(body["query_count"] as? Int == 3)
        }
    }

    @Test func everyWriteLeavesAnAuditLine() async throws {
        let capture = LogCapture()
        try await TestServer.withServer(graphs: [Self.people], logs: capture) { server in
            let client = server.client
            let read = try await client.cypher("people", "MATCH (p:Person) RETURN p.name")
            #expect(read.status == .ok)
            let write = try await client.cypher("people", "CREATE (:Person {name: 'Grace', age: 85})")
            #expect(write.status == .ok)
        }
        let audits = capture.records.filter { $0.metadata["audit"] == "write" }
        #expect(audits.count == 1)
        let audit = try #require(audits.first)
        #expect(audit.level == .notice)
        #expect(audit.metadata["graph_id"] == "people")
        #expect(audit.metadata["statement"]?.description.hasPrefix("CREATE (:Person") == true)
        #expect(audit.metadata["client"] != nil)
    }

    @Test func explainReturnsThePlanAndSeveralStatementsAreRefused() async throws {
        try await TestServer.withServer(graphs: [Self.people]) { server in
            let client = server.client
            let plan = try await client.cypher("people", "EXPLAIN MATCH (p:Person) RETURN p.name")
            #expect(plan.status == .ok, "\(plan.body)")
            #expect((try plan.json()["row_count"] as? Int).map { $0 >= 1 } == true)
            let two = try await client.cypher("people", "RETURN 1; RETURN 2")
            #expect(two.status == .badRequest, "\(two.body)")
        }
    }
}
