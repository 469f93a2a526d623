import Foundation
import GraphAPITesting
import HTTPTypes
import Hummingbird
import Logging
import Testing

@testable import GraphAPI
@testable import GraphService

/// `POST /databases`.
@Suite struct DatabasesCreateTests {
    static let entityNodeTables: Set<String> = ["Entity", "Period", "Unit", "Element", "Label", "Reference", "Taxonomy"]

    @Test func entityDatabaseIsCreatedWithTheEntitySchemaAndAudited() async throws {
        let logs = LogCapture()
        try await TestServer.withDatabases(logs: logs) { fixture in
            let client = fixture.client
            let response = try await client.send(.post, "/databases", json: #"{"graph_id": "acme"}"#)
            #expect(response.status == .created)
            let body = try response.object()
            #expect(body["status"] as? String == "success")
            #expect(body["graph_id"] as? String == "acme")
            #expect(body["schema_type"] as? String == "entity")
            #expect(body["schema_applied"] as? Bool == true)
            #expect((body["execution_time_ms"] as? Double).map { $0 > 0 } == true)

            let schema = try await client.send(.get, "/databases/acme/schema").object()
            let nodes = SchemaJSON.tables(schema, "node_tables")
            #expect(Set(nodes.keys) == Self.entityNodeTables)
            #expect(nodes["Entity"]?.first == "identifier STRING")
            #expect(nodes["Entity"]?.contains("is_parent BOOL") == true)
            #expect(nodes["Entity"]?.contains("legal_name STRING") == true)
            #expect(nodes["Period"]?.contains("fiscal_year INT32") == true)
            #expect(nodes["Element"]?.contains("is_textblock BOOL") == true)
            #expect(nodes["Label"] == ["identifier STRING", "value STRING", "type STRING", "language STRING"])
            for table in schema["node_tables"] as? [[String: Any]] ?? [] {
                #expect(table["primary_key"] as? String == "identifier")
            }
            let rels = SchemaJSON.tables(schema, "rel_tables")
            #expect(
                Set(rels.keys) == [
                    "ENTITY_EVOLVED_FROM", "ENTITY_OWNS_ENTITY", "ELEMENT_HAS_LABEL", "ELEMENT_HAS_REFERENCE", "ELEMENT_IN_TAXONOMY",
                    "TAXONOMY_HAS_LABEL", "TAXONOMY_HAS_REFERENCE",
                ]
            )
            #expect(
                rels["ENTITY_OWNS_ENTITY"] == [
                    "ownership_type STRING", "ownership_percentage DOUBLE", "effective_date STRING", "created_at STRING",
                ]
            )
            let owns = try #require(SchemaJSON.table(schema, "rel_tables", named: "ELEMENT_IN_TAXONOMY"))
            #expect(owns["from"] as? String == "Element")
            #expect(owns["to"] as? String == "Taxonomy")
        }
        let audit = logs.audit("create_database")
        #expect(audit.count == 1)
        #expect(audit.first?.metadata["graph_id"] == "acme")
        #expect(audit.first?.metadata["client"] != nil)
        #expect(audit.first?.level == .notice)
    }

    @Test func sharedSECRepositoryGetsItsSchemaAndOtherRepositoriesGetEntity() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let sec = try await client.send(.post, "/databases", object: ["graph_id": "sec", "schema_type": "shared", "repository_name": "sec"])
            #expect(sec.status == .created)
            #expect(try sec.object()["schema_type"] as? String == "shared")
            let schema = try await client.send(.get, "/databases/sec/schema").object()
            let nodes = SchemaJSON.tables(schema, "node_tables")
            #expect(Set(nodes.keys) == Self.entityNodeTables.union(["Report", "Fact", "Structure", "FactDimension", "Association", "FactSet"]))
            #expect(nodes["Fact"]?.contains("numeric_value DOUBLE") == true)
            #expect(nodes["Fact"]?.contains("value STRING") == true)
            #expect(nodes["Fact"]?.contains("decimals STRING") == true)
            #expect(nodes["Fact"]?.contains("context_id STRING") == true)
            #expect(nodes["Report"]?.contains("fiscal_year INT32") == true)
            #expect(nodes["Report"]?.contains("accession_number STRING") == true)
            let rels = Set(SchemaJSON.tables(schema, "rel_tables").keys)
            #expect(rels.count == 20)
            #expect(rels.contains("FACT_HAS_ELEMENT") && rels.contains("ASSOCIATION_HAS_TO_ELEMENT") && rels.contains("ELEMENT_HAS_LABEL"))
            #expect(!rels.contains("ENTITY_EVOLVED_FROM") && !rels.contains("ENTITY_OWNS_ENTITY") && !rels.contains("ELEMENT_IN_TAXONOMY"))
            let unit = try #require(SchemaJSON.table(schema, "rel_tables", named: "FACT_HAS_UNIT"))
            #expect(unit["from"] as? String == "Fact" && unit["to"] as? String == "Unit")

            let other = try await client.send(
                .post, "/databases", object: ["graph_id": "other", "schema_type": "shared", "repository_name": "esg"]
            )
            #expect(other.status == .created)
            let otherSchema = try await client.send(.get, "/databases/other/schema").object()
            #expect(Set(SchemaJSON.tables(otherSchema, "node_tables").keys) == Self.entityNodeTables)

            let list = try await client.send(.get, "/databases").object()
            let summaries = list["databases"] as? [[String: Any]] ?? []
            #expect(summaries.first { $0["graph_id"] as? String == "other" }?["repository_name"] as? String == "esg")
            #expect(summaries.first { $0["graph_id"] as? String == "sec" }?["schema_type"] as? String == "shared")
        }
    }

    @Test func missingRepositoryOrDDLAndMisplacedDDLAre400() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let shared = try await client.send(.post, "/databases", object: ["graph_id": "g", "schema_type": "shared"])
            #expect(shared.status == .badRequest)
            #expect(shared.errorCode == "repository_name_required")
            let blank = try await client.send(
                .post, "/databases", object: ["graph_id": "g", "schema_type": "shared", "repository_name": "  "]
            )
            #expect(blank.errorCode == "repository_name_required")
            let custom = try await client.send(.post, "/databases", object: ["graph_id": "g", "schema_type": "custom"])
            #expect(custom.status == .badRequest)
            #expect(custom.errorCode == "custom_schema_ddl_required")
            let onlyComments = try await client.send(
                .post, "/databases", object: ["graph_id": "g", "schema_type": "custom", "custom_schema_ddl": "// nothing\n;"]
            )
            #expect(onlyComments.status == .badRequest)
            #expect(onlyComments.errorCode == "invalid_ddl")
            let misplaced = try await client.send(
                .post, "/databases", object: ["graph_id": "g", "custom_schema_ddl": "CREATE NODE TABLE A(id STRING PRIMARY KEY)"]
            )
            #expect(misplaced.status == .badRequest)
            #expect(misplaced.errorCode == "unexpected_custom_schema_ddl")
            #expect(try fixture.databaseFolderEntries().isEmpty)
        }
    }

    @Test func customDDLIsAppliedWithQuotesAndComments() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let ddl = """
                // People and where they live; semicolons in comments and strings do not split
                CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, age INT64);
                CREATE NODE TABLE City(identifier STRING PRIMARY KEY, name STRING);
                CREATE REL TABLE LIVES_IN(FROM Person TO City, since INT64);
                COMMENT ON TABLE Person IS 'people; all of them';
                """
            let response = try await client.send(
                .post, "/databases", object: ["graph_id": "custom-1", "schema_type": "custom", "custom_schema_ddl": ddl, "read_only": false]
            )
            #expect(response.status == .created)
            #expect(try response.object()["schema_type"] as? String == "custom")
            let schema = try await client.send(.get, "/databases/custom-1/schema").object()
            #expect(SchemaJSON.tables(schema, "node_tables") == ["Person": ["identifier STRING", "age INT64"], "City": ["identifier STRING", "name STRING"]])
            #expect(SchemaJSON.table(schema, "node_tables", named: "Person")?["comment"] as? String == "people; all of them")
            #expect(SchemaJSON.tables(schema, "rel_tables") == ["LIVES_IN": ["since INT64"]])
        }
    }

    @Test func failingCustomDDLNamesTheStatementAndLeavesNothing() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let ddl = """
                CREATE NODE TABLE Person(identifier STRING PRIMARY KEY);
                CREATE NODE TABLE City(identifier STRING PRIMARY KEY);
                CREATE REL TABLE LIVES_IN(FROM Person TO Nowhere);
                """
            let response = try await client.send(
                .post, "/databases", object: ["graph_id": "broken", "schema_type": "custom", "custom_schema_ddl": ddl]
            )
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "schema_error")
            #expect(response.errorDetail.contains("statement 3"))
            #expect(response.errorDetail.contains("CREATE REL TABLE LIVES_IN(FROM Person TO Nowhere)"))
            #expect(try fixture.databaseFolderEntries().isEmpty)
            let list = try await client.send(.get, "/databases").object()
            #expect(list["total_databases"] as? Int == 0)
            #expect(await fixture.registry.openCount == 0)
            #expect(try await client.send(.get, "/databases/broken").status == .notFound)

            // The id is free: a correct DDL creates it.
            let fixed = try await client.send(
                .post, "/databases",
                object: ["graph_id": "broken", "schema_type": "custom", "custom_schema_ddl": ddl.replacingOccurrences(of: "Nowhere", with: "City")]
            )
            #expect(fixed.status == .created)
        }
    }

    @Test func customDDLWithANonSchemaStatementIsRefusedBeforeAnythingRuns() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            for ddl in [
                "CREATE NODE TABLE P(identifier STRING PRIMARY KEY); COPY P FROM '/etc/passwd'",
                "CREATE NODE TABLE P(identifier STRING PRIMARY KEY); CREATE (:P {identifier: 'x'})",
                "CREATE NODE TABLE P AS LOAD FROM '/etc/passwd' RETURN *",
            ] {
                let response = try await client.send(
                    .post, "/databases", object: ["graph_id": "p", "schema_type": "custom", "custom_schema_ddl": ddl]
                )
                #expect(response.status == .badRequest, "\(ddl)")
                #expect(response.errorCode == "not_a_schema_statement", "\(ddl)")
            }
            #expect(try fixture.databaseFolderEntries().isEmpty)
        }
    }

    @Test func existingDatabaseIs409() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "twice"}"#).status == .created)
            let again = try await client.send(.post, "/databases", json: #"{"graph_id": "twice", "schema_type": "entity"}"#)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "database_exists")
        }
    }

    @Test func fullNodeIs507() async throws {
        try await TestServer.withDatabases(maxDatabases: 1) { fixture in
            let client = fixture.client
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "first"}"#).status == .created)
            let second = try await client.send(.post, "/databases", json: #"{"graph_id": "second"}"#)
            #expect(second.status.code == 507)
            #expect(second.errorCode == "node_at_capacity")
            let list = try await client.send(.get, "/databases").object()
            let capacity = try #require(list["node_capacity"] as? [String: Any])
            #expect(capacity["max_databases"] as? Int == 1)
            #expect(capacity["capacity_remaining"] as? Int == 0)
            #expect(capacity["utilization_percent"] as? Double == 100)
        }
    }

    /// A tenant at a full node learns that it is full, not how many graphs the others have: the
    /// node holds 3 graphs (created under a larger limit) and may hold 2.
    @Test func aFullNodeDoesNotCountOtherTenantsGraphsForAScopedKey() async throws {
        let directory = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.withDatabases(directory: directory) { before in
            let client = before.client
            for id in ["one", "two", "three"] {
                let created = try await client.send(.post, "/databases", object: ["graph_id": id])
                #expect(created.status == .created)
            }
        }
        let keys = [APIKey(secret: "admin-key"), APIKey(secret: "tenant-key", scope: KeyScope(graphs: ["mine"]))]
        try await TestServer.withDatabases(keys: keys, maxDatabases: 2, directory: directory) { after in
            let client = after.client
            let refused = try await client.send(.post, "/databases", object: ["graph_id": "mine"], key: "tenant-key")
            #expect(refused.status.code == 507)
            #expect(refused.errorCode == "node_at_capacity")
            #expect(!refused.errorDetail.contains("3"), "\(refused.errorDetail)")
            let list = try await client.send(.get, "/databases", key: "tenant-key").object()
            #expect(list["total_databases"] as? Int == 0)
            #expect(list["node_capacity"] == nil)
        }
    }

    @Test func readOnlyNodeIs403() async throws {
        try await TestServer.withDatabases(nodeType: .sharedReplica) { fixture in
            let client = fixture.client
            let response = try await client.send(.post, "/databases", json: #"{"graph_id": "replica"}"#)
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "read_only_node")
            #expect(try fixture.databaseFolderEntries().isEmpty)
        }
    }

    @Test func keysAreCheckedForPresenceWritingAndScope() async throws {
        try await TestServer.withDatabases(keys: [
            APIKey(secret: "admin-key"),
            APIKey(secret: "reader-key", scope: KeyScope(readOnly: true)),
            APIKey(secret: "tenant-key", scope: KeyScope(graphs: ["mine"])),
        ]) { fixture in
            let client = fixture.client
            let anonymous = try await client.send(.post, "/databases", json: #"{"graph_id": "a"}"#)
            #expect(anonymous.status == .unauthorized)
            let wrong = try await client.send(.post, "/databases", json: #"{"graph_id": "a"}"#, key: "nope")
            #expect(wrong.status == .unauthorized)
            let reader = try await client.send(.post, "/databases", json: #"{"graph_id": "a"}"#, key: "reader-key")
            #expect(reader.status == .forbidden)
            #expect(reader.errorCode == "read_only_key")
            let outside = try await client.send(.post, "/databases", json: #"{"graph_id": "theirs"}"#, key: "tenant-key")
            #expect(outside.status == .forbidden)
            #expect(outside.errorCode == "graph_not_in_scope")
            #expect(try fixture.databaseFolderEntries().isEmpty)
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "mine"}"#, key: "tenant-key").status == .created)
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "a"}"#, key: "admin-key").status == .created)
        }
    }

    @Test(arguments: [
        (#"{"graph_id": "g", "colour": "blue"}"#, "colour"),
        (#"{"graph_id": 5}"#, "graph_id"),
        (#"{"graph_id": "g", "read_only": "yes"}"#, "read_only"),
        (#"{"graph_id": "g", "read_only": 1}"#, "read_only"),
        (#"{"graph_id": "g", "schema_type": "graphy"}"#, "schema_type"),
        (#"{"graph_id": "g", "repository_name": ["sec"]}"#, "repository_name"),
        (#"{"schema_type": "entity"}"#, "graph_id"),
        (#"{"graph_id": null}"#, "graph_id"),
        (#"["graph_id", "g"]"#, "object"),
        ("", "graph_id"),
    ])
    func bodiesThatDoNotMatchTheSchemaAre422(json: String, mentions: String) async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let response = try await client.send(.post, "/databases", json: json)
            #expect(response.status == .unprocessableContent, "\(json)")
            #expect(response.errorCode == "validation_error")
            #expect(response.errorDetail.contains(mentions), "\(response.errorDetail)")
            #expect(try fixture.databaseFolderEntries().isEmpty)
        }
    }

    @Test(arguments: [
        (#"{"graph_id" "g"}"#, "invalid_json"),
        ("graph_id=g", "invalid_json"),
        (#"{"graph_id": "#, "invalid_json"),
        (#"{"graph_id": "../etc"}"#, "invalid_graph_id"),
        (#"{"graph_id": "has space"}"#, "invalid_graph_id"),
        (#"{"graph_id": "-leading-dash"}"#, "invalid_graph_id"),
        (#"{"graph_id": ""}"#, "invalid_graph_id"),
    ])
    func malformedJSONAndBadIdsAre400(json: String, code: String) async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let response = try await client.send(.post, "/databases", json: json)
            #expect(response.status == .badRequest, "\(json)")
            #expect(response.errorCode == code)
            #expect(try fixture.databaseFolderEntries().isEmpty)
        }
    }

    @Test func readOnlyFlagIsStored() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "frozen", "read_only": true}"#).status == .created)
            let info = try await client.send(.get, "/databases/frozen").object()
            #expect(info["read_only"] as? Bool == true)
            #expect(info["schema_type"] as? String == "entity")
            #expect(info["repository_name"] is NSNull)
        }
    }
}
