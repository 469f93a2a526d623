import Foundation
import GraphAPITesting
import Testing

@testable import GraphService

/// `kill -9` in the middle of a backup or a restore: the live graph is intact and opens, the task
/// is `failed` after the restart, and nothing half-made is listed or left on disk.
@Suite(.serialized, .slow) struct BackupCrashTests {
    static let rows = 2_000_000

    /// A server process on `dir` holding graph `big` with `rows` + 1 items; slow archives
    /// (gzip, one thread) so that the test can land a kill inside one.
    static func bigGraph(_ dir: String) async throws -> ServerProcess {
        try StagingFixtures.write("SELECT 'i' || range AS id, range AS n FROM range(\(rows))", to: dir + "/import/items.parquet")
        let server = try ServerProcess(dataDirectory: dir, arguments: ["--backup-threads", "1"])
        let ddl = #"{"graph_id":"big","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE Item(id STRING PRIMARY KEY, n INT64)"}"#
        #expect(try await server.request("POST", "/databases", json: ddl).0 == 201)
        #expect(try await server.request("POST", "/databases/big/query", json: #"{"cypher":"CREATE (:Item {id: 'first', n: -1})"}"#).0 == 200)
        let (status, body) = try await server.request("POST", "/databases/big/copy", json: #"{"table_name":"Item","source":"items.parquet"}"#)
        #expect(status == 202)
        let taskID = try #require(LifecycleTests.json(body)["task_id"] as? String)
        #expect(try await waitUntil(server, taskID) { $0["status"] as? String == "completed" })
        return server
    }

    /// Polls the task until `condition` holds (true) or it ended otherwise (false).
    static func waitUntil(_ server: ServerProcess, _ taskID: String, _ condition: ([String: Any]) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let record = LifecycleTests.json(try await server.request("GET", "/tasks/\(taskID)/status").1)
            if condition(record) { return true }
            if ["completed", "failed", "cancelled"].contains(record["status"] as? String ?? "") {
                Issue.record("the task ended before the expected moment: \(record)")
                return false
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    static func count(_ server: ServerProcess) async throws -> Int? {
        let body = LifecycleTests.json(try await server.request("POST", "/databases/big/query", json: #"{"cypher":"MATCH (i:Item) RETURN count(i) AS n"}"#).1)
        return ((body["data"] as? [[String: Any]])?.first?["n"] as? Int)
    }

    static func files(_ folder: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test func aKillDuringABackupLeavesNoArchiveAndTheGraphWhole() async throws {
        let dir = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await Self.bigGraph(dir)
        let (status, body) = try await server.request("POST", "/databases/big/backup", json: #"{"compression":"gzip"}"#)
        #expect(status == 202)
        let taskID = try #require(LifecycleTests.json(body)["task_id"] as? String)
        // Inside the compression, after the snapshot was taken.
        let inside = try await Self.waitUntil(server, taskID) { record in
            let percent = record["progress_percent"] as? Double ?? 0
            return record["status"] as? String == "running" && percent > 15 && percent < 80
        }
        try server.stop(signal: SIGKILL)
        #expect(inside)
        #expect(Self.files(dir + "/backups").contains { $0.hasSuffix(".partial") }, "the kill should land while the archive is written")

        let restarted = try ServerProcess(dataDirectory: dir)
        defer { _ = try? restarted.stop(signal: SIGTERM) }
        let record = LifecycleTests.json(try await restarted.request("GET", "/tasks/\(taskID)/status").1)
        #expect(record["status"] as? String == "failed", "\(record)")
        #expect(LifecycleTests.json(try await restarted.request("GET", "/databases/big/backups").1)["total"] as? Int == 0)
        // The published journal (`big/journal`, when the shipper's first round came before the
        // kill) is the shipper's and stays.
        let left = Self.files(dir + "/backups").filter { !$0.hasPrefix(".work") && $0 != "big" && !$0.hasPrefix("big/journal") }
        #expect(left == [], "\(Self.files(dir + "/backups"))")
        #expect(Self.files(dir + "/backups/.work") == [])
        #expect(try await Self.count(restarted) == Self.rows + 1)
        // And a backup works again.
        let (again, answer) = try await restarted.request("POST", "/databases/big/backup", json: #"{"compression":"none"}"#)
        #expect(again == 202)
        let retry = try #require(LifecycleTests.json(answer)["task_id"] as? String)
        #expect(try await Self.waitUntil(restarted, retry) { $0["status"] as? String == "completed" })
    }

    @Test func aKillDuringARestoreLeavesTheGraphAsItWas() async throws {
        let dir = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await Self.bigGraph(dir)
        var (status, body) = try await server.request("POST", "/databases/big/backup", json: #"{"compression":"gzip"}"#)
        #expect(status == 202)
        let backupTask = try #require(LifecycleTests.json(body)["task_id"] as? String)
        let backupID = try #require(LifecycleTests.json(body)["backup_id"] as? String)
        #expect(try await Self.waitUntil(server, backupTask) { $0["status"] as? String == "completed" })
        // The live graph moves on after the backup.
        #expect(try await server.request("POST", "/databases/big/query", json: #"{"cypher":"MATCH (i:Item) WHERE i.n < 1000 DELETE i"}"#).0 == 200)
        let live = Self.rows - 1000
        #expect(try await Self.count(server) == live)

        (status, body) = try await server.request(
            "POST", "/databases/big/restore", json: #"{"backup_id":"\#(backupID)","force_overwrite":true,"create_system_backup":false}"#)
        #expect(status == 202)
        let taskID = try #require(LifecycleTests.json(body)["task_id"] as? String)
        let inside = try await Self.waitUntil(server, taskID) { record in
            let percent = record["progress_percent"] as? Double ?? 0
            return record["status"] as? String == "running" && percent > 3 && percent < 60
        }
        try server.stop(signal: SIGKILL)
        #expect(inside)
        #expect(Self.files(dir + "/databases").contains { $0.hasPrefix(".restore-") }, "the kill should land while the archive is extracted")

        let restarted = try ServerProcess(dataDirectory: dir)
        defer { _ = try? restarted.stop(signal: SIGTERM) }
        let record = LifecycleTests.json(try await restarted.request("GET", "/tasks/\(taskID)/status").1)
        #expect(record["status"] as? String == "failed", "\(record)")
        #expect(try await Self.count(restarted) == live)
        #expect(!Self.files(dir + "/databases").contains { $0.hasPrefix(".restore-") })
        // The backup is still there, and restores.
        (status, body) = try await restarted.request(
            "POST", "/databases/big/restore", json: #"{"backup_id":"\#(backupID)","force_overwrite":true,"create_system_backup":false}"#)
        let retry = try #require(LifecycleTests.json(body)["task_id"] as? String)
        #expect(try await Self.waitUntil(restarted, retry) { $0["status"] as? String == "completed" })
        #expect(try await Self.count(restarted) == Self.rows + 1)
    }
}
