import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Staging
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// `POST /databases/{id}/tables/{t}/ingest` (and `/materialize`): validation, rejected rows,
/// `ignore_errors`, idempotent relationships, `rebuild`.
@Suite struct StagingIngestTests {
    static func stage(_ client: TestServer.Client, _ table: String, _ source: String) async throws {
        let response = try await client.send(.post, "/databases/g1/tables", object: ["table_name": table, "source": source])
        #expect(response.status == .created, "\(String(buffer: response.body))")
    }

    static func ingest(_ client: TestServer.Client, _ table: String, _ options: [String: Any] = [:], alias: Bool = false)
        async throws -> TestServer.Response
    {
        try await client.send(.post, "/databases/g1/tables/\(table)/\(alias ? "materialize" : "ingest")", object: options)
    }

    @Test func nodesAndRelationshipsGoInOnceWithRejectedRowsReportedOrSkipped() async throws {
        let logs = LogCapture()
        try await TestServer.withDatabases(logs: logs) { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            // 100 people (p0..p99), each listed twice; ages as DECIMAL to check the DOUBLE/INT casts.
            try StagingFixtures.write(
                "SELECT 'p' || (range % 100) AS identifier, 'n' || range AS name, (range % 100)::BIGINT AS age, (range * 0.5)::DECIMAL(8,2) AS score FROM range(200)",
                to: imports + "/people.parquet")
            // 300 KNOWS rows: 250 distinct valid pairs... built as (i -> i+1 mod 100) for three rounds, plus 5 dangling.
            try StagingFixtures.write(
                """
                SELECT 'p' || (range % 100) AS "from", 'p' || ((range + 1 + range // 100) % 100) AS "to", range AS since FROM range(300)
                UNION ALL SELECT 'ghost' || range, 'p1', 0 FROM range(5)
                """, to: imports + "/knows.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            try await Self.stage(client, "Person", "people.parquet")
            let people = try await Self.ingest(client, "Person")
            #expect(people.status == .ok, "\(String(buffer: people.body))")
            let body = try people.object()
            #expect(body["rows_ingested"] as? Int == 100)
            #expect(body["rows_skipped"] as? Int == 0)
            #expect(body["graph_table"] as? String == "Person")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 100)
            #expect(try await fixture.count("g1", "MATCH (p:Person {identifier: 'p7'}) RETURN p.age") == 7)
            #expect(logs.audit("ingest").count == 1)

            // Again: every key is already present → 400 with examples, nothing copied.
            let again = try await Self.ingest(client, "Person")
            #expect(again.status == .badRequest)
            #expect(again.errorCode == "ingest_rows_rejected")
            #expect(again.errorDetail.contains("100 keys already present in the graph"), "\(again.errorDetail)")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 100)
            let skipped = try await Self.ingest(client, "Person", ["ignore_errors": true], alias: true)
            #expect(skipped.status == .ok)
            #expect(try skipped.object()["rows_ingested"] as? Int == 0)
            #expect(try skipped.object()["rows_skipped"] as? Int == 100)
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 100)

            try await Self.stage(client, "KNOWS", "knows.parquet")
            let dangling = try await Self.ingest(client, "KNOWS")
            #expect(dangling.status == .badRequest)
            #expect(dangling.errorCode == "ingest_rows_rejected")
            #expect(dangling.errorDetail.contains("5 relationships whose endpoints are missing"), "\(dangling.errorDetail)")
            #expect(dangling.errorDetail.contains("'ghost"), "\(dangling.errorDetail)")
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == 0)

            let staged = try await client.send(.post, "/databases/g1/tables/query", object: ["sql": "SELECT count(*) FROM KNOWS WHERE src NOT LIKE 'ghost%'"])
            let validRows = try #require(((try staged.object()["rows"] as? [[Int]])?.first?.first))
            let knows = try await Self.ingest(client, "KNOWS", ["ignore_errors": true])
            #expect(knows.status == .ok, "\(String(buffer: knows.body))")
            #expect(try knows.object()["rows_ingested"] as? Int == validRows)
            #expect(try knows.object()["rows_skipped"] as? Int == 5)
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == Int64(validRows))

            // Re-ingesting never doubles an edge.
            let twice = try await Self.ingest(client, "KNOWS", ["ignore_errors": true])
            #expect(twice.status == .ok)
            #expect(try twice.object()["rows_ingested"] as? Int == 0)
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == Int64(validRows))
            #expect((try twice.object()["warnings"] as? [String] ?? []).contains { $0.contains("already in the graph") })
        }
    }

    /// Tables staged without the node or relationship shape (keys named as in the graph, `src`
    /// and `dst` as columns) are not deduplicated by staging: ingest finds null and repeated keys
    /// and repeated pairs itself.
    @Test func unshapedTablesHaveTheirNullAndRepeatedKeysFound() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            try "id,name\n1,a\n2,b\n2,b again\n,no key\n3,c\n".write(toFile: imports + "/items.csv", atomically: true, encoding: .utf8)
            try "src,dst,w\n1,2,10\n1,2,11\n2,3,5\n3,9,1\n".write(toFile: imports + "/links.csv", atomically: true, encoding: .utf8)
            let ddl = "CREATE NODE TABLE Item(id INT64 PRIMARY KEY, name STRING); CREATE REL TABLE LINK(FROM Item TO Item, w INT64)"
            let created = try await client.send(.post, "/databases", object: ["graph_id": "g1", "schema_type": "custom", "custom_schema_ddl": ddl])
            #expect(created.status == .created)
            try await Self.stage(client, "Item", "items.csv")
            let refused = try await Self.ingest(client, "Item")
            #expect(refused.errorCode == "ingest_rows_rejected")
            #expect(refused.errorDetail.contains("1 rows without a key"), "\(refused.errorDetail)")
            #expect(refused.errorDetail.contains("1 rows repeating a key of an earlier row (e.g. '2')"), "\(refused.errorDetail)")
            #expect(try await fixture.count("g1", "MATCH (i:Item) RETURN count(i)") == 0)
            let items = try await Self.ingest(client, "Item", ["ignore_errors": true])
            #expect(try items.object()["rows_ingested"] as? Int == 3, "\(String(buffer: items.body))")
            #expect(try items.object()["rows_skipped"] as? Int == 2)
            #expect(try await fixture.count("g1", "MATCH (i:Item) RETURN count(i)") == 3)

            try await Self.stage(client, "LINK", "links.csv")
            let links = try await Self.ingest(client, "LINK", ["ignore_errors": true])
            #expect(links.status == .ok, "\(String(buffer: links.body))")
            #expect(try links.object()["rows_ingested"] as? Int == 2)
            #expect(try links.object()["rows_skipped"] as? Int == 2)
            let warnings = try links.object()["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.contains("1 relationships whose endpoints are missing") && $0.contains("'3 -> 9'") }, "\(warnings)")
            #expect(warnings.contains { $0.contains("1 rows repeated an earlier (src, dst) pair") }, "\(warnings)")
            #expect(try await fixture.count("g1", "MATCH ()-[l:LINK]->() RETURN count(l)") == 2)
            #expect(try await fixture.count("g1", "MATCH (:Item {id: 2})-[l:LINK]->(:Item {id: 3}) RETURN l.w") == 5)
        }
    }

    @Test func validationNamesEveryMismatchingColumnAndCopiesNothing() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try StagingFixtures.write(
                "SELECT 'p' || range AS identifier, 'old' AS age, 1 AS shoe_size, 'x' AS hat, range AS name FROM range(3)",
                to: fixture.importDirectory + "/bad.parquet")
            try StagingFixtures.write("SELECT 'p' || range AS identifier, '12' || range AS age FROM range(3)", to: fixture.importDirectory + "/text-age.parquet")
            try StagingFixtures.write("SELECT 'p' || range AS identifier, 'x' || range AS age FROM range(3)", to: fixture.importDirectory + "/junk-age.parquet")
            try StagingFixtures.write("SELECT 'c' || range AS identifier FROM range(3)", to: fixture.importDirectory + "/things.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            try await Self.stage(client, "Person", "bad.parquet")
            let response = try await Self.ingest(client, "Person")
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "ingest_validation_failed")
            for part in ["'age' is VARCHAR", "'shoe_size' is not a property", "'hat' is not a property"] {
                #expect(response.errorDetail.contains(part), "\(part) in \(response.errorDetail)")
            }
            // A number column into STRING is fine (name BIGINT → STRING) and not reported.
            #expect(!response.errorDetail.contains("'name'"))
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 0)

            try await Self.stage(client, "Things", "things.parquet")
            #expect(try await Self.ingest(client, "Things").errorCode == "graph_table_not_found")
            #expect(try await Self.ingest(client, "Absent").errorCode == "table_not_found")
            #expect(try await Self.ingest(client, "Person", ["file_ids": ["a/b"]]).errorCode == "invalid_file_id")
            #expect(try await Self.ingest(client, "Person", ["rebuild": "yes"]).status == .unprocessableContent)
            #expect(try await Self.ingest(client, "Person", ["nope": 1]).status == .unprocessableContent)
        }
    }

    @Test func fileIDsSelectRowsAndCaseInsensitiveTableNamesMatch() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try StagingFixtures.write("SELECT 'c' || range AS identifier, 'city' AS name FROM range(4)", to: fixture.importDirectory + "/cities/a.parquet")
            try StagingFixtures.write("SELECT 'd' || range AS identifier, 'city' AS name FROM range(6)", to: fixture.importDirectory + "/cities/b.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            try await Self.stage(client, "city", "cities/*.parquet")
            let onlyB = try await Self.ingest(client, "city", ["file_ids": ["b.parquet"]])
            #expect(onlyB.status == .ok, "\(String(buffer: onlyB.body))")
            #expect(try onlyB.object()["graph_table"] as? String == "City")
            #expect(try onlyB.object()["rows_ingested"] as? Int == 6)
            #expect(try await fixture.count("g1", "MATCH (c:City) RETURN count(c)") == 6)
        }
    }

    @Test func rebuildSwapsInAWholeGraphWhileQueriesKeepAnswering() async throws {
        try await TestServer.withDatabases(connections: 8) { fixture in
            let client = fixture.client
            try StagingFixtures.write("SELECT 'p' || range AS identifier, range AS age FROM range(20000)", to: fixture.importDirectory + "/people.parquet")
            try StagingFixtures.write(
                "SELECT 'p' || range AS \"from\", 'p' || ((range + 1) % 20000) AS \"to\" FROM range(20000)", to: fixture.importDirectory + "/knows.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            // The live graph has one person that is not staged: the rebuild, told so, drops it.
            _ = try await fixture.run("g1", "CREATE (:Person {identifier: 'only-live', age: 1})")
            try await Self.stage(client, "Person", "people.parquet")
            try await Self.stage(client, "KNOWS", "knows.parquet")

            let answers = Mutex<[Int64]>([])
            let stop = Atomic<Bool>(false)
            async let reader: Void = {
                while !stop.load(ordering: .relaxed) {
                    let response = try await client.send(
                        .post, "/databases/g1/query", object: ["cypher": "MATCH (p:Person) RETURN count(p) AS n"])
                    if response.status == .ok, let rows = try response.object()["data"] as? [[String: Any]], let n = rows.first?["n"] as? Int {
                        answers.withLock { $0.append(Int64(n)) }
                    } else {
                        Issue.record("a query during the rebuild failed: \(response.status) \(String(buffer: response.body))")
                    }
                }
            }()
            try await Task.sleep(for: .milliseconds(100))
            let rebuilt = try await Self.ingest(client, "KNOWS", ["rebuild": true, "accept_data_loss": true])
            try await Task.sleep(for: .milliseconds(100))
            stop.store(true, ordering: .relaxed)
            try await reader
            #expect(rebuilt.status == .ok, "\(String(buffer: rebuilt.body))")
            #expect(try rebuilt.object()["rebuilt"] as? Bool == true)
            #expect(try rebuilt.object()["rows_ingested"] as? Int == 40000)
            #expect(try rebuilt.object()["warnings"] as? [String] == ["dropped 1 of 1 nodes of Person (e.g. 'only-live') (accept_data_loss)"])
            let seen = answers.withLock { $0 }
            #expect(!seen.isEmpty)
            #expect(seen.allSatisfy { $0 == 1 || $0 == 20000 }, "every answer came from a whole graph: \(Set(seen))")
            #expect(seen.last == 20000)
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 20000)
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == 20000)
            #expect(try await fixture.count("g1", "MATCH (p:Person {identifier: 'only-live'}) RETURN count(p)") == 0)
            #expect(try fixture.databaseFolderEntries() == ["g1"])
        }
    }
}
