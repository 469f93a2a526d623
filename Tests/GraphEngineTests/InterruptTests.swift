import Foundation
import Synchronization
import Testing

@testable import GraphEngine

/// Stopping long queries. Serialized: each test keeps both cores busy with the long query, and
/// the timing assertions should not compete with each other.
extension GraphEngineCoreTests {
    @Suite("Interrupts and timeouts", .serialized)
    struct InterruptTests {
        /// Starts `longQuery` on its own thread; returns when it is running, with a handle to wait for
        /// its outcome.
        final class RunningQuery: Sendable {
            private let outcome = Mutex<(Result<[Value]?, any Error>, Double)?>(nil)
            private let startTime = Mutex<Double>(0)
            private let done = DispatchSemaphore(value: 0)

            /// When the query call started.
            var started: Double { startTime.withLock { $0 } }

            init(_ connection: Connection, _ text: String = longQuery) {
                let ready = DispatchSemaphore(value: 0)
                Thread.detachNewThread { [self] in
                    self.startTime.withLock { $0 = nowMilliseconds() }
                    ready.signal()
                    let result = Result { try connection.query(text).next() }
                    self.outcome.withLock { $0 = (result, nowMilliseconds()) }
                    self.done.signal()
                }
                ready.wait()
            }

            var isFinished: Bool { outcome.withLock { $0 != nil } }

            /// Waits for the query to end; returns its result and when it ended.
            func wait() -> (Result<[Value]?, any Error>, Double) {
                done.wait()
                return outcome.withLock { $0! }
            }
        }

        @Test("interrupt() from another thread stops a long query within 100 ms")
        func interrupt() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                try createPeople(connection, count: 3000)
                let query = RunningQuery(connection)
                Thread.sleep(forTimeInterval: 0.1)
                #expect(!query.isFinished, "the query must still be running at the 100 ms point")

                let requested = nowMilliseconds()
                connection.interrupt()
                let (result, ended) = query.wait()
                let latency = ended - requested
                #expect(latency < 100, "stopped \(latency) ms after the interrupt")
                #expect(throws: EngineError.self) { try result.get() }
                let error = try #require(result.error as? EngineError)
                #expect(error.kind == .interrupted, "\(error)")
                #expect(error.message == "Interrupted.")
                #expect(try connection.scalar("RETURN 1") == .int64(1))
            }
        }

        @Test("the query timeout stops a long query within a second of the deadline, as kind timeout")
        func timeout() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                try createPeople(connection, count: 3000)
                // Margins a loaded 2-core machine keeps: still running 0.9 s before the deadline,
                // stopped within a second after it (the query itself would run for minutes).
                let timeout: UInt64 = 1_000
                try connection.setQueryTimeout(milliseconds: timeout)
                #expect(connection.queryTimeoutMilliseconds == timeout)
                let query = RunningQuery(connection)
                Thread.sleep(forTimeInterval: 0.1)
                #expect(!query.isFinished, "the query must still be running at the 100 ms point")
                let (result, ended) = query.wait()
                let elapsed = ended - query.started
                #expect(elapsed >= Double(timeout) - 5, "stopped after \(elapsed) ms")
                #expect(elapsed < Double(timeout) + 1_000, "stopped after \(elapsed) ms")
                let error = try #require(result.error as? EngineError)
                #expect(error.kind == .timeout, "\(error)")
                // Still usable, timeout still set; then cleared.
                #expect(try connection.scalar("RETURN 1") == .int64(1))
                try connection.setQueryTimeout(milliseconds: 0)
                #expect(try connection.scalar("RETURN 2") == .int64(2))
            }
        }

        @Test("with a timeout set, an interrupt is still reported as kind interrupted")
        func interruptWithTimeoutSet() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                try createPeople(connection, count: 3000)
                try connection.setQueryTimeout(milliseconds: 10_000)
                let query = RunningQuery(connection)
                Thread.sleep(forTimeInterval: 0.1)
                #expect(!query.isFinished)
                connection.interrupt()
                let (result, _) = query.wait()
                #expect((result.error as? EngineError)?.kind == .interrupted)
                #expect(try connection.scalar("RETURN 1") == .int64(1))
            }
        }

        @Test("cancelling the task running a query on the executor interrupts it within 100 ms")
        func taskCancellation() async throws {
            try await withTestDatabase { database, _ in
                let connection = try database.connect()
                try createPeople(connection, count: 3000)
                let executor = EngineExecutor(threadCount: 2)
                let finished = TestFlag()
                let task = Task {
                    defer { finished.set() }
                    return try await executor.run(on: connection) { try $0.query(longQuery).next() }
                }
                try await Task.sleep(for: .milliseconds(100))
                #expect(!finished.isSet, "the query must still be running at the 100 ms point")
                let requested = nowMilliseconds()
                task.cancel()
                let error = await engineError { try await task.value }
                let latency = nowMilliseconds() - requested
                #expect(error?.kind == .interrupted, "\(String(describing: error))")
                #expect(latency < 100, "stopped \(latency) ms after cancellation")
                let one = try await executor.run(on: connection) { try $0.scalar("RETURN 1") }
                #expect(one == .int64(1))
                try await executor.shutdown()
            }
        }

        @Test("cancelling run(_:parameters:on:) interrupts the statement")
        func runCancellation() async throws {
            try await withTestDatabase { database, _ in
                let connection = try database.connect()
                try createPeople(connection, count: 3000)
                let executor = EngineExecutor(threadCount: 2)
                let task = Task { try await connection.run(longQuery, on: executor) }
                try await Task.sleep(for: .milliseconds(150))
                task.cancel()
                let error = await engineError { try await task.value }
                #expect(error?.kind == .interrupted)
                #expect(try await connection.run("RETURN 1", on: executor).next() == [.int64(1)])
                try await executor.shutdown()
            }
        }

        @Test("a task cancelled before its query starts does not run it")
        func cancelledBeforeStart() async throws {
            try await withTestDatabase { database, _ in
                let connection = try database.connect()
                let executor = EngineExecutor(threadCount: 1)
                let ran = TestFlag()
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await executor.run(on: connection) { connection in
                        ran.set()
                        return try connection.scalar("RETURN 1")
                    }
                }
                let error = await engineError { try await task.value }
                #expect(error?.kind == .interrupted)
                #expect(!ran.isSet)
                try await executor.shutdown()
            }
        }

        @Test("interrupt() with no query running does nothing")
        func idleInterrupt() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                connection.interrupt()
                #expect(try connection.scalar("RETURN 1") == .int64(1))
            }
        }
    }
}

extension Result {
    fileprivate var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
