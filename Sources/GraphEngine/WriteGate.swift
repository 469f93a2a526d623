import NIOCore
import Synchronization

/// An async first-in-first-out lock for write statements on one ``Database``.
///
/// The engine allows one write transaction at a time and fails a second one at once
/// (``EngineError/Kind/writeConflict``). Writers run through ``Connection/run(_:parameters:on:)``
/// take this gate for the duration of their statement, so they wait their turn instead. Waiting
/// writers are suspended tasks (continuations in a queue), not blocked threads: they occupy no
/// executor thread while they wait. Readers never take the gate and run during a write.
public final class WriteGate: Sendable {
    private struct State {
        var held = false
        var nextID: UInt64 = 0
        var waiters = CircularBuffer<Waiter>()
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let state = Mutex(State())

    /// Creates an open gate.
    public init() {}

    /// The number of writers waiting (not counting the one holding the gate).
    public var waitingCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Whether a writer holds the gate.
    public var isHeld: Bool {
        state.withLock { $0.held }
    }

    /// Runs `body` holding the gate, after the writers that asked before.
    ///
    /// - Throws: ``EngineError/Kind/interrupted`` if the task is cancelled while waiting (it
    ///   leaves the queue), or what `body` throws.
    public func withPermit<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        try await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }

    /// Waits for the gate. Every successful call must be followed by one ``release()``.
    public func acquire() async throws {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID &+= 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled {
                        return .failure(EngineError(.interrupted, "Cancelled while waiting for the write gate."))
                    }
                    if !state.held && state.waiters.isEmpty {
                        state.held = true
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(
                throwing: EngineError(.interrupted, "Cancelled while waiting for the write gate."))
        }
    }

    /// Releases the gate, handing it to the longest-waiting writer if any.
    public func release() {
        let next = state.withLock { state -> Waiter? in
            precondition(state.held, "WriteGate.release() without acquire()")
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            // The gate passes straight to the next writer: `held` stays true.
            return state.waiters.removeFirst()
        }
        next?.continuation.resume()
    }
}
