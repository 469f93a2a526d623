import GraphEngine
import Logging
import Synchronization

/// Runs one Cypher statement with bound parameters on a graph: leases a pooled connection,
/// prepares the statement (the engine's parse decides what may run, ``StatementPolicy``),
/// classifies it by the engine's own read-only flag, executes a read at once and a write behind
/// the database's write gate within the query's deadline, and hands the result to the caller's
/// encoder on the engine's thread.
///
/// Nothing here knows HTTP: the caller decides how a result is encoded (one document, a stream),
/// who may write (``execute(_:on:timeoutSeconds:cancellation:beforeWrite:encode:)``'s
/// `beforeWrite`), and how errors are answered.
public struct QueryService: Sendable {
    /// The tenants.
    public let registry: GraphRegistry
    /// Per-graph query counters.
    public let activity: GraphActivity

    var executor: EngineExecutor { registry.executor }

    /// Creates the service.
    public init(registry: GraphRegistry, activity: GraphActivity) {
        self.registry = registry
        self.activity = activity
    }

    /// Leases a connection of graph `id`'s database (waits as the pool does; fails with
    /// `database_not_found`, `database_busy`, `too_many_open_databases`, `shutting_down`).
    public func lease(_ id: GraphID) async throws -> ConnectionLease {
        try await ConnectionLease.acquire(from: registry, graph: id)
    }

    /// What the first engine call on the connection found.
    private enum Prepared<Encoded: Sendable>: Sendable {
        /// A read-only statement, executed and encoded.
        case encoded(Encoded)
        /// A statement that writes, prepared, not executed.
        case write(PreparedStatement)
        /// A statement that writes, which could not even be prepared while another writer ran.
        case writeNotPrepared
    }

    /// Runs `request` on the leased connection and returns what `encode` made of its result
    /// (called on the engine's thread, with the connection still leased).
    ///
    /// - Parameters:
    ///   - timeoutSeconds: the engine's timeout for a read, and the deadline of a write (its wait
    ///     for the write gate included).
    ///   - cancellation: set when no one waits for the answer any more; the engine is interrupted
    ///     and a write not yet started is not started.
    ///   - beforeWrite: called once the statement is known to write, before it runs; throws to
    ///     refuse it (a read-only key, node or graph).
    /// - Throws: ``ServiceError`` for everything the engine or the policy refused
    ///   (``ServiceError/engine(_:timeoutSeconds:)``), `query_timeout` past the deadline.
    package func execute<Encoded: Sendable>(
        _ request: QueryRequest, on lease: ConnectionLease, timeoutSeconds: Double, cancellation: CancellationFlag,
        beforeWrite: @Sendable (OpenGraphHandle) throws -> Void,
        encode: @escaping @Sendable (QueryResult) throws -> Encoded
    ) async throws -> Encoded {
        let connection = lease.connection
        let graph = lease.graph
        let (cypher, parameters) = (request.cypher, request.parameters)
        let timeoutMilliseconds = UInt64(max(1, (timeoutSeconds * 1000).rounded()))
        do {
            lease.callStarted()
            let prepared: Prepared<Encoded> = try await executor.run(
                on: connection, cancellation: cancellation, waitingAtMost: .milliseconds(Int64(timeoutMilliseconds)) + Self.readDeadlineGrace,
                callEnded: { lease.callEnded() }
            ) { connection in
                try connection.setQueryTimeout(milliseconds: timeoutMilliseconds)
                let statement: PreparedStatement
                do {
                    // The engine's parse decides what may run, before anything is bound.
                    statement = try connection.prepareCached(cypher, check: StatementPolicy.admit)
                } catch let error as EngineError where error.kind == .writeConflict {
                    return .writeNotPrepared
                }
                guard statement.isReadOnly, !StatementPolicy.isMaintenance(statement.facts) else { return .write(statement) }
                return .encoded(try encode(try connection.execute(statement, parameters: parameters)))
            }
            let encoded: Encoded
            switch prepared {
            case .encoded(let value):
                encoded = value
            case .write, .writeNotPrepared:
                if registry.settings.readOnlyNode { throw ServiceError.readOnlyNode("the statement writes") }
                if graph.isReadOnly { throw ServiceError(.readOnlyDatabase, "database '\(graph.id)' is read-only: the statement writes") }
                try beforeWrite(graph)
                // A write is not stopped once it runs (it completes or times out), but one whose
                // client has already gone is not started.
                if cancellation.isCancelled { throw EngineError(.interrupted, "The client went away before the write started.") }
                let executor = self.executor
                let result: QueryResult = try await Self.withDeadline(seconds: timeoutSeconds) {
                    if case .write(let statement) = prepared {
                        return try await connection.run(
                            statement, parameters: parameters, on: executor,
                            holdingWriteGate: StatementPolicy.isMaintenance(statement.facts)
                        )
                    }
                    return try await connection.run(cypher, parameters: parameters, on: executor, check: StatementPolicy.admit)
                }
                encoded = try await executor.run(on: connection) { _ in try encode(result) }
            }
            activity.recordQuery(on: graph.id)
            return encoded
        } catch let error as EngineError where error.kind == .readOnly && registry.settings.readOnlyNode {
            // A database opened read-only refuses to even prepare a write.
            throw ServiceError.readOnlyNode("the statement writes")
        } catch let error as EngineError {
            throw ServiceError.engine(error, timeoutSeconds: timeoutSeconds)
        } catch is DeadlineExceeded {
            throw ServiceError.queryTimeout(seconds: timeoutSeconds)
        } catch is EngineExecutor.WaitExpired {
            throw ServiceError.queryTimeout(seconds: timeoutSeconds)
        }
    }

    /// The query's deadline passed (while waiting for the write gate, or running).
    public struct DeadlineExceeded: Error {}

    /// How long past its timeout a read may run before its caller stops waiting for it.
    ///
    /// The engine's own timeout stops most plans within milliseconds, but not all: it checks for
    /// interruption between batches of rows, not while one expression builds a large value
    /// (`UNWIND range(1, 100000000)` with a 1 s timeout answered after 2–5 s, and
    /// `RETURN size(range(1, 100000000))` completed after 3 s). Past the deadline the caller gets
    /// its timeout; the call runs on to its end in the background, holding its connection, which
    /// the lease gives back only then (``ConnectionLease/release()``).
    static let readDeadlineGrace = Duration.milliseconds(250)

    /// Runs `body`, cancelling it (which interrupts the engine, or leaves the writers' queue) when
    /// `seconds` pass first, then throws ``DeadlineExceeded``. A body that completes while being
    /// cancelled still counts: its work is done.
    public static func withDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded())))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            if let late = try? await group.next(), let value = late { return value }
            throw DeadlineExceeded()
        }
    }
}

