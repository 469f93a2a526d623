import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Testing

@testable import GraphAPI
@testable import GraphService

/// What ingest, `rebuild` and `/copy` do with the data (issue 14, "data semantics users trip
/// over"): column `DEFAULT`s for columns the data lacks, a rebuild that keeps the schema and
/// refuses to drop unstaged rows unless told, and a `/copy` that never doubles edges.
@Suite struct StagingDataSemanticsTests {
    /// A schema whose columns have literal and expression defaults.
    static let placesDDL = """
        CREATE NODE TABLE Place(identifier STRING PRIMARY KEY, name STRING, country STRING DEFAULT 'NZ', region STRING DEFAULT 'Pacific', code STRING DEFAULT lower('NZ'), n INT64 DEFAULT 40 + 2);
        CREATE REL TABLE ROAD(FROM Place TO Place, note STRING, lanes INT64 DEFAULT 7)
        """

    static func createPlaces(_ client: TestServer.Client) async throws {
        let response = try await client.send(
            .post, "/databases", object: ["graph_id": "g1", "schema_type": "custom", "custom_schema_ddl": placesDDL]
        )
        #expect(response.status == .created, "\(String(buffer: response.body))")
    }

    /// `country, region, code, n` of place `id`, as text.
    static func place(_ fixture: TestServer, _ id: String) async throws -> [String] {
        let rows = try await fixture.run("g1", "MATCH (p:Place {identifier: '\(id)'}) RETURN p.country, p.region, p.code, p.n")
        return try #require(rows.first).map { $0.stringValue ?? $0.int64Value.map(String.init) ?? "null" }
    }

    static func lanes(_ fixture: TestServer, _ from: String, _ to: String) async throws -> [String] {
        try await fixture.run("g1", "MATCH (:Place {identifier: '\(from)'})-[r:ROAD]->(:Place {identifier: '\(to)'}) RETURN r.lanes")
            .map { $0.first?.int64Value.map(String.init) ?? "null" }
    }

    static func copy(_ client: TestServer.Client, _ body: [String: Any]) async throws -> [String: Any] {
        try await StagingCopyTests.finished(client, try await client.send(.post, "/databases/g1/copy", object: body))
    }

    @Test func ingestAndCopyGiveMissingColumnsTheirDefaultsAndKeepExplicitNulls() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            try await Self.createPlaces(client)
            // `country` is present (one NULL); region, code and n are missing.
            try StagingFixtures.write(
                "SELECT * FROM (VALUES ('a', 'A', 'AU'), ('b', 'B', NULL)) AS t(identifier, name, country)", to: imports + "/places.parquet")
            try StagingFixtures.write("SELECT 'a' AS \"from\", 'b' AS \"to\"", to: imports + "/road.parquet")
            try StagingFixtures.write(
                "SELECT * FROM (VALUES ('a', 'b'), ('b', 'a')) AS t(\"from\", \"to\")", to: imports + "/roads.parquet")
            try await StagingIngestTests.stage(client, "Place", "places.parquet")
            let places = try await StagingIngestTests.ingest(client, "Place")
            #expect(places.status == .ok, "\(String(buffer: places.body))")
            #expect(try await Self.place(fixture, "a") == ["AU", "Pacific", "nz", "42"])
            // An explicit NULL stays NULL, as with the engine's own COPY.
            #expect(try await Self.place(fixture, "b") == ["null", "Pacific", "nz", "42"])

            // Relationships: the first ingest goes straight to the engine (an empty table), the
            // second through the full checks (edges present): both give `lanes` its default.
            try await StagingIngestTests.stage(client, "ROAD", "road.parquet")
            #expect(try await StagingIngestTests.ingest(client, "ROAD").status == .ok)
            #expect(try await Self.lanes(fixture, "a", "b") == ["7"])
            try await StagingIngestTests.stage(client, "ROAD", "roads.parquet")
            let roads = try await StagingIngestTests.ingest(client, "ROAD")
            #expect(roads.status == .ok, "\(String(buffer: roads.body))")
            #expect(try roads.object()["rows_ingested"] as? Int == 1)
            #expect(try await Self.lanes(fixture, "b", "a") == ["7"])

            // /copy: files with fewer columns than the table name theirs after its properties.
            try StagingFixtures.write("SELECT 'c' AS identifier, 'C' AS name", to: imports + "/copy-places.parquet")
            try "identifier,country\nd,\ne,FJ\n".write(toFile: imports + "/copy-places.csv", atomically: true, encoding: .utf8)
            let copied = try await Self.copy(client, ["table_name": "Place", "source": "copy-places.parquet"])
            #expect(copied["status"] as? String == "completed", "\(copied)")
            #expect(try await Self.place(fixture, "c") == ["NZ", "Pacific", "nz", "42"])
            let csv = try await Self.copy(client, ["table_name": "Place", "source": "copy-places.csv"])
            #expect(csv["status"] as? String == "completed", "\(csv)")
            #expect(try await Self.place(fixture, "d") == ["null", "Pacific", "nz", "42"])
            #expect(try await Self.place(fixture, "e") == ["FJ", "Pacific", "nz", "42"])
            try StagingFixtures.write("SELECT 'c' AS src, 'a' AS dst", to: imports + "/copy-road.parquet")
            let road = try await Self.copy(client, ["table_name": "ROAD", "source": "copy-road.parquet"])
            #expect(road["status"] as? String == "completed", "\(road)")
            #expect(try await Self.lanes(fixture, "c", "a") == ["7"])
            // A column that names no property is refused, naming it; nothing is copied.
            try StagingFixtures.write("SELECT 'f' AS identifier, 'x' AS colour", to: imports + "/copy-bad.parquet")
            let bad = try await Self.copy(client, ["table_name": "Place", "source": "copy-bad.parquet"])
            #expect(bad["status"] as? String == "failed")
            #expect((bad["error"] as? String ?? "").contains("not properties: 'colour'"), "\(bad)")
            #expect(try await fixture.count("g1", "MATCH (p:Place) RETURN count(p)") == 5)
        }
    }

    @Test func rebuildKeepsDefaultsAndCommentsAndRefusesToDropUnstagedRowsUnlessTold() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            try await Self.createPlaces(client)
            _ = try await fixture.run("g1", "COMMENT ON TABLE Place IS 'places people\\'s go'")
            try StagingFixtures.write("SELECT 'p' || range AS identifier, 'n' AS name FROM range(3)", to: imports + "/places.parquet")
            try StagingFixtures.write("SELECT 'p0' AS \"from\", 'p1' AS \"to\"", to: imports + "/road.parquet")
            try await StagingIngestTests.stage(client, "Place", "places.parquet")
            try await StagingIngestTests.stage(client, "ROAD", "road.parquet")
            #expect(try await StagingIngestTests.ingest(client, "Place").status == .ok)
            #expect(try await StagingIngestTests.ingest(client, "ROAD").status == .ok)
            // Written outside staging: one node and two edges (one parallel to a staged one).
            _ = try await fixture.run("g1", "CREATE (:Place {identifier: 'only-live'})")
            _ = try await fixture.run("g1", "MATCH (a:Place {identifier: 'p1'}), (b:Place {identifier: 'p2'}) CREATE (a)-[:ROAD]->(b)")
            _ = try await fixture.run("g1", "MATCH (a:Place {identifier: 'p0'}), (b:Place {identifier: 'p1'}) CREATE (a)-[:ROAD]->(b)")

            let refused = try await StagingIngestTests.ingest(client, "ROAD", ["rebuild": true])
            #expect(refused.status == .conflict, "\(String(buffer: refused.body))")
            #expect(refused.errorCode == "rebuild_would_lose_data")
            #expect(refused.errorDetail.contains("1 of 4 nodes of Place (e.g. 'only-live')"), "\(refused.errorDetail)")
            #expect(refused.errorDetail.contains("2 of 3 relationships of ROAD"), "\(refused.errorDetail)")
            #expect(refused.errorDetail.contains("accept_data_loss"), "\(refused.errorDetail)")
            #expect(try await fixture.count("g1", "MATCH (p:Place) RETURN count(p)") == 4)
            #expect(try await fixture.count("g1", "MATCH ()-[r:ROAD]->() RETURN count(r)") == 3)
            #expect(try fixture.databaseFolderEntries() == ["g1"])

            let accepted = try await StagingIngestTests.ingest(client, "ROAD", ["rebuild": true, "accept_data_loss": true])
            #expect(accepted.status == .ok, "\(String(buffer: accepted.body))")
            let warnings = try accepted.object()["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.contains("dropped 1 of 4 nodes of Place") }, "\(warnings)")
            #expect(try await fixture.count("g1", "MATCH (p:Place) RETURN count(p)") == 3)
            #expect(try await fixture.count("g1", "MATCH ()-[r:ROAD]->() RETURN count(r)") == 1)

            // The schema is the one declared: defaults (and so what ingest fills in) and the comment.
            #expect(try await Self.place(fixture, "p0") == ["NZ", "Pacific", "nz", "42"])
            _ = try await fixture.run("g1", "CREATE (:Place {identifier: 'new'})")
            #expect(try await Self.place(fixture, "new") == ["NZ", "Pacific", "nz", "42"])
            #expect(try await Self.lanes(fixture, "p0", "p1") == ["7"])
            let comment = try await fixture.run("g1", "CALL show_tables() WITH * WHERE name = 'Place' RETURN comment")
            #expect(comment.first?.first?.stringValue == "places people's go")
            _ = try await fixture.run("g1", "MATCH (p:Place {identifier: 'new'}) DELETE p")

            // Nothing to lose: no flag needed.
            let again = try await StagingIngestTests.ingest(client, "Place", ["rebuild": true])
            #expect(again.status == .ok, "\(String(buffer: again.body))")
            #expect(try again.object()["warnings"] as? [String] == [])
            #expect(try await StagingIngestTests.ingest(client, "Place", ["accept_data_loss": "yes"]).status == .unprocessableContent)
        }
    }

    @Test func copyingTheSameFilesTwiceNeverDoublesEdgesOrNodes() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            try await StagingFixtures.createPeople(client, "g1")
            try StagingFixtures.write("SELECT 'p' || range AS identifier, 'n' AS name, range AS age, 0.5 AS score FROM range(20)", to: imports + "/people.parquet")
            try StagingFixtures.write("SELECT 'p' || range AS \"from\", 'p' || ((range + 1) % 20) AS \"to\", range AS since FROM range(20)", to: imports + "/knows.parquet")
            try StagingFixtures.write("SELECT 'p' || range AS \"from\", 'p' || ((range + 1) % 20) AS \"to\", range AS since FROM range(20)", to: imports + "/knows.csv")
            try StagingFixtures.write("SELECT 'c' || range AS identifier, 'city' AS name FROM range(2)", to: imports + "/cities.parquet")
            // Every pair twice.
            try StagingFixtures.write("SELECT 'p' || (range % 5) AS \"from\", 'c' || ((range % 5) % 2) AS \"to\" FROM range(10)", to: imports + "/lives.parquet")

            #expect(try await Self.copy(client, ["table_name": "Person", "source": "people.parquet"])["status"] as? String == "completed")
            // Nodes: a second copy of the same keys fails and changes nothing, as ingest does.
            let people = try await Self.copy(client, ["table_name": "Person", "source": "people.parquet"])
            #expect(people["status"] as? String == "failed", "\(people)")
            #expect((people["error"] as? String ?? "").contains("duplicated primary key"), "\(people)")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 20)
            let skippedPeople = try await Self.copy(client, ["table_name": "Person", "source": "people.parquet", "ignore_errors": true])
            #expect((skippedPeople["result"] as? [String: Any])?["rows_skipped"] as? Int == 20, "\(skippedPeople)")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 20)

            // Relationships: the first copy goes in whole; the same file again (and as CSV) adds nothing.
            let first = try await Self.copy(client, ["table_name": "KNOWS", "source": "knows.parquet"])
            #expect((first["result"] as? [String: Any])?["rows_copied"] as? Int == 20, "\(first)")
            for source in ["knows.parquet", "knows.csv"] {
                let again = try await Self.copy(client, ["table_name": "KNOWS", "source": source])
                #expect(again["status"] as? String == "completed", "\(again)")
                let result = again["result"] as? [String: Any] ?? [:]
                #expect(result["rows_copied"] as? Int == 0, "\(again)")
                #expect(result["rows_skipped"] as? Int == 20, "\(again)")
                #expect((result["warnings"] as? [String] ?? []).contains { $0.contains("20 relationships already in the graph were skipped") }, "\(again)")
                #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == 20)
            }
            // Pairs repeated in the files become one edge, into an empty table too.
            #expect(try await Self.copy(client, ["table_name": "City", "source": "cities.parquet"])["status"] as? String == "completed")
            let lives = try await Self.copy(client, ["table_name": "LIVES_IN", "source": "lives.parquet"])
            #expect(lives["status"] as? String == "completed", "\(lives)")
            #expect((lives["result"] as? [String: Any])?["rows_copied"] as? Int == 5, "\(lives)")
            #expect((lives["result"] as? [String: Any])?["rows_skipped"] as? Int == 5, "\(lives)")
            #expect(try await fixture.count("g1", "MATCH ()-[r:LIVES_IN]->() RETURN count(r)") == 5)
            // Ingest of the same rows agrees.
            try await StagingIngestTests.stage(client, "KNOWS", "knows.parquet")
            let ingested = try await StagingIngestTests.ingest(client, "KNOWS")
            #expect(try ingested.object()["rows_skipped"] as? Int == 20, "\(String(buffer: ingested.body))")
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == 20)
        }
    }
}
