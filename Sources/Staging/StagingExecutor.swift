import GraphEngine

/// Runs blocking DuckDB calls on a dedicated thread pool, off the cooperative pool and the NIO
/// event loops, and turns task cancellation into a DuckDB interrupt.
///
/// Every DuckDB call blocks its thread for as long as DuckDB works (a COPY from S3 can run for
/// minutes). Swift's cooperative pool and NIO's event loops have about one thread per core, so a
/// blocking call there stalls unrelated tasks; this executor owns its own `NIOThreadPool` with a
/// fixed number of threads instead. The number bounds how many staging calls run at once; further
/// calls wait in the pool's queue without holding a thread. (Same shape as GraphEngine's
/// `EngineExecutor`.)
///
/// ```swift
/// let executor = StagingExecutor(threadCount: 2)
/// let rows = try await executor.run(on: connection) { connection in
///     try connection.query("SELECT * FROM t WHERE id = ?", parameters: [.int(7)]).rows()
/// }
/// try await executor.shutdown()
/// ```
public final class StagingExecutor: Sendable {
    // The pool and the lease-and-interrupt logic are GraphEngine's; this type gives DuckDB
    // work its own pool, so staging loads never starve graph queries of threads.
    private let executor: EngineExecutor

    /// The number of threads of the pool.
    public var threadCount: Int { executor.threadCount }

    /// Creates and starts an executor with `threadCount` threads.
    public init(threadCount: Int) {
        precondition(threadCount > 0, "a StagingExecutor needs at least one thread")
        executor = EngineExecutor(threadCount: threadCount)
    }

    /// Stops the pool after the work already submitted. Later `run` calls throw.
    public func shutdown() async throws {
        try await executor.shutdown()
    }

    /// Runs `body` on a pool thread and returns its result (for work that is not tied to one
    /// connection, such as opening a database or loading an extension).
    ///
    /// If the task is cancelled before `body` starts, `body` does not run and `CancellationError`
    /// is thrown; once started, `body` runs to its end.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await executor.run(body)
    }

    /// Runs `body` on a pool thread with exclusive use of `connection` (other calls on the
    /// connection wait until `body` returns), stopping DuckDB if the task is cancelled.
    ///
    /// Cancelling the task interrupts the statement `body` is running, which throws
    /// ``StagingError/Kind/interrupted``, and so does every later call `body` makes on the
    /// connection. If the task is cancelled before `body` starts, `body` does not run and
    /// ``StagingError/Kind/interrupted`` is thrown.
    public func run<T: Sendable>(
        on connection: StagingConnection, _ body: @escaping @Sendable (StagingConnection) throws -> T
    ) async throws -> T {
        try await executor.runLeased(on: connection, body)
    }
}

extension StagingError {
    static let cancelledBeforeStart = StagingError(
        kind: .interrupted, message: "The query was cancelled before it started")
}
