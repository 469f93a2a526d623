import GraphService
import Foundation
import NIOCore
import Synchronization


/// Checks API keys in constant time and throttles failed attempts, without ever refusing a
/// valid key.
///
/// A request with a valid key is accepted, always: from an address that is being throttled too,
/// so that a client sharing the owner's address (a proxy, a NAT) cannot lock the owner out.
/// Only a missing or wrong key is throttled: once an address has had
/// ``AuthenticationLimits/failuresPerClient`` failures within
/// ``AuthenticationLimits/clientWindow`` (10 in 5 minutes), or the node
/// ``AuthenticationLimits/failuresPerNode`` within ``AuthenticationLimits/nodeWindow`` from
/// all addresses together (100 a minute), a missing or wrong key gets `429` with `Retry-After`
/// (until the oldest failure in the window leaves it) instead of `401`. Throttled attempts are
/// not counted, so `Retry-After` is exact.
///
/// The throttle bounds how many `401`s (and audit lines) failures produce; it cannot stop a
/// guesser from telling a right key from a wrong one, since a right key is always answered: keys
/// must be long and random. Memory is bounded too: a failure is recorded only within the node's
/// budget, and expired records are swept.
public final class Authenticator: Sendable {
    /// The outcome of ``authenticate(presented:client:now:)``.
    public enum Outcome: Sendable, Equatable {
        /// The key is valid.
        case accepted(KeyScope)
        /// No key or a wrong key (`401`); the failure was recorded.
        case rejected
        /// No key or a wrong key while failures are throttled (`429`): retry after this many
        /// seconds. `first` is true for the first refusal of a throttling episode (of this
        /// address, or of the node), so that a flood logs one line rather than one per request.
        case throttled(retryAfterSeconds: Int, reason: ThrottleReason, first: Bool)
    }

    /// Why a failed authentication is throttled.
    public enum ThrottleReason: String, Sendable, Equatable {
        /// Too many failures from this client address.
        case client
        /// Too many failures from all addresses together.
        case node
    }

    private struct ClientFailures {
        /// Times of the failures within the window, oldest first (at most the limit).
        var times: [ContinuousClock.Instant] = []
        /// Whether the refusals of the current throttling episode were announced.
        var throttleAnnounced = false
    }

    private struct State {
        var clients: [String: ClientFailures] = [:]
        /// Times of the node's failures within its window, oldest first.
        var nodeTimes = CircularBuffer<ContinuousClock.Instant>()
        var nodeThrottleAnnounced = false
        /// `clients` is swept of expired entries when it reaches this many.
        var sweepAt = 1_024
    }

    private let keys: [APIKey]
    /// The limits in force.
    public let limits: AuthenticationLimits
    private let state = Mutex(State())

    /// Whether any key is configured; without one the server runs open (development only).
    public var isOpen: Bool { keys.isEmpty }

    /// Creates an authenticator for `keys`.
    public init(keys: [APIKey], limits: AuthenticationLimits = AuthenticationLimits()) {
        self.keys = keys
        self.limits = limits
    }

    /// Addresses with failures on record (for tests: the table is swept of expired ones).
    var trackedClientCount: Int { state.withLock { $0.clients.count } }

    /// Checks `presented` (the key from the request, if any) for the client at `client`.
    public func authenticate(presented: String?, client: String, now: ContinuousClock.Instant = .now) -> Outcome {
        // The key is checked first, in constant time, whatever the throttle says: a valid key always passes.
        if let presented, let key = match(presented) {
            return .accepted(key.scope)
        }
        return state.withLock { state in
            if let refusal = throttle(client: client, state: &state, now: now) { return refusal }
            record(client: client, state: &state, now: now)
            return .rejected
        }
    }

    private func match(_ presented: String) -> APIKey? {
        var found: APIKey?
        // Compare against every key, always to the end, so timing tells nothing about which or how much matched.
        for key in keys where Self.constantTimeEquals(presented, key.secret) {
            found = key
        }
        return found
    }

    /// The refusal of a failed attempt, if the client or the node is throttled.
    private func throttle(client: String, state: inout State, now: ContinuousClock.Instant) -> Outcome? {
        if var entry = state.clients[client] {
            entry.times.removeAll { now - $0 >= limits.clientWindow }
            if entry.times.count >= limits.failuresPerClient, let oldest = entry.times.first {
                let first = !entry.throttleAnnounced
                entry.throttleAnnounced = true
                state.clients[client] = entry
                return .throttled(retryAfterSeconds: Self.seconds(limits.clientWindow - (now - oldest)), reason: .client, first: first)
            }
            entry.throttleAnnounced = false
            state.clients[client] = entry.times.isEmpty ? nil : entry
        }
        let cutoff = now - limits.nodeWindow
        while let oldest = state.nodeTimes.first, oldest <= cutoff { state.nodeTimes.removeFirst() }
        if state.nodeTimes.count >= limits.failuresPerNode, let oldest = state.nodeTimes.first {
            let first = !state.nodeThrottleAnnounced
            state.nodeThrottleAnnounced = true
            return .throttled(retryAfterSeconds: Self.seconds(limits.nodeWindow - (now - oldest)), reason: .node, first: first)
        }
        state.nodeThrottleAnnounced = false
        return nil
    }

    private func record(client: String, state: inout State, now: ContinuousClock.Instant) {
        state.clients[client, default: ClientFailures()].times.append(now)
        state.nodeTimes.append(now)
        if state.clients.count >= state.sweepAt {
            // Amortised: the sweep runs again only once the table has doubled.
            let window = limits.clientWindow
            state.clients = state.clients.filter { entry in entry.value.times.contains { now - $0 < window } }
            state.sweepAt = max(1_024, state.clients.count * 2)
        }
    }

    /// Whole seconds, rounded up, at least 1.
    private static func seconds(_ duration: Duration) -> Int {
        let parts = duration.components
        return max(1, Int(parts.seconds) + (parts.attoseconds > 0 ? 1 : 0))
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        let count = max(a.count, b.count)
        for index in 0..<count {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
