import Foundation
import GraphAPITesting
import GraphService
import HTTPTypes
import NIOCore
import Testing

/// Issue 14, "long work shows its progress": a staging load or an ingest run as a task sat at 5%
/// while DuckDB read, then jumped to 100%. Now DuckDB's own progress of the running statement
/// moves the task, with the phase, the rows DuckDB has handled, the rate and the time left.
///
/// Observed through the task's monitor (SSE), which sends every change as it happens: no fixed
/// sleeps, and nothing depends on how fast the machine is beyond the load lasting longer than a
/// few of the ticker's quarter-second polls (3M rows take seconds).
@Suite(.serialized) struct StagingProgressTests {
    /// The events of the task of `accepted` (its monitor, read until the task ends), as objects.
    static func follow(_ fixture: TestServer, _ accepted: TestServer.Response) async throws -> [(name: String, data: [String: Any])] {
        #expect(accepted.status == .accepted, "\(String(buffer: accepted.body))")
        let id = try #require(try accepted.object()["task_id"] as? String)
        let answer = try await SSEClient.get(port: fixture.port, path: "/tasks/\(id)/monitor", key: nil, timeoutSeconds: 600)
        #expect(answer.ended)
        return try answer.events.filter { $0.name != "heartbeat" }.map { ($0.name, try $0.json()) }
    }

    /// What every such task shows: percentages that never go back and reach 100 only when it
    /// completes, and at least one value strictly between its start (5%) and 100% with rows
    /// DuckDB handled, in one of `phases`. Returns those values.
    static func expectDuckDBProgress(
        _ events: [(name: String, data: [String: Any])], phases: Set<String>, _ what: String
    ) -> [[String: Any]] {
        let summary = events.map { "\($0.name) \($0.data["progress_percent"] ?? "-") \(($0.data["metadata"] as? [String: Any])?["phase"] ?? "-") \($0.data["rows_processed"] ?? "-")" }
        #expect(events.last?.name == "completed", "\(what): \(summary)")
        let percents = events.compactMap { $0.data["progress_percent"] as? Double }
        #expect(percents == percents.sorted(), "\(what): \(summary)")
        let beforeEnd = events.dropLast().map(\.data)
        #expect(!beforeEnd.contains { ($0["progress_percent"] as? Double ?? 0) >= 100 }, "\(what): \(summary)")
        let between = beforeEnd.filter { data in
            let percent = data["progress_percent"] as? Double ?? 0
            let phase = (data["metadata"] as? [String: Any])?["phase"] as? String ?? ""
            return percent > 5 && percent < 100 && (data["rows_processed"] as? Int ?? 0) > 0 && phases.contains(phase)
                && data["status"] as? String == "running"
        }
        #expect(!between.isEmpty, "\(what): no DuckDB progress between 5% and 100%: \(summary)")
        let completed = events.last?.data ?? [:]
        #expect(completed["progress_percent"] as? Double == 100)
        #expect((completed["metadata"] as? [String: Any])?["phase"] as? String == "done", "\(completed)")
        return between
    }

    @Test(.slow) func aLargeLoadAndItsIngestShowDuckDBsProgressWhileTheyRun() async throws {
        // 3M rows do not fit a COPY into the tests' 64 MiB pool (507 database_out_of_memory), and
        // their staging load once ran out of the tests' 256 MiB DuckDB limit in a full run: this
        // test is about progress, so both get the node's defaults (512 MiB each).
        let defaults = ServerConfiguration()
        try await TestServer.withDatabases(configure: {
            $0.bufferPoolBytes = 512 << 20
            $0.stagingMemoryBytes = defaults.stagingMemoryBytes
        }) { fixture in
            let client = fixture.client
            let file = fixture.importDirectory + "/many.parquet"
            try StagingFixtures.write(
                "SELECT 'p' || range AS identifier, 'name ' || range AS name, range AS age, 1.5::DOUBLE AS score FROM range(3000000)",
                to: file)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
            try await StagingFixtures.createPeople(client, "g1")

            let load = try await Self.follow(
                fixture, try await client.send(.post, "/databases/g1/tables?async=true", object: ["table_name": "Person", "source": "many.parquet"]))
            let loading = Self.expectDuckDBProgress(load, phases: ["counting_rows", "reading_sources", "writing_table"], "staging load")
            #expect((load.last?.data["result"] as? [String: Any])?["row_count"] as? Int == 3_000_000, "\(load.last?.data ?? [:])")
            // The sources' size is known in advance; what a phase reading them has read grows with it.
            #expect(loading.allSatisfy { $0["total_bytes"] as? Int == size }, "\(loading)")
            let read = loading.filter { ($0["metadata"] as? [String: Any])?["phase"] as? String == "reading_sources" }
            #expect(read.allSatisfy { ($0["bytes_processed"] as? Int ?? -1) >= 0 && ($0["bytes_processed"] as? Int ?? .max) <= size }, "\(read)")
            #expect(loading.contains { (($0["metadata"] as? [String: Any])?["rows_per_second"] as? Double ?? 0) > 0 }, "\(loading)")
            #expect(loading.contains { ($0["message"] as? String ?? "").contains("rows/s") }, "\(loading)")

            let ingest = try await Self.follow(fixture, try await client.send(.post, "/databases/g1/tables/Person/ingest?async=true", object: [:]))
            _ = Self.expectDuckDBProgress(ingest, phases: ["checking_rows", "preparing_rows"], "ingest")
            #expect((ingest.last?.data["result"] as? [String: Any])?["rows_ingested"] as? Int == 3_000_000, "\(ingest.last?.data ?? [:])")
            // The graph's COPY follows, estimated from the COPY rate (the engine reports no progress).
            #expect(ingest.contains { ($0.data["metadata"] as? [String: Any])?["phase"] as? String == "copying_into_graph" })
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 3_000_000)
        }
    }
}
