import Foundation
import Synchronization
import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    @Suite("Concurrent connections and the write gate", .serialized)
    struct ConcurrencyTests {
        @Test("many reader connections on one database answer correctly in parallel threads")
        func parallelReaders() throws {
            try withTestDatabase { database, _ in
                let setup = try database.connect()
                _ = try setup.query("CREATE NODE TABLE N(id INT64 PRIMARY KEY, value INT64)")
                _ = try setup.query("UNWIND range(0, 999) AS i CREATE (:N {id: i, value: i * 3})")
                let readers = 8
                let queriesEach = 40
                let failures = Mutex<[String]>([])
                let connections = try (0..<readers).map { _ in try database.connect() }
                DispatchQueue.concurrentPerform(iterations: readers) { reader in
                    let connection = connections[reader]
                    do {
                        let statement = try connection.prepare("MATCH (n:N) WHERE n.id = $id RETURN n.value")
                        for query in 0..<queriesEach {
                            let id = Int64((reader * 131 + query * 17) % 1000)
                            let value = try connection.execute(statement, parameters: ["id": .int64(id)]).next()
                            if value != [.int64(id * 3)] {
                                failures.withLock {
                                    $0.append("reader \(reader): id \(id) gave \(String(describing: value))")
                                }
                            }
                            // sum() of INT64 is an INT128.
                            let sum = try connection.scalar(
                                "MATCH (n:N) WHERE n.id <= $k RETURN sum(n.value)", ["k": .int64(id)])
                            if sum?.int64Value != 3 * id * (id + 1) / 2 {
                                failures.withLock {
                                    $0.append("reader \(reader): sum below \(id) gave \(String(describing: sum))")
                                }
                            }
                        }
                    } catch {
                        failures.withLock { $0.append("reader \(reader): \(error)") }
                    }
                }
                #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
            }
        }

        @Test("readers on an executor run in parallel")
        func parallelReadersOnExecutor() async throws {
            try await withTestDatabase { database, _ in
                let setup = try database.connect()
                _ = try setup.query("CREATE NODE TABLE N(id INT64 PRIMARY KEY)")
                _ = try setup.query("UNWIND range(1, 100) AS i CREATE (:N {id: i})")
                let executor = EngineExecutor(threadCount: 4)
                let connections = try (0..<4).map { _ in try database.connect() }
                let counts = try await withThrowingTaskGroup(of: Value?.self) { group in
                    for index in 0..<16 {
                        let connection = connections[index % connections.count]
                        group.addTask {
                            try await connection.run(
                                "MATCH (n:N) WHERE n.id <= $k RETURN count(*)", parameters: ["k": .int64(Int64(index))],
                                on: executor
                            ).next()?.first
                        }
                    }
                    var all: [Value?] = []
                    for try await count in group { all.append(count) }
                    return all
                }
                #expect(Set(counts.compactMap { $0?.int64Value }) == Set((0..<16).map { Int64($0) }))
                try await executor.shutdown()
            }
        }

        @Test("a write holds the gate: a second writer queues then succeeds, a reader answers meanwhile")
        func writeGate() async throws {
            try await withTestDatabase { database, _ in
                let setup = try database.connect()
                try createPeople(setup, count: 3000)
                _ = try setup.query("CREATE NODE TABLE Log(id INT64 PRIMARY KEY)")
                let executor = EngineExecutor(threadCount: 4)

                // Writer 1: a long write statement, bounded by its connection's timeout.
                let firstWriter = try database.connect()
                try firstWriter.setQueryTimeout(milliseconds: 1500)
                let longWrite = "MATCH (a:P), (b:P), (c:P) WHERE a.age + b.age + c.age = -1 CREATE (:Log {id: a.id})"
                #expect(try !firstWriter.prepare(longWrite).isReadOnly)
                let first = Task { try await firstWriter.run(longWrite, on: executor) }
                try await waitUntil { database.writeGate.isHeld }

                // Writer 2 queues behind it, holding no executor thread.
                let secondWriter = try database.connect()
                let secondDone = TestFlag()
                let second = Task {
                    defer { secondDone.set() }
                    return try await secondWriter.run("CREATE (:Log {id: $id})", parameters: ["id": 1], on: executor)
                }
                try await waitUntil { database.writeGate.waitingCount == 1 }

                // A reader on another connection answers during the write, without the gate.
                let reader = try database.connect()
                let readStart = nowMilliseconds()
                let count = try await reader.run("MATCH (p:P) RETURN count(*)", on: executor).next()
                #expect(count == [.int64(3000)])
                #expect(nowMilliseconds() - readStart < 500)
                #expect(!secondDone.isSet, "the second writer must still be queued")
                #expect(database.writeGate.waitingCount == 1)

                // Without the gate, the engine refuses a concurrent writer outright.
                let direct = try database.connect()
                let conflict = await engineError {
                    try await executor.run(on: direct) { try $0.query("CREATE (:Log {id: 99})") }
                }
                #expect(conflict?.kind == .writeConflict)

                // Writer 1 ends (timeout); writer 2 then runs and succeeds.
                let firstError = await engineError { try await first.value }
                #expect(firstError?.kind == .timeout)
                _ = try await second.value
                #expect(!database.writeGate.isHeld)
                #expect(try await reader.run("MATCH (l:Log) RETURN l.id", on: executor).next() == [.int64(1)])
                try await executor.shutdown()
            }
        }

        @Test("many concurrent writers through run() all succeed, one at a time")
        func queuedWriters() async throws {
            try await withTestDatabase { database, _ in
                let setup = try database.connect()
                _ = try setup.query("CREATE NODE TABLE W(id INT64 PRIMARY KEY)")
                let executor = EngineExecutor(threadCount: 4)
                let connections = try (0..<6).map { _ in try database.connect() }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<30 {
                        let connection = connections[index % connections.count]
                        group.addTask {
                            _ = try await connection.run(
                                "UNWIND range($from, $from + 99) AS i CREATE (:W {id: i})",
                                parameters: ["from": .int64(Int64(index * 100))], on: executor)
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try setup.scalar("MATCH (w:W) RETURN count(*)") == .int64(3000))
                try await executor.shutdown()
            }
        }
    }
}

extension GraphEngineCoreTests {
    @Suite("Write gate")
    struct WriteGateTests {
        @Test("writers get the gate in arrival order")
        func fifo() async throws {
            let gate = WriteGate()
            try await gate.acquire()
            final class Order: Sendable {
                let indices = Mutex<[Int]>([])
            }
            let order = Order()
            var tasks: [Task<Void, any Error>] = []
            for index in 0..<5 {
                tasks.append(
                    Task {
                        try await gate.withPermit { order.indices.withLock { $0.append(index) } }
                    })
                try await waitUntil { gate.waitingCount == index + 1 }
            }
            gate.release()
            for task in tasks { try await task.value }
            #expect(order.indices.withLock { $0 } == [0, 1, 2, 3, 4])
            #expect(!gate.isHeld)
        }

        @Test("a cancelled waiter leaves the queue with kind interrupted")
        func cancelWaiter() async throws {
            let gate = WriteGate()
            try await gate.acquire()
            let waiter = Task { try await gate.withPermit { 1 } }
            try await waitUntil { gate.waitingCount == 1 }
            waiter.cancel()
            let error = await engineError { try await waiter.value }
            #expect(error?.kind == .interrupted)
            #expect(gate.waitingCount == 0)
            gate.release()
            #expect(!gate.isHeld)
            #expect(try await gate.withPermit { 2 } == 2)
        }

        @Test("the gate is released when the body throws")
        func releaseOnError() async throws {
            let gate = WriteGate()
            struct Failure: Error {}
            await #expect(throws: Failure.self) { try await gate.withPermit { throw Failure() } }
            #expect(!gate.isHeld)
        }
    }
}

/// Polls `condition` every 5 ms, failing after `seconds`.
func waitUntil(
    seconds: Double = 10, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
) async throws {
    let deadline = nowMilliseconds() + seconds * 1000
    while !condition() {
        if nowMilliseconds() > deadline {
            Issue.record("condition not met within \(seconds) s", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}
