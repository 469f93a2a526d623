import Foundation
import Synchronization

/// What an authenticated key may do.
public struct KeyScope: Sendable, Equatable {
    /// Graph ids the key may use; `nil` means every graph.
    public var graphs: Set<String>?
    /// Whether the key may only run read-only statements.
    public var readOnly: Bool

    /// A key that may do everything.
    public static let unrestricted = KeyScope(graphs: nil, readOnly: false)

    /// Creates a scope.
    public init(graphs: Set<String>? = nil, readOnly: Bool = false) {
        self.graphs = graphs
        self.readOnly = readOnly
    }

    /// Whether the key may use `graph`.
    public func allows(_ graph: String) -> Bool { graphs?.contains(graph) ?? true }
}

/// An accepted API key and its scope.
public struct APIKey: Sendable, Equatable {
    /// The secret the client sends.
    public var secret: String
    /// What the key may do.
    public var scope: KeyScope

    /// Creates a key.
    public init(secret: String, scope: KeyScope = .unrestricted) {
        self.secret = secret
        self.scope = scope
    }
}

/// Checks API keys in constant time and locks out client addresses after too many failures.
///
/// 10 failed attempts from one address within 5 minutes lock that address out until the oldest
/// failure in the window is 5 minutes old (`429` with `Retry-After`).
public final class Authenticator: Sendable {
    /// The outcome of ``authenticate(presented:client:now:)``.
    public enum Outcome: Sendable, Equatable {
        /// The key is valid.
        case accepted(KeyScope)
        /// No key or a wrong key (`401`).
        case rejected
        /// Too many failures from this client (`429`), retry after this many seconds.
        case lockedOut(retryAfterSeconds: Int)
    }

    private let keys: [APIKey]
    private let maxFailures: Int
    private let window: Duration
    private let failures: Mutex<[String: [ContinuousClock.Instant]]> = Mutex([:])

    /// Whether any key is configured; without one the server runs open (development only).
    public var isOpen: Bool { keys.isEmpty }

    /// Creates an authenticator for `keys`.
    public init(keys: [APIKey], maxFailures: Int = 10, window: Duration = .seconds(300)) {
        self.keys = keys
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Checks `presented` (the key from the request, if any) for the client at `client`.
    public func authenticate(presented: String?, client: String, now: ContinuousClock.Instant = .now) -> Outcome {
        if let retry = lockout(client: client, now: now) {
            return .lockedOut(retryAfterSeconds: retry)
        }
        if let presented, let key = match(presented) {
            return .accepted(key.scope)
        }
        return recordFailure(client: client, now: now)
    }

    private func match(_ presented: String) -> APIKey? {
        var found: APIKey?
        // Compare against every key, always to the end, so timing tells nothing about which or how much matched.
        for key in keys where Self.constantTimeEquals(presented, key.secret) {
            found = key
        }
        return found
    }

    private func lockout(client: String, now: ContinuousClock.Instant) -> Int? {
        failures.withLock { failures in
            guard var times = failures[client] else { return nil }
            times.removeAll { now - $0 >= window }
            failures[client] = times.isEmpty ? nil : times
            guard times.count >= maxFailures, let oldest = times.first else { return nil }
            let remaining = window - (now - oldest)
            return max(1, Int(remaining.components.seconds) + (remaining.components.attoseconds > 0 ? 1 : 0))
        }
    }

    private func recordFailure(client: String, now: ContinuousClock.Instant) -> Outcome {
        failures.withLock { failures in
            var times = failures[client, default: []]
            times.removeAll { now - $0 >= window }
            times.append(now)
            failures[client] = times
        }
        return .rejected
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
