import Foundation
import GraphAPITesting
import HTTPTypes
import NIOCore
import Testing

/// Issue 14: staging loads and ingests were synchronous requests with no progress. With
/// `?async=true` each answers `202` with a task (`staging_load`, `ingest`) whose result is the
/// answer the request would have had; what can be checked first is still refused before the `202`.
@Suite struct StagingAsyncTests {
    @Test func loadsAndIngestsRunAsTasksWhenAsked() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try StagingFixtures.write(
                "SELECT 'p' || range AS identifier, 'n' AS name, range AS age, 1.5::DOUBLE AS score FROM range(5000)",
                to: fixture.importDirectory + "/people.parquet")
            try await StagingFixtures.createPeople(client, "g1")

            let load = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g1/tables?async=true", object: ["table_name": "Person", "source": "people.parquet"]))
            #expect(load["status"] as? String == "completed", "\(load)")
            #expect(load["task_type"] as? String == "staging_load")
            #expect((load["result"] as? [String: Any])?["row_count"] as? Int == 5000, "\(load)")
            #expect(load["progress_percent"] as? Double == 100)
            #expect(load["total_bytes"] as? Int ?? 0 > 0, "\(load)")

            let ingest = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g1/tables/Person/ingest?async=1", object: [:]))
            #expect(ingest["status"] as? String == "completed", "\(ingest)")
            #expect(ingest["task_type"] as? String == "ingest")
            #expect((ingest["result"] as? [String: Any])?["rows_ingested"] as? Int == 5000, "\(ingest)")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 5000)

            // Without it, the same requests answer as before.
            let again = try await client.send(.post, "/databases/g1/tables?async=false", object: ["table_name": "Again", "source": "people.parquet"])
            #expect(again.status == .created, "\(String(buffer: again.body))")

            // Refused before any task: a bad flag, a missing source, an unknown graph.
            let badFlag = try await client.send(.post, "/databases/g1/tables?async=maybe", object: ["table_name": "X", "source": "people.parquet"])
            #expect(badFlag.status == .badRequest && badFlag.errorCode == "invalid_parameter", "\(String(buffer: badFlag.body))")
            let missing = try await client.send(.post, "/databases/g1/tables?async=true", object: ["table_name": "X", "source": "nope.parquet"])
            #expect(missing.status == .badRequest && missing.errorCode == "source_not_found", "\(String(buffer: missing.body))")
            let unknown = try await client.send(.post, "/databases/nope/tables/Person/ingest?async=true", object: [:])
            #expect(unknown.status == .notFound, "\(String(buffer: unknown.body))")
            let badFileID = try await client.send(.post, "/databases/g1/tables/Person/ingest?async=true", object: ["file_ids": ["../x"]])
            #expect(badFileID.status == .badRequest && badFileID.errorCode == "invalid_file_id", "\(String(buffer: badFileID.body))")

            // A failure inside the task fails the task with the request's message.
            let noTable = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g1/tables/Ghost/ingest?async=true", object: [:]))
            #expect(noTable["status"] as? String == "failed", "\(noTable)")
            #expect((noTable["error"] as? String ?? "").contains("Ghost"), "\(noTable)")
        }
    }
}
