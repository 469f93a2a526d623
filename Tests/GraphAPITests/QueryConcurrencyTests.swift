import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import NIOCore
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// Timeouts, queued writers and admission control of `POST /databases/{graph_id}/query`.
@Suite struct QueryConcurrencyTests {
    /// 3,000 nodes: a three-way cross product with a filter the engine cannot factorise runs until stopped.
    static let slow = TestGraph(
        id: "slow",
        ddl: [
            "CREATE NODE TABLE P(id INT64, age INT64, PRIMARY KEY(id))",
            "UNWIND range(1, 3000) AS i CREATE (:P {id: i, age: i})",
        ]
    )
    static let endless = "MATCH (a:P), (b:P), (c:P) WHERE a.age + b.age + c.age = -1 RETURN count(*) AS n"

    @Test func aQueryPastItsTimeoutIs408AndIsStopped() async throws {
        try await TestServer.withServer(graphs: [Self.slow], configure: { $0.connectionsPerDatabase = 1 }) { server in
            let client = server.client
            let started = ContinuousClock.now
            let answer = try await client.cypher("slow", Self.endless, timeout: 0.5)
            let elapsed = ContinuousClock.now - started
            #expect(answer.status == .requestTimeout, "\(answer.body)")
            #expect(answer.code == "query_timeout")
            // Uninterrupted, the query would run for minutes: a bound a loaded machine keeps.
            #expect(elapsed < .seconds(60))
            // The database's only connection is free: the engine query is not left running (it
            // would hold the connection for minutes, and this request would get 503 after the wait).
            #expect(await server.registry.leasedConnections == 0)
            let after = try await client.cypher("slow", "MATCH (p:P) RETURN count(*) AS n")
            #expect(after.status == .ok)
            #expect((try after.json()["data"] as? [[String: Any]])?.first?["n"] as? Int == 3000)
            // The same in a streamed request: still an HTTP 408, not a 200 stream.
            let streamed = try await client.cypher("slow", Self.endless, timeout: 0.3, suffix: "?streaming=true")
            #expect(streamed.status == .requestTimeout)
        }
    }

    /// A client that hangs up before its answer stops its query: the engine is interrupted and the
    /// database's only connection is free again at once, not when the query would have ended.
    @Test(arguments: ["", "?streaming=true"])
    func aClientThatLeavesBeforeTheAnswerStopsItsQuery(suffix: String) async throws {
        try await TestServer.withServer(
            graphs: [Self.slow],
            configure: {
                $0.connectionsPerDatabase = 1
                $0.connectionWaitMilliseconds = 300
            }
        ) { server in
            let client = server.client
            let port = server.port
            let connection = try await RawHTTPConnection.connect(port: port)
            let body = #"{"cypher": "\#(Self.endless)", "timeout": 120}"#
            let received = try await connection.post(path: "/databases/slow/query" + suffix, body: body, readAtLeast: 0) { _, _ in
                // The query runs: the database's only connection is busy.
                #expect(try await eventually { await server.registry.leasedConnections == 1 })
                let busy = try await ExtraClient.cypher(port: port, "slow", "RETURN 1 AS one")
                #expect(busy.status == .serviceUnavailable, "\(busy.body)")
                #expect(busy.code == "database_busy")
            }
            #expect(received.isEmpty)
            // Released long before the query (minutes, with a timeout of 120 s) would have ended.
            let released = try await eventually(seconds: 60) {
                try await client.cypher("slow", "RETURN 1 AS one").status == .ok
            }
            #expect(released)
            // Counted as abandoned, not as failed.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("graph_api_queries_abandoned_total 1"), "\(metrics.split(separator: "\n").filter { $0.contains("abandoned") })")
            #expect(!metrics.contains("code=\"query_interrupted\""))
        }
    }

    @Test func theTimeoutIsCappedByTheConfiguration() async throws {
        try await TestServer.withServer(graphs: [Self.slow], configure: { $0.maxQueryTimeoutSeconds = 0.5 }) { server in
            let client = server.client
            let started = ContinuousClock.now
            let answer = try await client.cypher("slow", Self.endless, timeout: 600)
            #expect(answer.status == .requestTimeout)
            // Capped at 0.5 s, not 600 s: a bound a loaded machine keeps.
            #expect(ContinuousClock.now - started < .seconds(60))
        }
        try await TestServer.withServer(graphs: [Self.slow], configure: { $0.defaultQueryTimeoutSeconds = 0.5 }) { server in
            let client = server.client
            let answer = try await client.cypher("slow", Self.endless)
            #expect(answer.status == .requestTimeout)
        }
    }

    @Test func parallelWritersQueueInsteadOfFailing() async throws {
        try await TestServer.withServer(graphs: [Self.slow], configure: { $0.connectionsPerDatabase = 8 }) { server in
            let client = server.client
            let port = server.port
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let answer = try await ExtraClient.cypher(
                            port: port, "slow", "UNWIND range($from, $from + 99) AS i CREATE (:P {id: i, age: i})",
                            parameters: ["from": 10_000 + index * 100]
                        )
                        if answer.status != .ok { Issue.record("writer \(index): \(answer.status) \(answer.body)") }
                        return answer.status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 24)
            #expect(statuses.allSatisfy { $0 == .ok })
            let count = try await client.cypher("slow", "MATCH (p:P) RETURN count(*) AS n")
            #expect((try count.json()["data"] as? [[String: Any]])?.first?["n"] as? Int == 3000 + 2400)
        }
    }

    @Test(.slow) func readsRunWhileAWriteHoldsTheGate() async throws {
        try await TestServer.withServer(graphs: [Self.slow], configure: { $0.connectionsPerDatabase = 4 }) { server in
            let client = server.client
            let port = server.port
            // A long write: holds the write gate until its timeout stops it.
            let writeEnded = ObservabilityBox(false)
            async let write = {
                defer { writeEnded.withLock { $0 = true } }
                return try await ExtraClient.cypher(
                    port: port, "slow", "MATCH (a:P), (b:P), (c:P) WHERE a.age + b.age + c.age = -1 CREATE (:P {id: -1, age: 0})",
                    timeout: 5
                )
            }()
            let database = try await server.registry.withConnection(to: try GraphID(validating: "slow")) { handle, _ in handle.database }
            #expect(try await eventually { database.writeGate.isHeld })
            let read = try await client.cypher("slow", "MATCH (p:P) RETURN count(*) AS n")
            #expect(read.status == .ok)
            // The read was answered while the write still held the gate.
            #expect(database.writeGate.isHeld)
            #expect(writeEnded.withLock { $0 } == false)
            #expect(try await write.status == .requestTimeout)
        }
    }

    @Test(.slow) func aFullQueueIs503WithRetryAfter() async throws {
        try await TestServer.withServer(
            graphs: [Self.slow],
            configure: {
                $0.connectionsPerDatabase = 1
                $0.connectionWaitMilliseconds = 20_000
                $0.maxQueuedQueries = 1
            }
        ) { server in
            let client = server.client
            let port = server.port
            async let running = ExtraClient.cypher(port: port, "slow", Self.endless, timeout: 5)
            #expect(try await eventually { await server.registry.leasedConnections == 1 })
            async let waiting = ExtraClient.cypher(port: port, "slow", "RETURN 1 AS one")
            #expect(try await eventually { await server.registry.waitingRequests == 1 })
            let refused = try await client.cypher("slow", "RETURN 2 AS two")
            #expect(refused.status == .serviceUnavailable, "\(refused.body)")
            #expect(refused.code == "query_queue_full")
            #expect(refused.headers[.retryAfter] == "1")
            #expect(try await running.status == .requestTimeout)
            #expect(try await waiting.status == .ok)
            // Once the queue drains, queries are admitted again.
            #expect(try await client.cypher("slow", "RETURN 3 AS three").status == .ok)
        }
    }

    @Test func memoryPressureIs503WithRetryAfter() async throws {
        try await TestServer.withServer(graphs: [Self.slow], configure: { $0.queryMemoryLimitBytes = 1 << 20 }) { server in
            let client = server.client
            let refused = try await client.cypher("slow", "RETURN 1 AS one")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.code == "memory_pressure")
            #expect(refused.headers[.retryAfter] == "5")
            // The node's memory is every tenant's work: no figure in the answer.
            #expect(!refused.body.contains("MiB"), "\(refused.body)")
        }
    }

    @Test func admissionTicketsCountWaitingAndRunningQueries() throws {
        let controller = AdmissionController(limits: .init(maxQueued: 2, memoryLimitBytes: 1 << 40), residentBytes: { 1 << 20 })
        let first = try controller.admit()
        let second = try controller.admit()
        #expect(controller.counts.waiting == 2)
        #expect(throws: APIError.self) { try controller.admit() }
        first.markRunning()
        #expect(controller.counts.waiting == 1)
        #expect(controller.counts.running == 1)
        let third = try controller.admit()
        first.release()
        first.release()
        second.release()
        third.markRunning()
        #expect(controller.counts == .init(waiting: 0, running: 1, rejectedQueueFull: 1, rejectedMemory: 0))
        _ = third
    }

    @Test func aTicketDroppedWithoutReleaseIsReleased() throws {
        let controller = AdmissionController(limits: .init(maxQueued: 1, memoryLimitBytes: 1 << 40), residentBytes: { nil })
        do {
            let ticket = try controller.admit()
            ticket.markRunning()
        }
        #expect(controller.counts.running == 0)
        #expect(controller.counts.waiting == 0)
    }
}

/// The signal a request handler watches to learn that its client went away.
@Suite struct ClientConnectionTests {
    @Test func actionsRunOnceWhenTheClientGoesAndNotAfterCancelling() {
        let client = ClientConnection()
        let runs = Mutex<[String]>([])
        let kept = client.onClose { runs.withLock { $0.append("kept") } }
        let dropped = client.onClose { runs.withLock { $0.append("dropped") } }
        dropped.cancel()
        #expect(!client.isClosed)
        #expect(runs.withLock { $0 }.isEmpty)
        client.close()
        client.close()
        #expect(client.isClosed)
        #expect(runs.withLock { $0 } == ["kept"])
        kept.cancel()
        // Registered after the client went: runs at once.
        _ = client.onClose { runs.withLock { $0.append("late") } }
        #expect(runs.withLock { $0 } == ["kept", "late"])
    }
}
