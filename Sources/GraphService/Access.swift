import Foundation

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

    /// Whether the key may use every graph, and so may see what the node says about all of them
    /// (`/metrics`, node-wide counts); a key scoped to some graphs is not.
    public var isOperator: Bool { graphs == nil }
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

/// How many failed authentications ``Authenticator`` answers with `401` before it throttles.
public struct AuthenticationLimits: Sendable, Equatable {
    /// Failures from one client address within ``clientWindow`` before that address is throttled.
    public var failuresPerClient: Int
    /// The window of ``failuresPerClient``.
    public var clientWindow: Duration
    /// Failures from all addresses together within ``nodeWindow`` before the whole node is
    /// throttled, so that a guessing attack spread over many addresses is slowed too.
    public var failuresPerNode: Int
    /// The window of ``failuresPerNode``.
    public var nodeWindow: Duration

    /// The contract's 10 failures per address in 5 minutes, and 100 per minute node-wide.
    public init(
        failuresPerClient: Int = 10, clientWindow: Duration = .seconds(300), failuresPerNode: Int = 100, nodeWindow: Duration = .seconds(60)
    ) {
        self.failuresPerClient = failuresPerClient
        self.clientWindow = clientWindow
        self.failuresPerNode = failuresPerNode
        self.nodeWindow = nodeWindow
    }
}
