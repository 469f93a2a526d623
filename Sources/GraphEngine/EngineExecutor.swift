import NIOPosix

/// Runs blocking engine calls on a dedicated thread pool, off the cooperative pool and the NIO
/// event loops.
///
/// Every engine call blocks its thread for as long as the engine works (a query can run for
/// minutes). Swift's cooperative pool and NIO's event loops have about one thread per core, so a
/// blocking call there stalls unrelated tasks; this executor owns its own `NIOThreadPool` with a
/// fixed number of threads instead. The number bounds how many engine calls run at once; further
/// calls wait in the pool's queue without holding a thread.
///
/// ```swift
/// let executor = EngineExecutor(threadCount: 4)
/// let rows = try await executor.run(on: connection) { connection in
///     try connection.query("MATCH (p:Person) RETURN p.name").allRows()
/// }
/// try await executor.shutdown()
/// ```
public final class EngineExecutor: Sendable {
    /// The number of threads of the pool.
    public let threadCount: Int
    private let pool: NIOThreadPool

    /// Creates and starts an executor with `threadCount` threads.
    public init(threadCount: Int) {
        precondition(threadCount > 0, "an EngineExecutor needs at least one thread")
        self.threadCount = threadCount
        self.pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
    }

    /// Runs `body` on a pool thread, with `true` unless the pool is shutting down (then `false`,
    /// and `body` must not call the engine).
    func submit(_ body: @escaping @Sendable (_ active: Bool) -> Void) {
        pool.submit { state in body(state == .active) }
    }

    /// Stops the pool after the work already submitted. Later `run` calls throw.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    /// Runs `body` on a pool thread and returns its result.
    ///
    /// If the task is cancelled before `body` starts, `body` does not run and `CancellationError`
    /// is thrown; once started, `body` runs to its end.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs `body` on a pool thread with exclusive use of `connection` (other calls on the
    /// connection wait until `body` returns), stopping the engine if the task is cancelled.
    ///
    /// Cancelling the task calls ``Connection/interrupt()``: the running query stops and throws
    /// ``EngineError/Kind/interrupted``, and so does every later engine call in `body`. If the task
    /// is cancelled before `body` starts, `body` does not run and ``EngineError/Kind/interrupted`` is
    /// thrown.
    public func run<T: Sendable>(
        on connection: Connection, _ body: @escaping @Sendable (Connection) throws -> T
    ) async throws -> T {
        try await runLeased(on: connection, body)
    }

    /// ``run(on:_:)`` governed by `cancellation` as well as by the task: cancelling the flag
    /// (``CancellationFlag/cancel()``, then ``Connection/interrupt(for:)``) stops the call the way
    /// cancelling the task does, from outside the task (a client that went away).
    package func run<T: Sendable>(
        on connection: Connection, cancellation: CancellationFlag, _ body: @escaping @Sendable (Connection) throws -> T
    ) async throws -> T {
        try await runLeased(on: connection, cancellation: cancellation, body)
    }

    /// The shared implementation of `run(on:)` for any connection type that can be leased and
    /// interrupted (this module's ``Connection``, the Staging module's connections).
    package func runLeased<C: ExecutorLeasable, T: Sendable>(
        on connection: C, cancellation: CancellationFlag = CancellationFlag(), _ body: @escaping @Sendable (C) throws -> T
    ) async throws -> T {
        return try await withTaskCancellationHandler {
            do {
                return try await pool.runIfActive {
                    try connection.withLease(cancellation: cancellation) {
                        if cancellation.isCancelled { throw C.cancelledBeforeStart }
                        return try body(connection)
                    }
                }
            } catch is CancellationError {
                throw C.cancelledBeforeStart
            }
        } onCancel: {
            cancellation.cancel()
            connection.interrupt(for: cancellation)
        }
    }
}

/// A connection an ``EngineExecutor`` can hold for a whole call and interrupt when the calling
/// task is cancelled.
package protocol ExecutorLeasable: AnyObject, Sendable {
    /// Holds the connection for all of `body` (other callers wait); `cancellation` governs every
    /// call `body` makes.
    func withLease<R>(cancellation: CancellationFlag, _ body: () throws -> R) throws -> R
    /// Interrupts the running call if `cancellation` still governs the connection.
    func interrupt(for cancellation: CancellationFlag)
    /// What a call cancelled before it started throws.
    static var cancelledBeforeStart: any Error { get }
}
