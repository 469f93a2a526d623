import Foundation
import Staging
import Synchronization
import Testing

/// A flag one thread sets and another polls.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

@Suite("Interrupting long queries")
struct StagingInterruptTests {
    /// 10^10 pairs and a filter nothing passes: runs for minutes unless stopped.
    static let longQuery = "SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1"

    /// Runs `body` on a thread of its own and awaits it. Not `DispatchQueue.global()`: on Linux
    /// that shares its few threads with the Swift concurrency pool, so two blocked queries there
    /// would starve the very tasks meant to interrupt them.
    func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    /// Runs `body` with a fresh executor, shut down afterwards.
    func withExecutor(threads: Int, _ body: (StagingExecutor) async throws -> Void) async throws {
        let executor = StagingExecutor(threadCount: threads)
        do {
            try await body(executor)
        } catch {
            try? await executor.shutdown()
            throw error
        }
        try await executor.shutdown()
    }

    @Test func interruptFromAnotherThreadStopsTheQuery() async throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let started = ContinuousClock.now
        let running = Flag()
        async let outcome = onThread { () -> (StagingError?, ContinuousClock.Instant) in
            running.set()
            let error = stagingError { _ = try connection.query(Self.longQuery) }
            return (error, ContinuousClock.now)
        }
        // interrupt() only affects a running statement: wait until the thread got going.
        while !running.isSet { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(300))
        let interruptedAt = ContinuousClock.now
        connection.interrupt()
        let (error, finished) = await outcome
        #expect(error?.kind == .interrupted)
        // The query runs until interrupted: bounds a loaded machine keeps.
        #expect(finished - interruptedAt < .seconds(30), "stopped \(finished - interruptedAt) after interrupt()")
        #expect(finished - started < .seconds(60))
        // The connection is usable afterwards.
        #expect(try connection.scalar("SELECT 42") == .int(42))
    }

    @Test func closingAConnectionInterruptsItsQuery() async throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let running = Flag()
        async let error = onThread {
            running.set()
            return stagingError { _ = try connection.query(Self.longQuery) }
        }
        while !running.isSet { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(300))
        let closing = ContinuousClock.now
        connection.close()
        #expect(ContinuousClock.now - closing < .seconds(30))  // the query runs until interrupted
        #expect(await error?.kind == .interrupted)
        #expect(connection.isClosed)
    }

    @Test func closingAStatementNeverWaitsForARunningQuery() async throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let statement = try connection.prepare("SELECT 1")
        let running = Flag()
        async let error = onThread {
            running.set()
            return stagingError { _ = try connection.query(Self.longQuery) }
        }
        while !running.isSet { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        let closing = ContinuousClock.now
        statement.close()
        // It does not wait for the query, which runs until interrupted: a bound a loaded machine keeps.
        #expect(ContinuousClock.now - closing < .seconds(5))
        #expect(stagingError { _ = try statement.execute() }?.kind == .closed)
        connection.interrupt()
        #expect(await error?.kind == .interrupted)
        #expect(try connection.scalar("SELECT 2") == .int(2))
    }

    @Test func cancellingTheTaskInterruptsThroughTheExecutor() async throws {
        try await withExecutor(threads: 2) { executor in
            let (_, connection) = try StagingTestSupport.openInMemory()

            let task = Task {
                try await executor.run(on: connection) { connection in
                    try connection.query(Self.longQuery).rows()
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            let cancelledAt = ContinuousClock.now
            task.cancel()
            let result = await task.result
            let stoppedAfter = ContinuousClock.now - cancelledAt
            #expect(throws: StagingError.self) { try result.get() }
            if case .failure(let error as StagingError) = result { #expect(error.kind == .interrupted) }
            // The query runs until interrupted: a bound a loaded machine keeps.
            #expect(stoppedAfter < .seconds(30), "stopped \(stoppedAfter) after cancel()")

            // The connection is usable afterwards, and a late cancellation does not leak into it.
            let answer = try await executor.run(on: connection) { try $0.scalar("SELECT 42") }
            #expect(answer == .int(42))
        }
    }

    @Test func cancellationStopsFurtherStatementsOfTheSameWork() async throws {
        try await withExecutor(threads: 1) { executor in
            let (_, connection) = try StagingTestSupport.openInMemory()
            try connection.execute("CREATE TABLE progress (step INTEGER)")

            let task = Task {
                try await executor.run(on: connection) { connection in
                    // Many short statements: after cancellation none may start.
                    for step in 0..<1_000_000 {
                        try connection.execute("INSERT INTO progress VALUES (\(step))")
                        usleep(1000)
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            if case .failure(let error as StagingError) = result {
                #expect(error.kind == .interrupted)
            } else {
                Issue.record("expected an interrupted error, got \(result)")
            }
            let steps = try connection.scalar("SELECT count(*) FROM progress")
            try await Task.sleep(for: .milliseconds(100))
            #expect(try connection.scalar("SELECT count(*) FROM progress") == steps)
        }
    }

    @Test func executorLeaseHoldsTheConnectionForItsWholeBody() async throws {
        try await withExecutor(threads: 2) { executor in
            let (_, connection) = try StagingTestSupport.openInMemory()
            try connection.execute("CREATE TABLE t (x INTEGER)")
            let running = Flag()
            // A transaction spread over several calls; on the same connection another caller
            // would see its uncommitted rows if it could slip in between.
            async let writer: Void = executor.run(on: connection) { connection in
                try connection.execute("BEGIN TRANSACTION")
                try connection.execute("INSERT INTO t VALUES (1)")
                running.set()
                usleep(300_000)
                try connection.execute("INSERT INTO t VALUES (2)")
                try connection.execute("COMMIT")
            }
            while !running.isSet { try await Task.sleep(for: .milliseconds(5)) }
            let seen = try await executor.run(on: connection) { try $0.scalar("SELECT count(*) FROM t") }
            try await writer
            #expect(seen == .int(2))
        }
    }

    @Test func workCancelledBeforeItStartsNeverRuns() async throws {
        try await withExecutor(threads: 1) { executor in
            let (_, connection) = try StagingTestSupport.openInMemory()
            try connection.execute("CREATE TABLE ran (x INTEGER)")

            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await executor.run(on: connection) { try $0.execute("INSERT INTO ran VALUES (1)") }
            }
            let result = await task.result
            if case .failure(let error as StagingError) = result {
                #expect(error.kind == .interrupted)
            } else {
                Issue.record("expected an interrupted error, got \(result)")
            }
            #expect(try connection.scalar("SELECT count(*) FROM ran") == .int(0))
        }
    }
}
