import Foundation
import Synchronization

/// When the client stops trying a server that does not answer.
///
/// After ``failureThreshold`` consecutive transport failures (no answer: connection refused,
/// reset, timed out) the breaker *opens*: every request fails at once with
/// ``GraphAPIClientError/Kind/circuitOpen`` instead of waiting for another timeout. After
/// ``cooldownSeconds`` it *half-opens*: one request is let through as a probe while the others
/// still fail fast; an answer (any HTTP status: the server is there) closes it again, a transport
/// failure opens it for another cool-down.
public struct CircuitBreakerPolicy: Sendable, Hashable {
    /// Consecutive transport failures that open the breaker (`0` turns it off).
    public var failureThreshold: Int
    /// Seconds the breaker stays open before letting a probe through.
    public var cooldownSeconds: Double

    /// Creates a policy.
    public init(failureThreshold: Int = 5, cooldownSeconds: Double = 10) {
        self.failureThreshold = max(0, failureThreshold)
        self.cooldownSeconds = max(0, cooldownSeconds)
    }

    /// A breaker that never opens.
    public static let disabled = CircuitBreakerPolicy(failureThreshold: 0)
}

/// The breaker's state, shared by every request of one client.
final class CircuitBreaker: Sendable {
    enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen(probeInFlight: Bool)
    }

    let policy: CircuitBreakerPolicy
    private let state = Mutex(State.closed(consecutiveFailures: 0))

    init(policy: CircuitBreakerPolicy) {
        self.policy = policy
    }

    /// The current state (for tests and diagnostics).
    var current: State { state.withLock { $0 } }

    /// Asks to send a request: throws ``GraphAPIClientError/Kind/circuitOpen`` while the breaker is
    /// open (or half-open with its probe already out).
    func acquire(server: String) throws(GraphAPIClientError) {
        guard policy.failureThreshold > 0 else { return }
        let refusal: Duration? = state.withLock { state in
            switch state {
            case .closed:
                return nil
            case .open(let until):
                let now = ContinuousClock.now
                if now < until { return until - now }
                state = .halfOpen(probeInFlight: true)
                return nil
            case .halfOpen(let probeInFlight):
                if probeInFlight { return .zero }
                state = .halfOpen(probeInFlight: true)
                return nil
            }
        }
        if let refusal {
            let seconds = Double(refusal.components.seconds) + Double(refusal.components.attoseconds) / 1e18
            throw GraphAPIClientError(
                kind: .circuitOpen,
                detail: "not sending to \(server): its last \(policy.failureThreshold) requests got no answer "
                    + (seconds > 0
                        ? "(circuit breaker open, next try in \(String(format: "%.1f", seconds)) s)"
                        : "(circuit breaker half-open, a probe request is under way)")
            )
        }
    }

    /// Records that the server answered (any status).
    func recordSuccess() {
        guard policy.failureThreshold > 0 else { return }
        state.withLock { $0 = .closed(consecutiveFailures: 0) }
    }

    /// Records a transport failure (no answer).
    func recordFailure() {
        guard policy.failureThreshold > 0 else { return }
        state.withLock { state in
            switch state {
            case .closed(let failures):
                state =
                    failures + 1 >= policy.failureThreshold
                    ? .open(until: .now + .milliseconds(Int64(policy.cooldownSeconds * 1000)))
                    : .closed(consecutiveFailures: failures + 1)
            case .halfOpen, .open:
                state = .open(until: .now + .milliseconds(Int64(policy.cooldownSeconds * 1000)))
            }
        }
    }

    /// Records that an attempt ended without telling anything about the server (cancelled, or an
    /// input error): a half-open probe slot is given back.
    func recordNeutral() {
        guard policy.failureThreshold > 0 else { return }
        state.withLock { state in
            if case .halfOpen = state { state = .halfOpen(probeInFlight: false) }
        }
    }
}
