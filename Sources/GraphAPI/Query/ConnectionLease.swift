import GraphEngine
import Synchronization

/// A pooled connection held beyond the handler that leased it, for as long as a streamed response
/// reads its result.
///
/// ``GraphRegistry/withConnection(to:_:)`` scopes a lease to a closure, so a connection can never
/// leak; a streamed body, however, is written after the handler has returned. A lease keeps such
/// a closure open in a task of its own until ``release()``, which happens exactly once: when the
/// stream ends, or when the lease goes away (a response dropped before its body was written).
final class ConnectionLease: Sendable {
    /// The graph the connection belongs to.
    let graph: OpenGraphHandle
    /// The leased connection.
    let connection: Connection
    private let done: Mutex<CheckedContinuation<Void, Never>?>

    private init(graph: OpenGraphHandle, connection: Connection, done: CheckedContinuation<Void, Never>) {
        self.graph = graph
        self.connection = connection
        self.done = Mutex(done)
    }

    deinit {
        release()
    }

    /// Gives the connection back to its pool. Idempotent.
    func release() {
        let continuation = done.withLock { done -> CheckedContinuation<Void, Never>? in
            defer { done = nil }
            return done
        }
        continuation?.resume()
    }

    /// Leases a connection of `id`'s database, waiting as ``GraphRegistry/withConnection(to:_:)``
    /// does (and failing as it does: `404`, `503`). Cancelling the calling task stops the wait.
    static func acquire(from registry: GraphRegistry, graph id: GraphID) async throws -> ConnectionLease {
        let handoff = Handoff()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (acquired: CheckedContinuation<ConnectionLease, any Error>) in
                handoff.acquired.withLock { $0 = acquired }
                let holder = Task {
                    do {
                        try await registry.withConnection(to: id) { graph, connection in
                            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                                handoff.deliver(.success(ConnectionLease(graph: graph, connection: connection, done: done)))
                            }
                        }
                    } catch {
                        handoff.deliver(.failure(error))
                    }
                }
                handoff.holder.withLock { $0 = holder }
            }
        } onCancel: {
            handoff.holder.withLock { $0 }?.cancel()
        }
    }

    /// Passes the lease (or the failure to get one) from the holding task to the caller, once.
    private final class Handoff: Sendable {
        let acquired = Mutex<CheckedContinuation<ConnectionLease, any Error>?>(nil)
        let holder = Mutex<Task<Void, Never>?>(nil)

        func deliver(_ result: Result<ConnectionLease, any Error>) {
            let continuation = acquired.withLock { slot -> CheckedContinuation<ConnectionLease, any Error>? in
                defer { slot = nil }
                return slot
            }
            // Nobody to take a lease: dropping it releases the connection.
            continuation?.resume(with: result)
        }
    }
}
