import Synchronization

/// Per-graph activity counters kept in memory since the server started: how many queries each
/// graph has run (reported as `query_count` by `GET /databases/{graph_id}/metrics`).
///
/// Thread-safe and cheap (one lock per call); the query controller calls
/// ``recordQuery(on:)`` once per query it accepts.
public final class GraphActivity: Sendable {
    private let queries = Mutex<[GraphID: UInt64]>([:])

    /// Creates empty counters.
    public init() {}

    /// Counts one query on `graph`.
    public func recordQuery(on graph: GraphID) {
        queries.withLock { $0[graph, default: 0] &+= 1 }
    }

    /// Queries run on `graph` since the server started (or since the graph was deleted).
    public func queryCount(of graph: GraphID) -> UInt64 {
        queries.withLock { $0[graph] ?? 0 }
    }

    /// Drops the counters of a deleted graph, so a new graph of the same id starts at zero.
    public func forget(_ graph: GraphID) {
        _ = queries.withLock { $0.removeValue(forKey: graph) }
    }
}
