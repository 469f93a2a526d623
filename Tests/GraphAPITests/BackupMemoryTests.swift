import Foundation
import GraphAPITesting
import Testing

@testable import GraphService

/// The memory cgroup (v1) this process is in, when a child can be made in it (root, cgroup v1
/// memory controller): the tests below start a server inside such a child with a memory limit.
private let memoryCgroupParent: String? = {
    guard let lines = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
    for line in lines.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, fields[1].split(separator: ",").contains("memory") else { continue }
        let folder = "/sys/fs/cgroup/memory" + fields[2]
        let probe = folder + "/graph-api-probe-\(getpid())"
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: false)) != nil else { return nil }
        rmdir(probe)
        return folder
    }
    return nil
}()

/// A backup and a restore of a graph larger than the server's memory limit: archives are made and
/// read a few segments at a time, never whole.
@Suite(.serialized, .slow, .enabled(if: memoryCgroupParent != nil, "needs a cgroup v1 memory controller this user may make children in"))
struct BackupMemoryTests {
    @Test func aGraphLargerThanTheMemoryLimitIsBackedUpAndRestored() async throws {
        let dir = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 6M nodes with a 40-byte string each: a data file well over the limit below.
        try StagingFixtures.write(
            "SELECT 'item-' || range AS id, md5(range::VARCHAR) AS pad, range AS n FROM range(6000000)", to: dir + "/import/items.parquet"
        )
        let loader = try ServerProcess(dataDirectory: dir)
        let ddl = #"{"graph_id":"big","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE Item(id STRING PRIMARY KEY, pad STRING, n INT64)"}"#
        #expect(try await loader.request("POST", "/databases", json: ddl).0 == 201)
        let (_, copy) = try await loader.request("POST", "/databases/big/copy", json: #"{"table_name":"Item","source":"items.parquet"}"#)
        let copyTask = try #require(LifecycleTests.json(copy)["task_id"] as? String)
        #expect(try await BackupCrashTests.waitUntil(loader, copyTask) { $0["status"] as? String == "completed" })
        try loader.stop(signal: SIGTERM)
        let dataFile = dir + "/databases/big/graph.lbug"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dataFile)[.size] as? Int)

        let limit = 256 << 20
        #expect(size > limit, "the graph (\(size) bytes) must be larger than the memory limit")
        let cgroup = try #require(memoryCgroupParent) + "/graph-api-backup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        defer { rmdir(cgroup) }
        try String(limit).write(toFile: cgroup + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
        let server = try ServerProcess(
            dataDirectory: dir, arguments: ["--memory-per-database-mb", "64", "--backup-threads", "2"], cgroup: cgroup
        )
        defer { _ = try? server.stop(signal: SIGTERM) }
        var (status, body) = try await server.request("POST", "/databases/big/backup", json: #"{"compression":"zstd"}"#)
        #expect(status == 202)
        let backupTask = try #require(LifecycleTests.json(body)["task_id"] as? String)
        let backupID = try #require(LifecycleTests.json(body)["backup_id"] as? String)
        #expect(try await BackupCrashTests.waitUntil(server, backupTask) { $0["status"] as? String == "completed" })
        (status, body) = try await server.request("POST", "/databases/big/restore", json: #"{"backup_id":"\#(backupID)","target_graph_id":"copy"}"#)
        #expect(status == 202)
        let restoreTask = try #require(LifecycleTests.json(body)["task_id"] as? String)
        #expect(try await BackupCrashTests.waitUntil(server, restoreTask) { $0["status"] as? String == "completed" })
        let counted = LifecycleTests.json(try await server.request("POST", "/databases/copy/query", json: #"{"cypher":"MATCH (i:Item) RETURN count(i) AS n"}"#).1)
        #expect((counted["data"] as? [[String: Any]])?.first?["n"] as? Int == 6_000_000)
        #expect(server.process.isRunning)
        let peak = Int((try String(contentsOfFile: cgroup + "/memory.max_usage_in_bytes", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(peak <= limit)
    }
}
