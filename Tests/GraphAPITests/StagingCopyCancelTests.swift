import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Staging
import Testing

@testable import GraphAPI
@testable import GraphService

/// A COPY that fails, is cancelled, or dies with the server leaves the graph table as it was and
/// the process healthy.
@Suite(.serialized, .slow) struct StagingCopyCancelTests {
    /// Waits until the task runs its COPY (progress 5%: "copying into …").
    static func copying(_ client: TestServer.Client, _ taskID: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let record = try await client.send(.get, "/tasks/\(taskID)/status").object()
            if record["status"] as? String == "running", (record["progress_percent"] as? Double ?? 0) >= 5 { return }
            #expect(record["status"] as? String == "pending" || record["status"] as? String == "running", "\(record)")
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("task \(taskID) did not start copying")
    }

    /// LadybugDB 0.22.0 corrupts its heap when a node-table COPY fails while the table holds
    /// rows written by `CREATE` and not yet checkpointed (the process aborts at the next
    /// checkpoint or close). The server checkpoints before every COPY; without that this test
    /// aborts the test process when the graph is deleted.
    @Test func aFailedNodeCopyAfterUncheckpointedCreatesLeavesTheProcessWhole() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try StagingFixtures.write(
                "SELECT 'p' || range AS identifier, 'n' AS name, range AS age, 1.0::DOUBLE AS score FROM range(1000)",
                to: fixture.importDirectory + "/people.parquet")
            try StagingFixtures.write(
                "SELECT 'q' || range AS identifier, 'n' AS name, range AS age, 1.0::DOUBLE AS score FROM range(1000)",
                to: fixture.importDirectory + "/others.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            let created = try await client.send(
                .post, "/databases/g1/query", object: ["cypher": "CREATE (:Person {identifier: 'p5', name: 'first', age: 1, score: 0.5})"])
            #expect(created.status == .ok, "\(String(buffer: created.body))")
            let failed = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g1/copy", object: ["table_name": "Person", "source": "people.parquet"]))
            #expect(failed["status"] as? String == "failed")
            #expect((failed["error"] as? String ?? "").contains("duplicated primary key value p5"), "\(failed)")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 1)
            // Still writable, and a good COPY goes in.
            let good = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g1/copy", object: ["table_name": "Person", "source": "others.parquet"]))
            #expect(good["status"] as? String == "completed", "\(good)")
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 1001)
            // Closing the database (delete) is where a corrupted heap aborts.
            #expect(try await client.send(.delete, "/databases/g1").status == .ok)
            #expect(try await client.send(.get, "/health").status == .ok)
        }
    }

    @Test func cancellingARunningCopyInterruptsTheEngineAndLeavesTheTable() async throws {
        // 2M string keys need more than the tests' usual 64 MiB buffer pool.
        try await TestServer.withDatabases(configure: { $0.bufferPoolBytes = 512 << 20 }) { fixture in
            let client = fixture.client
            let rows = 2_000_000
            try StagingFixtures.write(
                "SELECT 'p' || range AS identifier, 'name ' || range AS name, range AS age, 0.5::DOUBLE AS score FROM range(\(rows))",
                to: fixture.importDirectory + "/many.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            let created = try await client.send(
                .post, "/databases/g1/query", object: ["cypher": "CREATE (:Person {identifier: 'first', name: 'first', age: 1, score: 0.5})"])
            #expect(created.status == .ok)

            let accepted = try await client.send(.post, "/databases/g1/copy", object: ["table_name": "Person", "source": "many.parquet"])
            #expect(accepted.status == .accepted)
            let taskID = try #require(try accepted.object()["task_id"] as? String)
            try await Self.copying(client, taskID)
            try await Task.sleep(for: .milliseconds(300))
            let cancelled = try await client.send(.delete, "/tasks/\(taskID)")
            #expect(cancelled.status == .ok, "\(String(buffer: cancelled.body))")
            let record = try await StagingCopyTests.finished(client, accepted)
            #expect(record["status"] as? String == "cancelled", "\(record)")
            #expect(record["error"] as? String == "cancelled on request")
            // The table is as before, and the graph takes the whole file afterwards.
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == 1)
            let again = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g1/copy", object: ["table_name": "Person", "source": "many.parquet"]))
            #expect(again["status"] as? String == "completed", "\(again)")
            #expect((again["result"] as? [String: Any])?["rows_copied"] as? Int == rows)
            #expect(try await fixture.count("g1", "MATCH (p:Person) RETURN count(p)") == Int64(rows) + 1)
            #expect(try await client.send(.delete, "/databases/g1").status == .ok)
        }
    }

    /// `kill -9` while a COPY runs: after the restart the task reads `failed` ("interrupted by
    /// restart"), the engine recovered the table without the half-done COPY, and the COPY can be
    /// run again.
    /// Issue 14: a task acknowledged with `202` is on disk before the answer. Copies are submitted
    /// one after the other and the server is killed right after the last `202`; after a restart
    /// every acknowledged task exists (finished, or failed "interrupted by restart"). Before: the
    /// task file was written after the answer, and 19 of 25 such tasks were gone.
    @Test func everyAcknowledgedTaskSurvivesAKillRightAfterItsAnswer() async throws {
        let dir = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/import", withIntermediateDirectories: true)
        try "id\n" .appending((0..<2_000).map { "n\($0)" }.joined(separator: "\n")).appending("\n")
            .write(toFile: dir + "/import/n.csv", atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: dir)
        let ddl = #"{"graph_id":"acked","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE N(id STRING PRIMARY KEY)"}"#
        #expect(try await server.request("POST", "/databases", json: ddl).0 == 201)
        var acknowledged: [String] = []
        for _ in 0..<25 {
            let (status, body) = try await server.request("POST", "/databases/acked/copy", json: #"{"table_name":"N","source":"n.csv"}"#)
            #expect(status == 202)
            if let id = LifecycleTests.json(body)["task_id"] as? String { acknowledged.append(id) }
        }
        try server.stop(signal: SIGKILL)
        #expect(acknowledged.count == 25)

        let restarted = try ServerProcess(dataDirectory: dir)
        var missing: [String] = []
        for id in acknowledged {
            let (status, body) = try await restarted.request("GET", "/tasks/\(id)/status")
            if status != 200 { missing.append(id) }
            let record = LifecycleTests.json(body)
            if status == 200 {
                #expect(["completed", "failed"].contains(record["status"] as? String ?? ""), "\(record)")
            }
        }
        #expect(missing.isEmpty, "\(missing.count) of 25 acknowledged tasks are gone after kill -9")
    }

    @Test func aServerKilledMidCopyReportsTheTaskAndRecoversTheTable() async throws {
        let dir = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = 2_000_000
        try StagingFixtures.write("SELECT 'i' || range AS id, range AS n FROM range(\(rows))", to: dir + "/import/items.parquet")
        let server = try ServerProcess(dataDirectory: dir)
        let ddl = #"{"graph_id":"life","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE Item(id STRING PRIMARY KEY, n INT64)"}"#
        #expect(try await server.request("POST", "/databases", json: ddl).0 == 201)
        #expect(try await server.request("POST", "/databases/life/query", json: #"{"cypher":"CREATE (:Item {id: 'first', n: -1})"}"#).0 == 200)
        let (status, body) = try await server.request("POST", "/databases/life/copy", json: #"{"table_name":"Item","source":"items.parquet"}"#)
        #expect(status == 202, "\(String(decoding: body, as: UTF8.self))")
        let taskID = try #require(LifecycleTests.json(body)["task_id"] as? String)
        let deadline = ContinuousClock.now + .seconds(60)
        // Running, and recorded so on disk (task files are written after the answer: issue 14).
        let taskFile = dir + "/tasks/\(taskID).json"
        while ContinuousClock.now < deadline {
            let record = LifecycleTests.json(try await server.request("GET", "/tasks/\(taskID)/status").1)
            let stored = (try? String(contentsOfFile: taskFile, encoding: .utf8)) ?? ""
            if record["status"] as? String == "running", (record["progress_percent"] as? Double ?? 0) >= 5,
                stored.contains(#""status":"running""#)
            {
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // At once: the COPY of 2M rows ends within a second on an idle machine, and this test is
        // about a kill before its commit (a kill after it leaves every row, which is not this case).
        try server.stop(signal: SIGKILL)

        let restarted = try ServerProcess(dataDirectory: dir)
        let record = LifecycleTests.json(try await restarted.request("GET", "/tasks/\(taskID)/status").1)
        #expect(record["status"] as? String == "failed", "\(record)")
        #expect(record["error"] as? String == "interrupted by restart", "\(record)")
        let count = #"{"cypher":"MATCH (i:Item) RETURN count(*) AS n"}"#
        var rowsNow = (LifecycleTests.json(try await restarted.request("POST", "/databases/life/query", json: count).1)["data"] as? [[String: Any]])
        #expect(rowsNow?.first?["n"] as? Int == 1, "\(restarted.log)")
        let (again, againBody) = try await restarted.request("POST", "/databases/life/copy", json: #"{"table_name":"Item","source":"items.parquet"}"#)
        #expect(again == 202)
        let againID = try #require(LifecycleTests.json(againBody)["task_id"] as? String)
        var final: [String: Any] = [:]
        while ContinuousClock.now < deadline + .seconds(60) {
            final = LifecycleTests.json(try await restarted.request("GET", "/tasks/\(againID)/status").1)
            if let status = final["status"] as? String, ["completed", "failed", "cancelled"].contains(status) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(final["status"] as? String == "completed", "\(final)")
        rowsNow = (LifecycleTests.json(try await restarted.request("POST", "/databases/life/query", json: count).1)["data"] as? [[String: Any]])
        #expect(rowsNow?.first?["n"] as? Int == rows + 1)
        // A completed COPY is durable: the server checkpoints after it (the engine writes no log
        // for a COPY while the server, not the engine, decides when to checkpoint).
        try restarted.stop(signal: SIGKILL)
        let third = try ServerProcess(dataDirectory: dir)
        rowsNow = (LifecycleTests.json(try await third.request("POST", "/databases/life/query", json: count).1)["data"] as? [[String: Any]])
        #expect(rowsNow?.first?["n"] as? Int == rows + 1, "\(third.log)")
        #expect(try third.stop(signal: SIGTERM) == 0, "\(third.log)")
    }
}
