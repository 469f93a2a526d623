import NIOCore
import NIOPosix
import Synchronization

extension EngineExecutor {
    /// Thrown by ``run(on:cancellation:waitingAtMost:callEnded:_:)`` when its caller stopped
    /// waiting; the call itself runs on.
    public struct WaitExpired: Error, Sendable {}

    /// ``run(on:cancellation:_:)``, but the caller waits at most `limit`: then it gets
    /// ``WaitExpired`` while the call runs on to its end in the background, holding the
    /// connection; `callEnded` runs on the pool's thread when it ends (whoever waited or not).
    ///
    /// For the engine's plans that do not notice their timeout for a while. Costs one pool job,
    /// one continuation and one timer on an event loop, no task: this is on every read's path.
    package func run<C: ExecutorLeasable, T: Sendable>(
        on connection: C, cancellation: CancellationFlag, waitingAtMost limit: Duration, callEnded: @escaping @Sendable () -> Void,
        _ body: @escaping @Sendable (C) throws -> T
    ) async throws -> T {
        let first = FirstOutcome<T>()
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(nanoseconds)) {
            first.finish(.failure(WaitExpired()))
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                first.wait(continuation)
                submit { active in
                    let result: Result<T, any Error>
                    if active {
                        result = Result {
                            try connection.withLease(cancellation: cancellation) {
                                if cancellation.isCancelled { throw C.cancelledBeforeStart }
                                return try body(connection)
                            }
                        }
                    } else {
                        result = .failure(C.cancelledBeforeStart)
                    }
                    timer.cancel()
                    callEnded()
                    first.finish(result)
                }
            }
        } onCancel: {
            cancellation.cancel()
            connection.interrupt(for: cancellation)
        }
    }
}

/// The first of several outcomes, handed to one waiting continuation; later ones are dropped.
final class FirstOutcome<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, outcome: Result<T, any Error>?, done: Bool)>((nil, nil, false))

    func wait(_ continuation: CheckedContinuation<T, any Error>) {
        let ready = state.withLock { state -> Result<T, any Error>? in
            if let outcome = state.outcome {
                state.done = true
                return outcome
            }
            state.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    func finish(_ outcome: Result<T, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.done, state.outcome == nil else { return nil }
            guard let continuation = state.continuation else {
                state.outcome = outcome
                return nil
            }
            state.done = true
            state.continuation = nil
            return continuation
        }
        waiting?.resume(with: outcome)
    }
}
