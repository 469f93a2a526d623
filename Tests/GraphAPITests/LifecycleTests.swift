import Foundation
import GraphAPITesting
import Testing

/// The server as a separate process: graceful shutdown on SIGTERM, and recovery of every
/// acknowledged write after `kill -9`.
@Suite(.serialized, .slow) struct LifecycleTests {
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-lifecycle-\(UUID().uuidString)").path
    }

    static func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    static let ddl = #"{"graph_id":"life","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE Item(id INT64 PRIMARY KEY)"}"#

    @Test func sigtermInterruptsQueriesCheckpointsAndExitsZero() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try ServerProcess(dataDirectory: dir)
        let (created, body) = try await server.request("POST", "/databases", json: Self.ddl)
        #expect(created == 201, "\(String(decoding: body, as: UTF8.self))")
        let (status, _) = try await server.request(
            "POST", "/databases/life/query", json: #"{"cypher":"UNWIND range(1, 3000) AS i CREATE (:Item {id: i})"}"#
        )
        #expect(status == 200)
        // A query that would run for minutes.
        let long = Task {
            try await server.request(
                "POST", "/databases/life/query",
                json: #"{"cypher":"MATCH (a:Item), (b:Item), (c:Item) WHERE a.id + b.id + c.id = -1 RETURN count(*)","timeout":120}"#
            )
        }
        // Stop once the query holds its connection (the server's own gauge says so).
        let running = try await eventually(seconds: 60) {
            let (_, metrics) = try await server.request("GET", "/metrics")
            return ObservabilitySupport.sample(String(decoding: metrics, as: UTF8.self), "graph_api_connections_leased") == 1
        }
        #expect(running, "the long query never held a connection")
        let start = ContinuousClock.now
        let exitStatus = try server.stop(signal: SIGTERM)
        #expect(exitStatus == 0, "\(server.log)")
        // The query would run for minutes (timeout 120 s); the grace is 5 s: a bound a loaded machine keeps.
        #expect(ContinuousClock.now - start < .seconds(60))
        _ = try? await long.value  // interrupted or cut off; either way it is no longer running
        #expect(server.log.contains("closed every database"), "\(server.log)")

        let restarted = try ServerProcess(dataDirectory: dir)
        let (again, data) = try await restarted.request("POST", "/databases/life/query", json: #"{"cypher":"MATCH (i:Item) RETURN count(*) AS n"}"#)
        #expect(again == 200)
        let rows = Self.json(data)["data"] as? [[String: Any]]
        #expect(rows?.first?["n"] as? Int == 3000)
        try restarted.stop(signal: SIGTERM)
    }

    @Test func killNineLosesNoAcknowledgedWrite() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try ServerProcess(dataDirectory: dir)
        let (created, _) = try await server.request("POST", "/databases", json: Self.ddl)
        #expect(created == 201)
        let acknowledged = Counter()
        let writer = Task {
            for i in 1...100_000 {
                let (status, _) = try await server.request(
                    "POST", "/databases/life/query", json: #"{"cypher":"CREATE (:Item {id: $id})","parameters":{"id":\#(i)}}"#
                )
                guard status == 200 else { break }
                acknowledged.set(i)
            }
        }
        #expect(try await eventually(seconds: 120) { acknowledged.value >= 200 }, "\(acknowledged.value) writes acknowledged")
        try server.stop(signal: SIGKILL)
        _ = try? await writer.value
        let acked = acknowledged.value

        let restarted = try ServerProcess(dataDirectory: dir)
        let (status, data) = try await restarted.request(
            "POST", "/databases/life/query", json: #"{"cypher":"MATCH (i:Item) RETURN count(*) AS n, max(i.id) AS top"}"#
        )
        #expect(status == 200)
        let row = (Self.json(data)["data"] as? [[String: Any]])?.first
        let count = row?["n"] as? Int ?? -1
        // Every acknowledged write is there; at most the one in flight at the kill may be too.
        #expect(count >= acked, "acknowledged \(acked), recovered \(count)")
        #expect(count <= acked + 1)
        #expect(row?["top"] as? Int == count)
        try restarted.stop(signal: SIGTERM)
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked Sendable: every access goes through `lock`.
    private let lock = NSLock()
    private var current = 0
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
    func set(_ value: Int) {
        lock.lock()
        current = value
        lock.unlock()
    }
}
