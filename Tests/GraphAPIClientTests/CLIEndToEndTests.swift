import Foundation
import GraphJSON
import Testing

@testable import GraphAPIClient

/// The `graph-api` binary run as a subprocess against a live in-process server.
@Suite(.serialized) struct CLIEndToEndTests {
    static let peopleDDL = """
        CREATE NODE TABLE Person(name STRING, age INT64, PRIMARY KEY(name));
        CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64);
        """

    /// Runs `graph-api arguments…` with the server URL and key in the environment.
    static func graphAPI(
        _ url: String, _ arguments: [String], key: String? = LiveServer.apiKey, stdin: String? = nil, environment extra: [String: String] = [:]
    ) async throws -> CLIProcess.Outcome {
        var environment = extra
        environment["GRAPH_API_URL"] = url
        if let key { environment["GRAPH_API_KEY"] = key }
        return try await CLIProcess.run(arguments, environment: environment, stdin: stdin)
    }

    static func writeTemporaryFile(_ text: String, suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-cli-\(UUID().uuidString)\(suffix)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func healthAndTheDatabaseLifecycle() async throws {
        try await LiveServer.with { url in
            var run = try await Self.graphAPI(url, ["health"], key: nil)
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("healthy (\(url), version "), "\(run)")
            run = try await CLIProcess.run(["health", "--url", url, "--json"])
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout)["status"] == "healthy")

            run = try await Self.graphAPI(url, ["databases", "create", "entities"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("created database 'entities' (schema entity) in "), "\(run)")

            let ddlPath = try Self.writeTemporaryFile(Self.peopleDDL, suffix: ".cypher")
            defer { try? FileManager.default.removeItem(atPath: ddlPath) }
            run = try await Self.graphAPI(url, ["databases", "create", "people", "--ddl-file", ddlPath, "--json"])
            #expect(run.status == 0, "\(run)")
            let created = try JSONValue(parsing: run.stdout)
            #expect(created["graph_id"] == "people")
            #expect(created["schema_type"] == "custom")
            #expect(created["schema_applied"] == true)

            run = try await Self.graphAPI(
                url, ["databases", "create", "frozen", "--schema-type", "custom", "--ddl-file", "-", "--read-only"], stdin: Self.peopleDDL
            )
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("created database 'frozen' (schema custom, read-only)"), "\(run)")

            run = try await Self.graphAPI(url, ["databases", "create", "people", "--ddl-file", ddlPath])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: database_exists, HTTP 409"), "\(run)")

            run = try await Self.graphAPI(url, ["databases", "list"])
            #expect(run.status == 0, "\(run)")
            let listLines = Self.lines(run.stdout)
            #expect(listLines.first?.hasPrefix(" graph_id | schema_type | repository | read_only | size") == true, "\(run)")
            #expect(listLines.contains { $0.hasPrefix(" entities | entity ") }, "\(run)")
            #expect(listLines.contains { $0.hasPrefix(" frozen   | custom      |            | true ") }, "\(run)")
            #expect(listLines.contains { $0.hasPrefix(" people   | custom      |            | false ") }, "\(run)")
            #expect(run.stdout.contains("(3 databases, "), "\(run)")

            run = try await Self.graphAPI(url, ["databases", "list", "--json"])
            let list = try JSONValue(parsing: run.stdout)
            #expect(list["total_databases"] == 3)
            #expect(Set(list["databases"]?.arrayValue?.compactMap { $0["graph_id"]?.stringValue } ?? []) == ["entities", "frozen", "people"])

            run = try await Self.graphAPI(url, ["databases", "info", "people"])
            #expect(run.status == 0, "\(run)")
            let info = Self.lines(run.stdout)
            #expect(info.contains("graph_id:      people"), "\(run)")
            #expect(info.contains("schema_type:   custom"), "\(run)")
            #expect(info.contains("healthy:       true"), "\(run)")
            #expect(info.contains("nodes:         0"), "\(run)")
            #expect(info.contains("relationships: 0"), "\(run)")
            run = try await Self.graphAPI(url, ["databases", "info", "frozen", "--json"])
            #expect(try JSONValue(parsing: run.stdout)["read_only"] == true, "\(run)")

            run = try await Self.graphAPI(url, ["databases", "schema", "people"])
            #expect(run.status == 0, "\(run)")
            let schema = Self.lines(run.stdout)
            #expect(schema.contains("Node tables (1)"), "\(run)")
            #expect(schema.contains("  Person"), "\(run)")
            #expect(schema.contains("    name  STRING  PRIMARY KEY"), "\(run)")
            #expect(schema.contains("    age   INT64"), "\(run)")
            #expect(schema.contains("Relationship tables (1)"), "\(run)")
            #expect(schema.contains("  KNOWS (Person -> Person)"), "\(run)")
            #expect(schema.contains("    since  INT64"), "\(run)")
            run = try await Self.graphAPI(url, ["databases", "schema", "people", "--json"])
            #expect(try JSONValue(parsing: run.stdout)["node_tables"]?.arrayValue?.first?["name"] == "Person", "\(run)")

            // Delete refuses without --yes, and deletes nothing.
            run = try await Self.graphAPI(url, ["databases", "delete", "people"])
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("add --yes to confirm"), "\(run)")
            run = try await Self.graphAPI(url, ["databases", "info", "people"])
            #expect(run.status == 0, "\(run)")

            run = try await Self.graphAPI(url, ["databases", "delete", "people", "--yes"])
            #expect(run.status == 0, "\(run)")
            run = try await Self.graphAPI(url, ["databases", "info", "people"])
            #expect(run.status == 4, "\(run)")
            #expect(run.stderr.contains("code: database_not_found, HTTP 404"), "\(run)")
            run = try await Self.graphAPI(url, ["databases", "list", "--json"])
            #expect(try JSONValue(parsing: run.stdout)["total_databases"] == 2, "\(run)")
        }
    }

    @Test func queryInEveryFormat() async throws {
        try await LiveServer.with { url in
            var run = try await Self.graphAPI(url, ["databases", "create", "people", "--ddl-file", "-"], stdin: Self.peopleDDL)
            #expect(run.status == 0, "\(run)")
            for (name, age) in [("Alice", 30), ("Bob", 25), ("Carol, \"CJ\"", 41), ("Dan", 19), ("Eve", 35)] {
                run = try await Self.graphAPI(
                    url, ["query", "people", "CREATE (:Person {name: $name, age: $age})", "--param", "name=\(name)", "--param", "age=\(age)"]
                )
                #expect(run.status == 0, "\(run)")
            }
            let cypher = "MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name, p.age AS age ORDER BY p.age"

            run = try await Self.graphAPI(url, ["query", "people", cypher, "--param", "min=25"])
            #expect(run.status == 0, "\(run)")
            let table = Self.lines(run.stdout)
            #expect(
                Array(table.prefix(6)) == [
                    " name        | age", "-------------+-----", " Bob         |  25", " Alice       |  30", " Eve         |  35",
                    " Carol, \"CJ\" |  41",
                ],
                "\(run)"
            )
            #expect(table.dropFirst(6).first?.hasPrefix("(4 rows, ") == true, "\(run)")

            run = try await Self.graphAPI(url, ["query", "people", cypher, "--param", "min=25", "--format", "json"])
            #expect(run.status == 0, "\(run)")
            let json = try JSONValue(parsing: run.stdout)
            #expect(json["columns"] == ["name", "age"])
            #expect(json["row_count"] == 4)
            #expect(json["truncated"] == false)
            #expect(json["database"] == "people")
            #expect(json["data"]?.arrayValue?.first == ["name": "Bob", "age": 25])

            run = try await Self.graphAPI(url, ["query", "people", cypher, "--param", "min=25", "--format", "ndjson", "--chunk-size", "3"])
            #expect(run.status == 0, "\(run)")
            #expect(
                run.stdout
                    == #"{"name":"Bob","age":25}"# + "\n" + #"{"name":"Alice","age":30}"# + "\n" + #"{"name":"Eve","age":35}"# + "\n"
                    + #"{"name":"Carol, \"CJ\"","age":41}"# + "\n",
                "\(run)"
            )

            run = try await Self.graphAPI(url, ["query", "people", cypher, "--param", "min=25", "--format", "csv"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "name,age\r\nBob,25\r\nAlice,30\r\nEve,35\r\n\"Carol, \"\"CJ\"\"\",41\r\n", "\(run)")

            // The Cypher from a file and from standard input.
            let path = try Self.writeTemporaryFile("MATCH (p:Person) RETURN count(*) AS people", suffix: ".cypher")
            defer { try? FileManager.default.removeItem(atPath: path) }
            run = try await Self.graphAPI(url, ["query", "people", "--file", path, "--format", "csv"])
            #expect(run.stdout == "people\r\n5\r\n", "\(run)")
            run = try await Self.graphAPI(url, ["query", "people", "-", "--format", "csv"], stdin: "MATCH (p:Person {name: 'Dan'}) RETURN p.age")
            #expect(run.stdout == "p.age\r\n19\r\n", "\(run)")

            // Every kind of value, in the table and in CSV.
            let kinds = "RETURN 1 AS i, 1.5 AS d, 'x y' AS s, true AS b, NULL AS n, [1, 2] AS l, {a: 1, b: 'z'} AS m, '' AS e"
            run = try await Self.graphAPI(url, ["query", "people", kinds])
            #expect(run.status == 0, "\(run)")
            #expect(
                Array(Self.lines(run.stdout).prefix(3)) == [
                    " i | d   | s   | b    | n    | l     | m               | e", "---+-----+-----+------+------+-------+-----------------+---",
                    " 1 | 1.5 | x y | true | NULL | [1,2] | {\"a\":1,\"b\":\"z\"} |",
                ],
                "\(run)"
            )
            run = try await Self.graphAPI(url, ["query", "people", kinds, "--format", "csv"])
            #expect(run.stdout == "i,d,s,b,n,l,m,e\r\n1,1.5,x y,true,,\"[1,2]\",\"{\"\"a\"\":1,\"\"b\"\":\"\"z\"\"}\",\"\"\r\n", "\(run)")

            // A node is an object with its label.
            run = try await Self.graphAPI(url, ["query", "people", "MATCH (p:Person {name: 'Dan'}) RETURN p", "--format", "ndjson"])
            let node = try JSONValue(parsing: run.stdout)["p"]
            #expect(node?["_LABEL"] == "Person", "\(run)")
            #expect(node?["age"] == 19, "\(run)")

            // JSON and the table stop at the server's row limit and say so; the streamed formats do not.
            let many = "UNWIND range(1, 60) AS i RETURN i"
            run = try await Self.graphAPI(url, ["query", "people", many])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("\n(50 rows, "), "\(run)")
            #expect(run.stderr.contains("the result was cut at 50 rows"), "\(run)")
            run = try await Self.graphAPI(url, ["query", "people", many, "--format", "json"])
            #expect(try JSONValue(parsing: run.stdout)["truncated"] == true, "\(run)")
            #expect(run.stderr.contains("the result was cut at 50 rows"), "\(run)")
            run = try await Self.graphAPI(url, ["query", "people", many, "--format", "ndjson"])
            #expect(Self.lines(run.stdout).filter { !$0.isEmpty }.count == 60, "\(run)")
            #expect(run.stdout.hasSuffix(#"{"i":60}"# + "\n"), "\(run)")
            #expect(run.stderr.isEmpty, "\(run)")
            run = try await Self.graphAPI(url, ["query", "people", many, "--format", "csv", "--chunk-size", "10"])
            #expect(run.stdout.components(separatedBy: "\r\n").count == 62, "\(run)")  // header, 60 records, ""

            // A statement without columns (a write) prints only its count.
            run = try await Self.graphAPI(url, ["query", "people", "MATCH (p:Person {name: 'Dan'}) SET p.age = 20"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("(0 rows, "), "\(run)")
        }
    }

    @Test func errorsExitByClass() async throws {
        try await LiveServer.with { url in
            var run = try await Self.graphAPI(
                url, ["databases", "create", "numbers", "--ddl-file", "-"], stdin: "CREATE NODE TABLE N(id INT64, PRIMARY KEY(id));"
            )
            #expect(run.status == 0, "\(run)")

            // Authentication and permission: exit 3.
            run = try await Self.graphAPI(url, ["databases", "list"], key: "wrong-key")
            #expect(run.status == 3, "\(run)")
            #expect(run.stderr == "Error: missing or invalid API key (code: unauthorized, HTTP 401)\n", "\(run)")
            run = try await Self.graphAPI(url, ["query", "numbers", "RETURN 1"], key: nil)
            #expect(run.status == 3, "\(run)")
            run = try await Self.graphAPI(url, ["databases", "list", "--api-key", LiveServer.apiKey], key: "wrong-key")
            #expect(run.status == 0, "the flag wins over the environment: \(run)")
            run = try await Self.graphAPI(url, ["query", "numbers", "CREATE (:N {id: 1})"], key: LiveServer.readOnlyKey)
            #expect(run.status == 3, "\(run)")
            #expect(run.stderr.contains("HTTP 403"), "\(run)")

            // Unknown database: exit 4, for every command that names one.
            for arguments in [
                ["query", "nope", "RETURN 1"], ["query", "nope", "RETURN 1", "--format", "ndjson"], ["databases", "info", "nope"],
                ["databases", "schema", "nope"], ["databases", "delete", "nope", "--yes"],
            ] {
                run = try await Self.graphAPI(url, arguments)
                #expect(run.status == 4, "\(arguments): \(run)")
                #expect(run.stderr.contains("code: database_not_found, HTTP 404"), "\(arguments): \(run)")
            }

            // A DDL file that cannot be read: a usage error, nothing sent. A pipe (`<(...)`) reads fine.
            run = try await Self.graphAPI(url, ["databases", "create", "ghost", "--ddl-file", "/nonexistent/schema.cypher"])
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("cannot read the DDL file '/nonexistent/schema.cypher'"), "\(run)")
            run = try await Self.graphAPI(url, ["databases", "info", "ghost"])
            #expect(run.status == 4, "\(run)")
            let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-ddl-\(UUID().uuidString)").path
            #expect(mkfifo(fifo, 0o600) == 0)
            defer { unlink(fifo) }
            let feeder = Thread {
                if let handle = FileHandle(forWritingAtPath: fifo) {
                    handle.write(Data("CREATE NODE TABLE P(id INT64 PRIMARY KEY)".utf8))
                    try? handle.close()
                }
            }
            feeder.start()
            run = try await Self.graphAPI(url, ["databases", "create", "piped", "--ddl-file", fifo])
            #expect(run.status == 0, "\(run)")

            // Other server errors: exit 1 with the server's detail and code.
            run = try await Self.graphAPI(url, ["query", "numbers", "MATCH (n:N RETURN n"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: cypher_syntax_error, HTTP 400"), "\(run)")
            run = try await Self.graphAPI(url, ["query", "numbers", "MATCH (n:N RETURN n", "--format", "csv"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stdout.isEmpty, "a stream refused before its first byte prints nothing: \(run)")
            run = try await Self.graphAPI(url, ["databases", "info", "bad.id"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("HTTP 400"), "\(run)")

            // A query past its timeout is stopped by the server (408).
            run = try await Self.graphAPI(url, ["query", "numbers", "UNWIND range(1, 3000) AS i CREATE (:N {id: i + 1})"])
            #expect(run.status == 0, "\(run)")
            let endless = "MATCH (a:N), (b:N), (c:N) WHERE a.id + b.id + c.id = -1 RETURN count(*)"
            run = try await Self.graphAPI(url, ["query", "numbers", endless, "--timeout", "0.5"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: query_timeout, HTTP 408"), "\(run)")

            // A server that is not there: exit 1.
            run = try await Self.graphAPI("http://127.0.0.1:1", ["health"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("cannot connect to the server at 127.0.0.1:1"), "\(run)")

            // Usage errors: exit 64 and nothing is sent.
            for arguments in [
                ["query", "numbers", "RETURN $x", "--param", "x"], ["query", "numbers", "RETURN $x", "--param", "1x=2"],
                ["query", "numbers", "RETURN 1", "--param", "x=1", "--param", "x=2"], ["query", "numbers"],
                ["query", "numbers", "RETURN 1", "--file", "/nonexistent"], ["query", "numbers", "RETURN 1", "--chunk-size", "0"],
                ["query", "numbers", "RETURN 1", "--timeout", "-1"], ["query", "numbers", "RETURN 1", "--format", "xml"],
                ["databases", "create", "x", "--schema-type", "graph"], ["databases", "create", "x", "--schema-type", "custom"],
                ["health", "--url", "localhost:8001"],
            ] {
                run = try await Self.graphAPI(url, arguments)
                #expect(run.status == 64, "\(arguments): \(run)")
                #expect(run.stderr.hasPrefix("Error: "), "\(arguments): \(run)")
            }
        }
    }
}
