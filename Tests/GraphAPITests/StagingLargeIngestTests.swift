import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Staging
import Testing

@testable import GraphAPI
@testable import GraphService

/// 1M node rows and 2M relationship rows with duplicates and dangling endpoints, staged from
/// Parquet and ingested: the graph ends with exactly the expected counts.
@Suite(.slow) struct StagingLargeIngestTests {
    @Test func millionNodesAndTwoMillionRelationshipsLoseNoValidRowAndDoubleNoEdge() async throws {
        try await TestServer.withDatabases(configure: { $0.bufferPoolBytes = 1 << 30 }) { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            // 1,000,000 node rows: identifiers n0..n899999 (100,000 of them twice).
            try StagingFixtures.write(
                "SELECT 'n' || (range % 900000) AS identifier, 'name' || range AS name, range AS age, 0.5 AS score FROM range(1000000)",
                to: imports + "/big/nodes.parquet")
            // 2,000,000 relationship rows: 1,900,000 over valid endpoints (some pairs repeat), 50,000
            // exact repeats of them, and 50,000 rows whose target does not exist.
            try StagingFixtures.write(
                """
                SELECT 'n' || (range % 900000) AS "from", 'n' || ((range // 900000) * 1000 + (range * 7 + 13) % 900000) % 900000 AS "to", range AS since
                FROM range(1900000)
                UNION ALL SELECT 'n' || (range % 900000), 'n' || ((range // 900000) * 1000 + (range * 7 + 13) % 900000) % 900000, -1 FROM range(50000)
                UNION ALL SELECT 'n' || range, 'missing' || range, -2 FROM range(50000)
                """, to: imports + "/big/rels.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            let nodes = try await client.send(.post, "/databases/g1/tables", object: ["table_name": "Person", "source": "big/nodes.parquet"])
            #expect(try nodes.object()["row_count"] as? Int == 900_000)
            let rels = try await client.send(.post, "/databases/g1/tables", object: ["table_name": "KNOWS", "source": "big/rels.parquet"])
            let stagedPairs = try #require(try rels.object()["row_count"] as? Int)
            // What DuckDB says the distinct valid pairs are, computed independently of the ingest.
            let expected = try await client.send(
                .post, "/databases/g1/tables/query",
                object: ["sql": "SELECT count(DISTINCT (src, dst)) FROM KNOWS WHERE dst NOT LIKE 'missing%'"])
            let validPairs = try #require((try expected.object()["rows"] as? [[Int]])?.first?.first)
            #expect(stagedPairs == validPairs + 50_000)

            let nodeIngest = try await client.send(.post, "/databases/g1/tables/Person/ingest", object: [:])
            #expect(nodeIngest.status == .ok, "\(String(buffer: nodeIngest.body))")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 900_000)

            let refused = try await client.send(.post, "/databases/g1/tables/KNOWS/ingest", object: [:])
            #expect(refused.errorCode == "ingest_rows_rejected")
            #expect(refused.errorDetail.contains("50000 relationships whose endpoints are missing"), "\(refused.errorDetail)")
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == 0)

            let relIngest = try await client.send(.post, "/databases/g1/tables/KNOWS/ingest", object: ["ignore_errors": true])
            #expect(relIngest.status == .ok, "\(String(buffer: relIngest.body))")
            let body = try relIngest.object()
            #expect(body["rows_ingested"] as? Int == validPairs)
            #expect(body["rows_skipped"] as? Int == 50_000)
            #expect((body["warnings"] as? [String] ?? []).contains { $0.contains("50000 relationships whose endpoints are missing") })
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == Int64(validPairs))

            let again = try await client.send(.post, "/databases/g1/tables/KNOWS/ingest", object: ["ignore_errors": true])
            #expect(try again.object()["rows_ingested"] as? Int == 0)
            #expect(try again.object()["rows_skipped"] as? Int == 50_000 + validPairs)
            #expect(try await fixture.count("g1", "MATCH ()-[k:KNOWS]->() RETURN count(k)") == Int64(validPairs))
        }
    }
}
