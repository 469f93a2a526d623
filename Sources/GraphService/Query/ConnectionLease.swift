import GraphEngine
import Synchronization

/// A pooled connection held beyond the handler that leased it, for as long as a streamed response
/// reads its result.
///
/// ``GraphRegistry/withConnection(to:_:)`` scopes a lease to a closure; a streamed body, however,
/// is written after the handler has returned. This lease gives the connection back exactly once:
/// on ``release()`` when the stream ends, or when the lease goes away (a response dropped before
/// its body was written).
public final class ConnectionLease: Sendable {
    /// The graph the connection belongs to.
    public let graph: OpenGraphHandle
    /// The leased connection.
    public let connection: Connection
    private let pool: ConnectionPool
    private let state = Mutex(State())

    private struct State {
        var released = false
        /// An engine call still runs on the connection (``QueryService`` stopped waiting for it).
        var callRunning = false
        /// ``release()`` was asked while the call ran: the connection goes back when it ends.
        var releaseWanted = false
    }

    private init(graph: OpenGraph, connection: Connection) {
        self.graph = OpenGraphHandle(graph: graph)
        self.connection = connection
        self.pool = graph.pool
    }

    deinit {
        release()
    }

    /// Gives the connection back to its pool, or, while an engine call still runs on it (one its
    /// caller stopped waiting for), once that call ends. Idempotent.
    public func release() {
        let now = state.withLock { state -> Bool in
            if state.released { return false }
            if state.callRunning {
                state.releaseWanted = true
                return false
            }
            state.released = true
            return true
        }
        if now { pool.release(connection) }
    }

    /// Marks an engine call that may outlive the wait for it (see ``release()``).
    func callStarted() {
        state.withLock { $0.callRunning = true }
    }

    /// Ends what ``callStarted()`` began, giving the connection back if it was released meanwhile.
    func callEnded() {
        let now = state.withLock { state -> Bool in
            state.callRunning = false
            guard state.releaseWanted, !state.released else { return false }
            state.released = true
            return true
        }
        if now { pool.release(connection) }
    }

    /// Leases a connection of `id`'s database, waiting as ``GraphRegistry/withConnection(to:_:)``
    /// does (and failing as it does: `404`, `503`). Cancelling the calling task stops the wait.
    public static func acquire(from registry: GraphRegistry, graph id: GraphID) async throws -> ConnectionLease {
        let (graph, connection) = try await registry.lease(to: id)
        return ConnectionLease(graph: graph, connection: connection)
    }
}
