import Foundation
import GraphJSON
import Testing

@testable import GraphAPIClient

/// `graph-api tables …` and `graph-api copy` run as subprocesses against a live in-process server
/// with the real engines, reading fixture files from the server's import directory.
@Suite(.serialized) struct TablesCLITests {
    static let ddl = """
        CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, name STRING, age INT64);
        CREATE NODE TABLE City(identifier STRING PRIMARY KEY, name STRING);
        CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64);
        """

    /// Three people; p1 is listed twice (the load keeps it once).
    static let peopleCSV = "identifier,name,age\np1,Alice,30\np2,Bob,25\np3,\"Carol, CJ\",41\np1,Alice,30\n"
    /// Two valid relationships and one to a person the graph does not have.
    static let knowsCSV = "from,to,since\np1,p2,2020\np2,p3,2021\np1,ghost,2022\n"

    static func graphAPI(_ url: String, _ arguments: [String], key: String? = LiveServer.apiKey, stdin: String? = nil)
        async throws -> CLIProcess.Outcome
    {
        try await CLIEndToEndTests.graphAPI(url, arguments, key: key, stdin: stdin)
    }

    static func lines(_ text: String) -> [String] { CLIEndToEndTests.lines(text) }

    static func createPeople(_ url: String) async throws {
        let run = try await graphAPI(url, ["databases", "create", "people", "--ddl-file", "-"], stdin: ddl)
        #expect(run.status == 0, "\(run)")
    }

    /// The single number a Cypher count returns, through `graph-api query`.
    static func count(_ url: String, _ cypher: String) async throws -> String {
        let run = try await graphAPI(url, ["query", "people", cypher, "--format", "csv"])
        #expect(run.status == 0, "\(run)")
        return run.stdout.components(separatedBy: "\r\n").dropFirst().first ?? ""
    }

    @Test func createListQueryAndDeleteStagingTables() async throws {
        try await LiveServer.withServer { server in
            let (url, imports) = (server.url, server.importDirectory)
            try FixtureFiles.write(text: Self.peopleCSV, to: imports + "/people.csv")
            try FixtureFiles.write("SELECT 'a' || range AS identifier, 'first' AS name, range AS age FROM range(5)", to: imports + "/more/a.parquet")
            try FixtureFiles.write("SELECT 'b' || range AS identifier, 'second' AS name, range AS age FROM range(3)", to: imports + "/more/b.parquet")
            try await Self.createPeople(url)

            // From a CSV file (relative to the import directory).
            var run = try await Self.graphAPI(url, ["tables", "create", "people", "Person", "--source", "people.csv"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("staged 3 rows in table 'Person' of 'people' (4 read, 1 dropped, node-shaped, csv) in "), "\(run)")

            // From a list of sources, one relative and one absolute, with a file id for one of them.
            run = try await Self.graphAPI(
                url,
                [
                    "tables", "create", "people", "More", "--source", "more/a.parquet", "--source", imports + "/more/b.parquet",
                    "--file-id", "more/b.parquet=batch-b", "--json",
                ]
            )
            #expect(run.status == 0, "\(run)")
            let created = try JSONValue(parsing: run.stdout)
            #expect(created["status"] == "success")
            #expect(created["table_name"] == "More")
            #expect(created["row_count"] == 8)
            #expect(created["format"] == "parquet")

            run = try await Self.graphAPI(url, ["tables", "list", "people"])
            #expect(run.status == 0, "\(run)")
            let list = Self.lines(run.stdout)
            #expect(list.first?.hasPrefix(" table_name | row_count | size ") == true, "\(run)")
            #expect(list.first?.hasSuffix(" | columns") == true, "\(run)")
            let more = try #require(list.first { $0.hasPrefix(" More ") }, "\(run)")
            #expect(more.contains("|         8 |"), "\(run)")
            #expect(more.contains("/import/more/a.parquet, "), "\(run)")
            #expect(more.contains("/import/more/b.parquet"), "\(run)")
            #expect(more.hasSuffix("| identifier:VARCHAR, name:VARCHAR, age:BIGINT, file_id:VARCHAR"), "\(run)")
            let person = try #require(list.first { $0.hasPrefix(" Person ") }, "\(run)")
            #expect(person.contains("|         3 |") && person.contains("/import/people.csv"), "\(run)")
            #expect(list.contains { $0.hasPrefix("(2 staging tables, ") }, "\(run)")

            run = try await Self.graphAPI(url, ["tables", "list", "people", "--json"])
            #expect(run.status == 0, "\(run)")
            let tables = try #require(try JSONValue(parsing: run.stdout).arrayValue)
            #expect(tables.compactMap { $0["table_name"]?.stringValue }.sorted() == ["More", "Person"])
            let personColumns = tables.first { $0["table_name"] == "Person" }?["columns"]?.arrayValue ?? []
            #expect(personColumns.compactMap { $0["name"]?.stringValue } == ["identifier", "name", "age", "file_id"])

            // Queries: a table with a positional parameter, ndjson in chunks of one, CSV from
            // standard input and from a file, JSON.
            run = try await Self.graphAPI(
                url, ["tables", "query", "people", "SELECT identifier, name, age FROM Person WHERE age >= ? ORDER BY age", "--param", "26"]
            )
            #expect(run.status == 0, "\(run)")
            let table = Self.lines(run.stdout)
            #expect(
                Array(table.prefix(4)) == [
                    " identifier | name      | age", "------------+-----------+-----", " p1         | Alice     |  30", " p3         | Carol, CJ |  41",
                ],
                "\(run)"
            )
            #expect(table.dropFirst(4).first?.hasPrefix("(2 rows, ") == true, "\(run)")

            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT name FROM Person WHERE identifier = $1", "--param", "p2", "--format", "csv"])
            #expect(run.stdout == "name\r\nBob\r\n", "\(run)")

            run = try await Self.graphAPI(
                url, ["tables", "query", "people", "SELECT identifier, age FROM Person ORDER BY identifier", "--format", "ndjson", "--chunk-size", "1"]
            )
            #expect(run.status == 0, "\(run)")
            #expect(
                run.stdout == #"{"identifier":"p1","age":30}"# + "\n" + #"{"identifier":"p2","age":25}"# + "\n" + #"{"identifier":"p3","age":41}"# + "\n",
                "\(run)"
            )

            run = try await Self.graphAPI(url, ["tables", "query", "people", "-", "--format", "csv"], stdin: "SELECT name, age FROM Person ORDER BY name")
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "name,age\r\nAlice,30\r\nBob,25\r\n\"Carol, CJ\",41\r\n", "\(run)")

            let sqlFile = try CLIEndToEndTests.writeTemporaryFile("SELECT file_id, count(*) AS n FROM More GROUP BY file_id ORDER BY file_id", suffix: ".sql")
            defer { try? FileManager.default.removeItem(atPath: sqlFile) }
            run = try await Self.graphAPI(url, ["tables", "query", "people", "--file", sqlFile, "--format", "csv"])
            #expect(run.stdout == "file_id,n\r\na.parquet,5\r\nbatch-b,3\r\n", "\(run)")

            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT 1 AS one, 'x' AS s, NULL AS n", "--format", "json"])
            #expect(run.status == 0, "\(run)")
            let json = try JSONValue(parsing: run.stdout)
            #expect(json["columns"] == ["one", "s", "n"])
            #expect(json["rows"] == [[1, "x", nil]])
            #expect(json["row_count"] == 1)
            #expect(json["truncated"] == false)
            #expect(run.stderr.isEmpty, "\(run)")

            // The JSON formats stop at the row limit (50 here), the streamed ones at the streaming
            // limit (100 here); each says so on standard error.
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT range AS i FROM range(60)"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("\n(50 rows, "), "\(run)")
            #expect(
                run.stderr
                    == "Warning: the result was cut at 50 rows (the server's row limit); --format ndjson or csv streams up to the server's larger streaming limit\n",
                "\(run)"
            )
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT range AS i FROM range(60)", "--format", "json"])
            #expect(try JSONValue(parsing: run.stdout)["truncated"] == true, "\(run)")
            #expect(run.stderr.contains("the result was cut at 50 rows"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT range AS i FROM range(60)", "--format", "csv", "--chunk-size", "10"])
            #expect(run.stdout.components(separatedBy: "\r\n").count == 62, "\(run)")  // header, 60 records, ""
            #expect(run.stderr.isEmpty, "\(run)")
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT range AS i FROM range(120)", "--format", "ndjson"])
            #expect(run.status == 0, "\(run)")
            #expect(Self.lines(run.stdout).filter { !$0.isEmpty }.count == 100, "\(run)")
            #expect(run.stderr == "Warning: the result was cut at 100 rows (the server's streaming row limit)\n", "\(run)")

            // Refusals: a write (403), bad SQL (400; a stream refused before its first byte prints
            // nothing), a parameter the server does not take (422), an unknown graph (404).
            run = try await Self.graphAPI(url, ["tables", "query", "people", "DELETE FROM Person"])
            #expect(run.status == 3, "\(run)")
            #expect(run.stderr.contains("code: forbidden_statement, HTTP 403"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELEC 1"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("HTTP 400"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELEC 1", "--format", "csv"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT ?", "--param", "[1]"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("parameters[0] must be a string, number, boolean or null"), "\(run)")
            for arguments in [["tables", "list", "nope"], ["tables", "query", "nope", "SELECT 1"], ["tables", "delete", "nope", "More"]] {
                run = try await Self.graphAPI(url, arguments)
                #expect(run.status == 4, "\(arguments): \(run)")
                #expect(run.stderr.contains("database_not_found"), "\(arguments): \(run)")
            }
            run = try await Self.graphAPI(url, ["tables", "create", "people", "T", "--source", "people.csv"], key: LiveServer.readOnlyKey)
            #expect(run.status == 3, "\(run)")
            run = try await Self.graphAPI(url, ["tables", "create", "people", "T", "--source", "people.csv", "--file-id", "people.csv=a/b"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: invalid_file_id, HTTP 400"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "create", "people", "T", "--source", "missing.csv"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: source_not_found, HTTP 400"), "\(run)")

            // Deleting one file's rows, then whole tables.
            run = try await Self.graphAPI(url, ["tables", "delete-file", "people", "More", "batch-b"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "deleted 3 rows of file 'batch-b' from staging table 'More' of 'people'\n", "\(run)")
            run = try await Self.graphAPI(url, ["tables", "delete-file", "people", "More", "batch-b"])
            #expect(run.status == 4, "\(run)")
            #expect(run.stderr.contains("code: file_not_found, HTTP 404"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "delete-file", "people", "More", "a.parquet", "--json"])
            #expect(try JSONValue(parsing: run.stdout)["rows_deleted"] == 5, "\(run)")

            run = try await Self.graphAPI(url, ["tables", "delete", "people", "More"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "deleted staging table 'More' of 'people' (0 rows)\n", "\(run)")
            run = try await Self.graphAPI(url, ["tables", "delete", "people", "More"])
            #expect(run.status == 4, "\(run)")
            #expect(run.stderr.contains("code: table_not_found, HTTP 404"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "delete", "people", "Person", "--json"])
            #expect(run.status == 0, "\(run)")
            let deleted = try JSONValue(parsing: run.stdout)
            #expect(deleted["status"] == "deleted")
            #expect(deleted["rows_deleted"] == 3)
            run = try await Self.graphAPI(url, ["tables", "list", "people"])
            #expect(run.stdout == "(0 staging tables, 0 B)\n", "\(run)")
        }
    }

    @Test func ingestIntoTheGraphWithRejectedRowsFileIDsAndRebuild() async throws {
        try await LiveServer.withServer { server in
            let (url, imports) = (server.url, server.importDirectory)
            try FixtureFiles.write(text: Self.peopleCSV, to: imports + "/people.csv")
            try FixtureFiles.write(text: Self.knowsCSV, to: imports + "/knows.csv")
            try FixtureFiles.write(text: "identifier,name\nc1,Oslo\nc2,Rome\n", to: imports + "/cities/a.csv")
            try FixtureFiles.write(text: "identifier,name\nc3,Lima\n", to: imports + "/cities/b.csv")
            try await Self.createPeople(url)

            var run = try await Self.graphAPI(url, ["tables", "create", "people", "Person", "--source", "people.csv"])
            #expect(run.status == 0, "\(run)")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "Person"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("ingested staging table 'Person' into graph table 'Person': 3 rows ingested, 0 skipped, in "), "\(run)")
            #expect(run.stderr.isEmpty, "\(run)")
            #expect(try await Self.count(url, "MATCH (p:Person) RETURN count(p)") == "3")

            // Every key is already there: the whole ingest is refused with the server's message.
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "Person"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("3 keys already present in the graph"), "\(run)")
            #expect(run.stderr.contains("code: ingest_rows_rejected, HTTP 400"), "\(run)")

            // A relationship to a missing person fails the ingest and copies nothing...
            run = try await Self.graphAPI(url, ["tables", "create", "people", "KNOWS", "--source", "knows.csv"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("relationship-shaped"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "KNOWS"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.hasPrefix("Error: 1 row of 'KNOWS' would be rejected by the graph: "), "\(run)")
            #expect(run.stderr.contains("ghost"), "\(run)")
            #expect(run.stderr.contains("code: ingest_rows_rejected, HTTP 400"), "\(run)")
            #expect(try await Self.count(url, "MATCH ()-[k:KNOWS]->() RETURN count(k)") == "0")

            // ...unless --ignore-errors, which skips exactly that row and says so.
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "KNOWS", "--ignore-errors"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("ingested staging table 'KNOWS' into graph table 'KNOWS': 2 rows ingested, 1 skipped, in "), "\(run)")
            #expect(run.stderr.hasPrefix("Warning: skipped 1 "), "\(run)")
            #expect(try await Self.count(url, "MATCH ()-[k:KNOWS]->() RETURN count(k)") == "2")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "KNOWS", "--ignore-errors", "--json"])
            #expect(run.status == 0, "\(run)")
            let again = try JSONValue(parsing: run.stdout)
            #expect(again["rows_ingested"] == 0)
            #expect(again["graph_table"] == "KNOWS")
            #expect(again["warnings"]?.arrayValue?.contains { $0.stringValue?.contains("already in the graph") == true } == true, "\(run)")
            #expect(try await Self.count(url, "MATCH ()-[k:KNOWS]->() RETURN count(k)") == "2")

            // Only the rows of one source file.
            run = try await Self.graphAPI(url, ["tables", "create", "people", "City", "--source", "cities/*.csv"])
            #expect(run.status == 0, "\(run)")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "City", "--file-id", "b.csv"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains(": 1 row ingested, 0 skipped, in "), "\(run)")
            #expect(try await Self.count(url, "MATCH (c:City) RETURN c.name") == "Lima")

            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "Absent"])
            #expect(run.status == 4, "\(run)")
            #expect(run.stderr.contains("code: table_not_found, HTTP 404"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "City", "--file-id", "a/b"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: invalid_file_id, HTTP 400"), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "City"], key: LiveServer.readOnlyKey)
            #expect(run.status == 3, "\(run)")

            // A rebuild makes the graph again from every staging table.
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "City", "--rebuild", "--ignore-errors"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("rebuilt graph 'people' from every staging table: 8 rows ingested, 1 skipped, in "), "\(run)")
            #expect(try await Self.count(url, "MATCH (p:Person) RETURN count(p)") == "3")
            #expect(try await Self.count(url, "MATCH (c:City) RETURN count(c)") == "3")
            #expect(try await Self.count(url, "MATCH ()-[k:KNOWS]->() RETURN count(k)") == "2")

            // A city that no staging table holds: the rebuild is refused, naming it, and changes
            // nothing; --accept-data-loss drops it.
            #expect(try await Self.count(url, "CREATE (c:City {identifier: 'live-only', name: 'X'}) RETURN count(c)") == "1")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "City", "--rebuild", "--ignore-errors"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("1 of 4 nodes of City (e.g. 'live-only')"), "\(run)")
            #expect(run.stderr.contains("--accept-data-loss"), "\(run)")
            #expect(run.stderr.contains("code: rebuild_would_lose_data, HTTP 409"), "\(run)")
            #expect(try await Self.count(url, "MATCH (c:City) RETURN count(c)") == "4")
            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "City", "--rebuild", "--ignore-errors", "--accept-data-loss"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.contains("dropped 1 of 4 nodes of City"), "\(run)")
            #expect(try await Self.count(url, "MATCH (c:City) RETURN count(c)") == "3")
        }
    }

    /// `tables create --async --watch` and `tables ingest --async --watch`: the load and the ingest
    /// run as server tasks, followed with their progress; `--watch` alone is a usage error.
    @Test func stagingLoadsAndIngestsRunAsTasksWithAsync() async throws {
        try await LiveServer.withServer { server in
            let (url, imports) = (server.url, server.importDirectory)
            try FixtureFiles.write("SELECT 'p' || range AS identifier, 'n' || range AS name, range AS age FROM range(300)", to: imports + "/people.parquet")
            try await Self.createPeople(url)

            var run = try await Self.graphAPI(url, ["tables", "create", "people", "Person", "--source", "people.parquet", "--async", "--watch"])
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout)["row_count"] == 300, "\(run)")
            var progress = Self.lines(run.stderr).filter { !$0.isEmpty }
            #expect(progress.first?.hasPrefix("started staging_load task ") == true, "\(run)")
            #expect(progress.last?.hasPrefix("completed  100.0%") == true, "\(run)")

            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "Person", "--async", "--watch"])
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout)["rows_ingested"] == 300, "\(run)")
            progress = Self.lines(run.stderr).filter { !$0.isEmpty }
            #expect(progress.first?.hasPrefix("started ingest task ") == true, "\(run)")
            #expect(try await Self.count(url, "MATCH (p:Person) RETURN count(p)") == "300")

            // Without --watch: the task's id and monitor.
            run = try await Self.graphAPI(url, ["tables", "create", "people", "Again", "--source", "people.parquet", "--async"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("started staging_load task "), "\(run)")

            run = try await Self.graphAPI(url, ["tables", "ingest", "people", "Person", "--watch"])
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("--watch needs --async"), "\(run)")
        }
    }

    @Test func copyStartsATaskAndWatchFollowsIt() async throws {
        try await LiveServer.withServer { server in
            let (url, imports) = (server.url, server.importDirectory)
            try FixtureFiles.write("SELECT 'p' || range AS identifier, 'n' || range AS name, range AS age FROM range(100)", to: imports + "/people.parquet")
            try FixtureFiles.write(text: "identifier,name\nc1,Oslo\nc2,Rome\n", to: imports + "/cities.csv")
            try FixtureFiles.write(text: "identifier,name\nc3,Lima\n", to: imports + "/cities-2.csv")
            try FixtureFiles.write(text: "identifier,name\nc4,Pune\n", to: imports + "/cities-3.csv")
            try FixtureFiles.write("SELECT 'p1' AS \"from\", 'ghost' AS \"to\", 1::BIGINT AS since", to: imports + "/bad-knows.parquet")
            try await Self.createPeople(url)

            // --watch: progress on standard error, the result on standard output.
            var run = try await Self.graphAPI(url, ["copy", "people", "Person", "--source", "people.parquet", "--watch"])
            #expect(run.status == 0, "\(run)")
            let result = try JSONValue(parsing: run.stdout)
            #expect(result["graph_table"] == "Person", "\(run)")
            #expect(result["rows_copied"] == 100, "\(run)")
            var progress = Self.lines(run.stderr).filter { !$0.isEmpty }
            #expect(progress.first?.hasPrefix("started copy task ") == true, "\(run)")
            #expect(progress.last?.hasPrefix("completed  100.0%") == true, "\(run)")
            #expect(!run.stderr.contains("\u{1B}"), "\(run)")
            #expect(try await Self.count(url, "MATCH (p:Person) RETURN count(p)") == "100")

            // --watch --json: every event as a JSON line.
            run = try await Self.graphAPI(url, ["copy", "people", "City", "--source", "cities.csv", "--watch", "--json"])
            #expect(run.status == 0, "\(run)")
            let events = try Self.lines(run.stdout).filter { !$0.isEmpty }.map { try JSONValue(parsing: $0) }
            #expect(events.first?["event"] == "connected", "\(run)")
            #expect(events.last?["event"] == "completed", "\(run)")
            #expect(events.last?["data"]?["result"]?["rows_copied"] == 2, "\(run)")

            // Without --watch: the task's id and monitor, then `tasks watch` follows it.
            run = try await Self.graphAPI(url, ["copy", "people", "City", "--source", "cities-2.csv"])
            #expect(run.status == 0, "\(run)")
            let started = Self.lines(run.stdout)
            let taskID = try #require(started.first?.split(separator: " ").dropFirst(3).first.map(String.init), "\(run)")
            #expect(started == ["started copy task \(taskID) (pending)", "monitor: /tasks/\(taskID)/monitor (graph-api tasks watch \(taskID))", ""], "\(run)")
            run = try await Self.graphAPI(url, ["tasks", "watch", taskID])
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout)["rows_copied"] == 1, "\(run)")

            // --s3-pattern is the request's other name for the sources; the server reads local paths there too.
            run = try await Self.graphAPI(url, ["copy", "people", "City", "--s3-pattern", "cities-3.csv", "--format", "csv", "--json"])
            #expect(run.status == 0, "\(run)")
            let accepted = try JSONValue(parsing: run.stdout)
            let jsonTaskID = try #require(accepted["task_id"]?.stringValue, "\(run)")
            #expect(accepted["status"] == "pending")
            #expect(accepted["monitor_url"] == .string("/tasks/\(jsonTaskID)/monitor"))
            #expect(accepted["status_url"] == .string("/tasks/\(jsonTaskID)/status"))
            run = try await Self.graphAPI(url, ["tasks", "watch", jsonTaskID])
            #expect(run.status == 0, "\(run)")
            #expect(try await Self.count(url, "MATCH (c:City) RETURN count(c)") == "4")

            // A copy the engine refuses: the task fails, the command exits 1 with its error.
            run = try await Self.graphAPI(url, ["copy", "people", "KNOWS", "--source", "bad-knows.parquet", "--watch"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            progress = Self.lines(run.stderr).filter { !$0.isEmpty }
            #expect(progress.last?.hasPrefix("Error: task ") == true && progress.last?.contains(" failed: ") == true, "\(run)")
            #expect(run.stderr.contains("ghost"), "\(run)")
            #expect(try await Self.count(url, "MATCH ()-[k:KNOWS]->() RETURN count(k)") == "0")
            run = try await Self.graphAPI(url, ["copy", "people", "KNOWS", "--source", "bad-knows.parquet", "--ignore-errors", "--watch"])
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout)["rows_skipped"] == 1, "\(run)")
            run = try await Self.graphAPI(url, ["copy", "people", "Nope", "--source", "people.parquet", "--watch"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("no node or relationship table named 'Nope'"), "\(run)")

            // Refused before a task starts.
            run = try await Self.graphAPI(url, ["copy", "people", "Person", "--source", "../outside.parquet", "--watch"])
            #expect(run.status == 3, "\(run)")
            #expect(run.stderr.contains("code: source_outside_import_dir, HTTP 403"), "\(run)")
            #expect(!run.stderr.contains("started copy task"), "\(run)")
            run = try await Self.graphAPI(url, ["copy", "people", "Person", "--source", "missing.parquet"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: source_not_found, HTTP 400"), "\(run)")
            run = try await Self.graphAPI(url, ["copy", "people", "Person", "--s3-pattern", "s3://bucket/people.parquet"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: missing_s3_credentials, HTTP 400"), "\(run)")
            run = try await Self.graphAPI(
                url,
                [
                    "copy", "people", "Person", "--s3-pattern", "s3://bucket/people.parquet", "--aws-access-key-id", "k",
                    "--aws-secret-access-key", "s", "--endpoint-url", "ftp://x",
                ]
            )
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: invalid_s3_credentials, HTTP 400"), "\(run)")
            run = try await Self.graphAPI(url, ["copy", "nope", "Person", "--source", "people.parquet"])
            #expect(run.status == 4, "\(run)")
            run = try await Self.graphAPI(url, ["copy", "people", "Person", "--source", "people.parquet"], key: LiveServer.readOnlyKey)
            #expect(run.status == 3, "\(run)")
        }
    }

    @Test func stagingAndCopyFromS3WithCredentialFlags() async throws {
        guard let endpoint = ProcessInfo.processInfo.environment["GRAPH_API_TEST_S3_ENDPOINT"] else {
            Issue.record("GRAPH_API_TEST_S3_ENDPOINT is not set: run the tests through scripts/test.sh")
            return
        }
        let bucket = "cli-\(UUID().uuidString.lowercased().prefix(8))"
        try await FixtureFiles.writeToS3(
            "SELECT 'p' || (range + $part * 10) AS identifier, 'n' AS name, range AS age FROM range(10)", bucket: bucket,
            keys: ["people/part-0.parquet", "people/part-1.parquet"], endpoint: endpoint
        )
        try await LiveServer.withServer { server in
            let url = server.url
            try await Self.createPeople(url)
            let credentials = ["--aws-access-key-id", "k", "--aws-secret-access-key", "s", "--region", "us-east-1", "--endpoint-url", "http://\(endpoint)"]
            var run = try await Self.graphAPI(
                url, ["tables", "create", "people", "Person", "--s3-pattern", "s3://\(bucket)/people/*.parquet"] + credentials
            )
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("staged 20 rows in table 'Person' of 'people' "), "\(run)")
            run = try await Self.graphAPI(url, ["tables", "query", "people", "SELECT count(*) AS n FROM Person", "--format", "csv"])
            #expect(run.stdout == "n\r\n20\r\n", "\(run)")

            run = try await Self.graphAPI(url, ["copy", "people", "Person", "--source", "s3://\(bucket)/people/part-1.parquet", "--watch"] + credentials)
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout)["rows_copied"] == 10, "\(run)")
            #expect(try await Self.count(url, "MATCH (p:Person) RETURN count(p)") == "10")

            // Credentials the store does not know: the task fails.
            run = try await Self.graphAPI(
                url,
                ["copy", "people", "Person", "--source", "s3://no-such-bucket-\(bucket)/people/part-0.parquet", "--watch"] + credentials
            )
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains(" failed: "), "\(run)")
        }
    }

    @Test func usageErrorsSendNothing() async throws {
        try await LiveServer.withServer { server in
            let url = server.url
            for arguments in [
                ["tables", "create", "g", "T"], ["tables", "create", "g", "T", "--source", "a.csv", "--s3-pattern", "s3://b/k.csv"],
                ["tables", "create", "g", "T", "--source", "a.csv", "--file-id", "a.csv"],
                ["tables", "create", "g", "T", "--source", "a.csv", "--file-id", "=x"],
                ["tables", "create", "g", "T", "--source", "a.csv", "--file-id", "a.csv="],
                ["tables", "create", "g", "T", "--source", "a.csv", "--file-id", "a.csv=x", "--file-id", "a.csv=y"],
                ["tables", "create", "g", "T", "--source", "a.csv", "--format", "xml"],
                ["tables", "create", "g", "T", "--source", "a.csv", "--aws-access-key-id", "k"],
                ["tables", "create", "g", "T", "--source", "a.csv", "--region", "eu-west-1"],
                ["copy", "g", "T"], ["copy", "g", "T", "--source", "a.csv", "--aws-secret-access-key", "s"],
                ["copy", "g", "T", "--source", "a.csv", "--endpoint-url", "http://127.0.0.1:9000"],
                ["tables", "query", "g"], ["tables", "query", "g", "SELECT 1", "--file", "q.sql"],
                ["tables", "query", "g", "SELECT 1", "--chunk-size", "5"], ["tables", "query", "g", "SELECT 1", "--timeout", "0"],
                ["tables", "query", "g", "   "], ["tables", "query", "g", "--file", "/nonexistent/q.sql"],
                ["tables", "delete", "g"], ["tables", "delete-file", "g", "T"],
            ] {
                let run = try await Self.graphAPI(url, arguments)
                #expect(run.status == 64, "\(arguments): \(run)")
                #expect(run.stderr.hasPrefix("Error: "), "\(arguments): \(run)")
            }
            let run = try await Self.graphAPI(url, ["tables", "query", "g", "   "])
            #expect(run.stderr == "Error: the SQL is empty\n", "\(run)")
        }
    }
}
