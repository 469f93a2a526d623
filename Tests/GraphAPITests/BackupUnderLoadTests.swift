import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import NIOCore
import Synchronization
import Testing

@testable import GraphService

/// A backup taken while 8 clients write and 8 read: readers never fail or stall on it, and the
/// restored graph is one consistent moment of the live one — every write whole or absent, each
/// writer's writes a prefix of its sequence, everything acknowledged before the backup began
/// present and nothing begun after it ended.
@Suite(.serialized, .slow) struct BackupUnderLoadTests {
    static let graph = TestGraph(
        id: "load",
        ddl: ["CREATE NODE TABLE W(id STRING, writer INT64, seq INT64, half INT64, PRIMARY KEY (id))", "CREATE REL TABLE Pair(FROM W TO W)"]
    )

    @Test func aBackupUnderWritesAndReadsRestoresOneConsistentMoment() async throws {
        try await TestServer.withServer(graphs: [Self.graph], configure: { $0.connectionsPerDatabase = 20; $0.bufferPoolBytes = 256 << 20 }) { server in
            let load = LoadState()
            let port = server.port
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        try await TestServer.Client.withConnection(port: port, timeout: TestServer.Client.defaultTimeout) { client in
                            var seq = 0
                            while !load.stopped {
                                seq += 1
                                // One transaction: two nodes and the relationship between them.
                                let cypher = """
                                    CREATE (a:W {id: '\(writer)-\(seq)-a', writer: \(writer), seq: \(seq), half: 0})\
                                    -[:Pair]->(b:W {id: '\(writer)-\(seq)-b', writer: \(writer), seq: \(seq), half: 1})
                                    """
                                let answer = try await client.send(.post, "/databases/load/query", object: ["cypher": cypher])
                                #expect(answer.status == .ok, "\(String(buffer: answer.body))")
                                load.acknowledge(writer: writer, seq: seq)
                            }
                        }
                    }
                }
                for _ in 0..<8 {
                    group.addTask {
                        try await TestServer.Client.withConnection(port: port, timeout: TestServer.Client.defaultTimeout) { client in
                            while !load.stopped {
                                let answer = try await client.send(.post, "/databases/load/query", object: ["cypher": "MATCH (w:W) RETURN count(w) AS n"])
                                load.read(failed: answer.status != .ok)
                            }
                        }
                    }
                }
                // Let the load run, then back up in its middle.
                #expect(try await eventually { load.acknowledgedTotal >= 200 })
                let before = load.acknowledged
                let record = try await BackupRestoreTests.backup(server.client, "load", ["compression": "zstd"])
                let after = load.acknowledged
                #expect(try await eventually { load.acknowledgedTotal >= after.values.reduce(0, +) + 50 })
                load.stop()
                try await group.waitForAll()

                #expect(record["status"] as? String == "completed", "\(record)")
                let manifest = try #require(record["result"] as? [String: Any])
                let backupID = try #require(manifest["backup_id"] as? String)
                let restored = try await BackupRestoreTests.restore(server.client, "load", ["backup_id": backupID, "target_graph_id": "moment"])
                #expect(restored["status"] as? String == "completed", "\(restored)")

                let rows = try await server.run(
                    "moment", "MATCH (w:W) OPTIONAL MATCH (w)-[p:Pair]-() RETURN w.writer, w.seq, w.half, count(p) ORDER BY w.writer, w.seq, w.half"
                )
                var seqs: [Int: [Int]] = [:]
                var halves: [String: Int] = [:]
                for row in rows {
                    let (writer, seq, links) = (Int(row[0].int64Value!), Int(row[1].int64Value!), row[3].int64Value!)
                    #expect(links == 1, "a node without its relationship: writer \(writer) seq \(seq)")
                    halves["\(writer)-\(seq)", default: 0] += 1
                    if row[2].int64Value == 0 { seqs[writer, default: []].append(seq) }
                }
                #expect(halves.values.allSatisfy { $0 == 2 }, "a write was restored in part")
                for writer in 0..<8 {
                    let got = seqs[writer] ?? []
                    #expect(got == Array(1...max(1, got.count)).prefix(got.count).map { $0 }, "writer \(writer): not a prefix")
                    #expect(got.count >= before[writer] ?? 0, "writer \(writer): a write acknowledged before the backup is missing")
                    #expect(got.count <= (after[writer] ?? 0) + 1, "writer \(writer): a write begun after the backup is present")
                }
                #expect(manifest["node_count"] as? Int == rows.count)
                #expect(load.readFailures == 0)
                #expect(load.reads > 0)
            }
        }
    }
}

/// What the load's tasks share.
final class LoadState: Sendable {
    private let state = Mutex<(stop: Bool, acknowledged: [Int: Int], readFailures: Int, reads: Int)>((false, [:], 0, 0))

    var stopped: Bool { state.withLock { $0.stop } }
    func stop() { state.withLock { $0.stop = true } }
    /// Writer → the last sequence number it had acknowledged.
    var acknowledged: [Int: Int] { state.withLock { $0.acknowledged } }
    var acknowledgedTotal: Int { state.withLock { $0.acknowledged.values.reduce(0, +) } }
    func acknowledge(writer: Int, seq: Int) { state.withLock { $0.acknowledged[writer] = seq } }
    func read(failed: Bool) { state.withLock { $0.reads += 1; if failed { $0.readFailures += 1 } } }
    var reads: Int { state.withLock { $0.reads } }
    var readFailures: Int { state.withLock { $0.readFailures } }
}
