import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// `GET|POST /databases/{graph_id}/schema`.
@Suite struct DatabasesSchemaTests {
    static let ddl = """
        CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, age INT32, score DOUBLE, tags STRING[], born DATE);
        CREATE NODE TABLE City(identifier STRING PRIMARY KEY, name STRING);
        CREATE NODE TABLE `we'ird``name`(key INT64 PRIMARY KEY, `a b` BOOLEAN);
        CREATE REL TABLE LIVES_IN(FROM Person TO City, since INT64, note STRING);
        CREATE REL TABLE LINKS(FROM Person TO Person, FROM City TO City);
        COMMENT ON TABLE City IS 'places'
        """

    static func create(_ client: TestServer.Client, _ id: String, readOnly: Bool = false) async throws {
        let response = try await client.send(
            .post, "/databases",
            object: ["graph_id": id, "schema_type": "custom", "custom_schema_ddl": ddl, "read_only": readOnly]
        )
        #expect(response.status == .created, "\(response.errorDetail)")
    }

    static func schema(_ client: TestServer.Client, _ id: String) async throws -> [String: Any] {
        let response = try await client.send(.get, "/databases/\(id)/schema")
        #expect(response.status == .ok)
        return try response.object()
    }

    static func shape(_ schema: [String: Any]) -> [String: [String]] {
        SchemaJSON.tables(schema, "node_tables").merging(SchemaJSON.tables(schema, "rel_tables")) { a, _ in a }
    }

    @Test func schemaHasRealPropertyLists() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try await Self.create(client, "shapes")
            let schema = try await Self.schema(client, "shapes")
            #expect(schema["database"] as? String == "shapes")
            #expect(
                SchemaJSON.tables(schema, "node_tables") == [
                    "Person": ["identifier STRING", "age INT32", "score DOUBLE", "tags STRING[]", "born DATE"],
                    "City": ["identifier STRING", "name STRING"],
                    "we'ird`name": ["key INT64", "a b BOOL"],
                ]
            )
            #expect(SchemaJSON.table(schema, "node_tables", named: "Person")?["primary_key"] as? String == "identifier")
            #expect(SchemaJSON.table(schema, "node_tables", named: "we'ird`name")?["primary_key"] as? String == "key")
            #expect(SchemaJSON.table(schema, "node_tables", named: "City")?["comment"] as? String == "places")
            #expect(SchemaJSON.table(schema, "node_tables", named: "Person")?["comment"] is NSNull)
            #expect(SchemaJSON.tables(schema, "rel_tables") == ["LIVES_IN": ["since INT64", "note STRING"], "LINKS": []])
            let lives = try #require(SchemaJSON.table(schema, "rel_tables", named: "LIVES_IN"))
            #expect(lives["from"] as? String == "Person")
            #expect(lives["to"] as? String == "City")
            let links = try #require(SchemaJSON.table(schema, "rel_tables", named: "LINKS"))
            let pairs = (links["connections"] as? [[String: String]])?.map { "\($0["from"] ?? "")->\($0["to"] ?? "")" }
            #expect(Set(pairs ?? []) == ["Person->Person", "City->City"])
            #expect(links["from"] as? String != nil)

            // Reading the schema does not change it or lock it: it is what a query sees.
            let rows = try await fixture.run("shapes", "CALL table_info('Person') RETURN count(*)")
            #expect(rows.first?.first?.int64Value == 5)
            #expect(try await client.send(.get, "/databases/nothing/schema").status == .notFound)
        }
    }

    @Test func schemaChangesApplyAndAreAudited() async throws {
        let logs = LogCapture()
        try await TestServer.withDatabases(logs: logs) { fixture in
            let client = fixture.client
            try await Self.create(client, "evolving")
            let ddl = """
                CREATE NODE TABLE Company(identifier STRING PRIMARY KEY, founded INT32);
                CREATE REL TABLE WORKS_AT(FROM Person TO Company, since DATE);
                ALTER TABLE Person ADD nickname STRING DEFAULT 'none';
                COMMENT ON TABLE Company IS 'employers; all of them';
                DROP TABLE LINKS
                """
            let response = try await client.send(.post, "/databases/evolving/schema", object: ["ddl": ddl])
            #expect(response.status == .ok, "\(response.errorDetail)")
            let body = try response.object()
            #expect(body["status"] as? String == "success")
            #expect(body["statements_executed"] as? Int == 5)
            #expect((body["execution_time_ms"] as? Double).map { $0 > 0 } == true)

            let schema = try await Self.schema(client, "evolving")
            let shape = Self.shape(schema)
            #expect(shape["Company"] == ["identifier STRING", "founded INT32"])
            #expect(shape["WORKS_AT"] == ["since DATE"])
            #expect(shape["Person"]?.last == "nickname STRING")
            #expect(shape["LINKS"] == nil)
            #expect(SchemaJSON.table(schema, "node_tables", named: "Company")?["comment"] as? String == "employers; all of them")
            // The new tables take data at once.
            _ = try await fixture.run("evolving", "CREATE (:Company {identifier: 'c', founded: 1999})")
        }
        let audit = logs.audit("schema_change")
        #expect(audit.count == 1)
        #expect(audit.first?.metadata["graph_id"] == "evolving")
        #expect(audit.first?.metadata["statements"] == "5")
    }

    @Test(arguments: [
        // A binder error: the engine rolls the transaction back by itself.
        ("CREATE NODE TABLE Fresh(identifier STRING PRIMARY KEY); CREATE REL TABLE R(FROM Fresh TO Nowhere)", 2),
        // A parse error: the engine leaves the transaction open; the server must roll it back.
        ("CREATE NODE TABLE Fresh(identifier STRING PRIMARY KEY); ALTER TABLE Person ADD x INT64; ALTER TABLE Person ADDD y INT64", 3),
        // A catalog error after an ALTER and a DROP.
        ("ALTER TABLE Person ADD x INT64; DROP TABLE LINKS; CREATE NODE TABLE City(identifier STRING PRIMARY KEY)", 3),
        // A runtime type error.
        ("CREATE NODE TABLE Fresh(identifier STRING PRIMARY KEY); ALTER TABLE Person ADD y NOSUCHTYPE", 2),
    ])
    func aFailedBatchLeavesTheSchemaAsBefore(ddl: String, failing: Int) async throws {
        let logs = LogCapture()
        try await TestServer.withDatabases(connections: 1, logs: logs) { fixture in
            let client = fixture.client
            try await Self.create(client, "atomic")
            let before = Self.shape(try await Self.schema(client, "atomic"))

            let response = try await client.send(.post, "/databases/atomic/schema", object: ["ddl": ddl])
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "schema_error")
            #expect(response.errorDetail.contains("statement \(failing)"), "\(response.errorDetail)")
            #expect(response.errorDetail.contains("nothing was applied"))

            // With one connection per database, this also proves the connection left no
            // transaction open behind it.
            #expect(Self.shape(try await Self.schema(client, "atomic")) == before)
            let next = try await client.send(
                .post, "/databases/atomic/schema", object: ["ddl": "CREATE NODE TABLE Later(identifier STRING PRIMARY KEY)"]
            )
            #expect(next.status == .ok, "\(next.errorDetail)")
            _ = try await fixture.run("atomic", "CREATE (:Later {identifier: 'x'})")
            #expect(try await fixture.run("atomic", "MATCH (l:Later) RETURN count(l)").first?.first?.int64Value == 1)
            #expect(Self.shape(try await Self.schema(client, "atomic"))["Later"] == ["identifier STRING"])
        }
        #expect(logs.audit("schema_change").count == 1)
    }

    @Test(arguments: [
        "CREATE NODE TABLE Y(identifier STRING PRIMARY KEY); MATCH (n) DETACH DELETE n",
        "CREATE NODE TABLE Y(identifier STRING PRIMARY KEY); CREATE (:Person {identifier: 'sneaky'})",
        "CREATE NODE TABLE Y(identifier STRING PRIMARY KEY); COPY Person FROM '/etc/passwd'",
        "CREATE NODE TABLE Y AS MATCH (p:Person) RETURN p.identifier AS identifier",
        "BEGIN TRANSACTION; CREATE NODE TABLE Y(identifier STRING PRIMARY KEY); COMMIT",
        "CALL show_tables() RETURN *",
    ])
    func nonSchemaStatementsAreRefusedBeforeAnythingRuns(ddl: String) async throws {
        let logs = LogCapture()
        try await TestServer.withDatabases(logs: logs) { fixture in
            let client = fixture.client
            try await Self.create(client, "guarded")
            _ = try await fixture.run("guarded", "CREATE (:Person {identifier: 'kept'})")
            let before = Self.shape(try await Self.schema(client, "guarded"))
            let response = try await client.send(.post, "/databases/guarded/schema", object: ["ddl": ddl])
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "not_a_schema_statement")
            #expect(Self.shape(try await Self.schema(client, "guarded")) == before)
            #expect(try await fixture.run("guarded", "MATCH (p:Person) RETURN count(p)").first?.first?.int64Value == 1)
        }
        #expect(logs.audit("schema_change").isEmpty)
    }

    @Test func schemaChangesQueueBehindOtherWriters() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try await Self.create(client, "queued")
            let id = try GraphID(validating: "queued")
            let database = try await fixture.registry.withConnection(to: id) { handle, _ in handle.database }
            // Another writer holds the gate.
            try await database.writeGate.acquire()
            let finished = DatabasesInstantBox()
            async let status: HTTPResponse.Status = {
                defer { finished.withLock { $0 = .now } }
                return try await client.send(
                    .post, "/databases/queued/schema", object: ["ddl": "CREATE NODE TABLE Waited(identifier STRING PRIMARY KEY)"]
                ).status
            }()
            let deadline = ContinuousClock.now + .seconds(10)
            while database.writeGate.waitingCount == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(database.writeGate.waitingCount == 1)
            try await Task.sleep(for: .milliseconds(200))
            #expect(finished.withLock { $0 } == nil, "the schema change must wait for the writer ahead of it")
            database.writeGate.release()
            #expect(try await status == .ok)
            #expect(Self.shape(try await Self.schema(client, "queued"))["Waited"] == ["identifier STRING"])
        }
    }

    @Test func readOnlyGraphNodeAndKeyAre403() async throws {
        let directory = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logs = LogCapture()
        let change = ["ddl": "CREATE NODE TABLE Nope(identifier STRING PRIMARY KEY)"]
        try await TestServer.withDatabases(
            keys: [APIKey(secret: "admin-key"), APIKey(secret: "reader-key", scope: KeyScope(readOnly: true))], directory: directory,
            logs: logs
        ) { fixture in
            let client = fixture.client
            let response = try await client.send(
                .post, "/databases",
                object: ["graph_id": "frozen", "schema_type": "custom", "custom_schema_ddl": Self.ddl, "read_only": true], key: "admin-key"
            )
            #expect(response.status == .created)
            try await Self.createWith(client, "open", key: "admin-key")

            let graph = try await client.send(.post, "/databases/frozen/schema", object: change, key: "admin-key")
            #expect(graph.status == .forbidden)
            #expect(graph.errorCode == "read_only_database")
            let key = try await client.send(.post, "/databases/open/schema", object: change, key: "reader-key")
            #expect(key.status == .forbidden)
            #expect(key.errorCode == "read_only_key")
            // A read-only key still reads the schema.
            let read = try await client.send(.get, "/databases/open/schema", key: "reader-key")
            #expect(read.status == .ok)
            #expect(SchemaJSON.tables(try read.object(), "node_tables")["Nope"] == nil)
            #expect(try await client.send(.post, "/databases/open/schema", object: change).status == .unauthorized)
        }
        #expect(logs.audit("schema_change").isEmpty)

        try await TestServer.withDatabases(nodeType: .sharedReplica, directory: directory) { replica in
            let client = replica.client
            let node = try await client.send(.post, "/databases/open/schema", object: change)
            #expect(node.status == .forbidden)
            #expect(node.errorCode == "read_only_node")
            #expect(SchemaJSON.tables(try await Self.schema(client, "open"), "node_tables")["Nope"] == nil)
        }
    }

    static func createWith(_ client: TestServer.Client, _ id: String, key: String) async throws {
        let response = try await client.send(
            .post, "/databases", object: ["graph_id": id, "schema_type": "custom", "custom_schema_ddl": ddl], key: key
        )
        #expect(response.status == .created)
    }

    @Test func badBodiesAndUnknownGraphs() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try await Self.create(client, "target")
            let unknownField = try await client.send(.post, "/databases/target/schema", json: #"{"ddl": "", "dry_run": true}"#)
            #expect(unknownField.status == .unprocessableContent)
            #expect(unknownField.errorDetail.contains("dry_run"))
            let missing = try await client.send(.post, "/databases/target/schema", json: "{}")
            #expect(missing.status == .unprocessableContent)
            #expect(missing.errorDetail.contains("ddl"))
            let wrongType = try await client.send(.post, "/databases/target/schema", json: #"{"ddl": ["CREATE NODE TABLE A(id INT64 PRIMARY KEY)"]}"#)
            #expect(wrongType.status == .unprocessableContent)
            let empty = try await client.send(.post, "/databases/target/schema", json: #"{"ddl": "  // nothing  "}"#)
            #expect(empty.status == .badRequest)
            #expect(empty.errorCode == "invalid_ddl")
            let unclosed = try await client.send(.post, "/databases/target/schema", json: #"{"ddl": "COMMENT ON TABLE City IS 'open"}"#)
            #expect(unclosed.status == .badRequest)
            #expect(unclosed.errorCode == "invalid_ddl")
            let notJSON = try await client.send(.post, "/databases/target/schema", json: "ddl=CREATE")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.errorCode == "invalid_json")
            let unknownGraph = try await client.send(
                .post, "/databases/ghost/schema", object: ["ddl": "CREATE NODE TABLE A(id INT64 PRIMARY KEY)"]
            )
            #expect(unknownGraph.status == .notFound)
            #expect(unknownGraph.errorCode == "database_not_found")
            #expect(try fixture.databaseFolderEntries() == ["target"])
        }
    }
}
