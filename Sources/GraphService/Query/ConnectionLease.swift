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
    private let released = Atomic<Bool>(false)

    private init(graph: OpenGraph, connection: Connection) {
        self.graph = OpenGraphHandle(graph: graph)
        self.connection = connection
        self.pool = graph.pool
    }

    deinit {
        release()
    }

    /// Gives the connection back to its pool. Idempotent.
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pool.release(connection)
    }

    /// Leases a connection of `id`'s database, waiting as ``GraphRegistry/withConnection(to:_:)``
    /// does (and failing as it does: `404`, `503`). Cancelling the calling task stops the wait.
    public static func acquire(from registry: GraphRegistry, graph id: GraphID) async throws -> ConnectionLease {
        let (graph, connection) = try await registry.lease(to: id)
        return ConnectionLease(graph: graph, connection: connection)
    }
}
