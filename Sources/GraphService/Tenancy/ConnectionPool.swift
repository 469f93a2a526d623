import GraphEngine
import NIOCore
import Synchronization

/// Why a connection could not be leased.
enum ConnectionPoolError: Error, Equatable {
    /// Every connection stayed busy for the whole wait.
    case timedOut
    /// The pool (its database) was closed.
    case closed
}

/// A bounded pool of engine connections for one open database.
///
/// At most `capacity` connections exist; they are made on demand. A lease waits (suspended, no
/// thread held) for up to `maxWait` when all are busy, in arrival order, then fails with
/// ``ConnectionPoolError/timedOut``. Closing the pool interrupts every leased connection and
/// fails every waiter.
final class ConnectionPool: Sendable {
    let database: Database
    let capacity: Int
    let maxWait: Duration

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Connection, any Error>
    }

    private struct State {
        var idle: [Connection] = []
        var leased: [ObjectIdentifier: Connection] = [:]
        /// Connections made or being made.
        var count = 0
        var waiters = CircularBuffer<Waiter>()
        var nextWaiterID: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    init(database: Database, capacity: Int, maxWait: Duration) {
        precondition(capacity > 0)
        self.database = database
        self.capacity = capacity
        self.maxWait = maxWait
    }

    /// Connections currently leased.
    var leasedCount: Int { state.withLock { $0.leased.count } }
    /// Leases waiting for a connection.
    var waitingCount: Int { state.withLock { $0.waiters.count } }
    /// Whether nothing is leased or waiting.
    var isIdle: Bool { state.withLock { $0.leased.isEmpty && $0.waiters.isEmpty } }

    private enum Decision {
        case use(Connection)
        case make
        case wait
    }

    func lease(executor: EngineExecutor) async throws -> Connection {
        let decision: Decision = try state.withLock { state in
            if state.closed { throw ConnectionPoolError.closed }
            if let connection = state.idle.popLast() {
                state.leased[ObjectIdentifier(connection)] = connection
                return .use(connection)
            }
            if state.count < capacity {
                state.count += 1
                return .make
            }
            return .wait
        }
        switch decision {
        case .use(let connection):
            return connection
        case .make:
            do {
                let connection = try await executor.run { [database] in try database.connect() }
                let closed = state.withLock { state in
                    if state.closed { return true }
                    state.leased[ObjectIdentifier(connection)] = connection
                    return false
                }
                if closed {
                    connection.close()
                    throw ConnectionPoolError.closed
                }
                return connection
            } catch {
                state.withLock { $0.count -= 1 }
                throw error
            }
        case .wait:
            return try await waitForConnection()
        }
    }

    private func waitForConnection() async throws -> Connection {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let maxWait = self.maxWait
        let timeout = Task { [weak self] in
            try await Task.sleep(for: maxWait)
            self?.failWaiter(id, with: ConnectionPoolError.timedOut)
        }
        defer { timeout.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Connection, any Error>) in
                let failure: (any Error)? = state.withLock { state in
                    if state.closed { return ConnectionPoolError.closed }
                    if Task.isCancelled { return CancellationError() }
                    // A connection may have come back between the first look and now.
                    if let connection = state.idle.popLast() {
                        state.leased[ObjectIdentifier(connection)] = connection
                        continuation.resume(returning: connection)
                        return nil
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let failure { continuation.resume(throwing: failure) }
            }
        } onCancel: {
            self.failWaiter(id, with: CancellationError())
        }
    }

    private func failWaiter(_ id: UInt64, with error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Returns a leased connection: to the first waiter, or to the idle list.
    ///
    /// A connection goes back only in the state a new one has (no query timeout, no open
    /// transaction, see ``Connection/resetForReuse()``); one that cannot be put back in that
    /// state is closed instead, and a new one is made when needed. Whatever a request did to its
    /// connection ends with the request.
    func release(_ connection: Connection) {
        let reusable = !connection.isClosed && connection.resetForReuse()
        let (waiter, discard): (Waiter?, Bool) = state.withLock { state in
            guard state.leased.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return (nil, false) }
            if state.closed || !reusable || connection.isClosed {
                state.count -= 1
                return (nil, true)
            }
            if let waiter = state.waiters.popFirst() {
                state.leased[ObjectIdentifier(connection)] = connection
                return (waiter, false)
            }
            state.idle.append(connection)
            return (nil, false)
        }
        if let waiter {
            waiter.continuation.resume(returning: connection)
        } else if discard {
            connection.close()
        }
    }

    /// Interrupts the query running on every leased connection.
    func interruptAll() {
        let leased = state.withLock { Array($0.leased.values) }
        for connection in leased { connection.interrupt() }
    }

    /// Marks the pool closed if nothing is leased, being made or waited for, in one step (a lease
    /// cannot slip in between the check and the close); returns whether it did.
    func closeIfIdle() -> Bool {
        state.withLock { state in
            guard !state.closed, state.leased.isEmpty, state.waiters.isEmpty, state.idle.count == state.count else { return false }
            state.closed = true
            return true
        }
    }

    /// Marks the pool closed, fails every waiter and interrupts every leased connection. The
    /// connections themselves are closed by ``Database/close()``.
    func close() {
        let (waiters, leased) = state.withLock { state in
            state.closed = true
            let waiters = Array(state.waiters)
            state.waiters.removeAll()
            return (waiters, Array(state.leased.values))
        }
        for waiter in waiters { waiter.continuation.resume(throwing: ConnectionPoolError.closed) }
        for connection in leased { connection.interrupt() }
    }
}
