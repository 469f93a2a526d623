import Foundation
import GraphEngine
import Synchronization

/// A graph whose database is open: the engine database, its connection pool and its metadata.
final class OpenGraph: Sendable {
    let id: GraphID
    let metadata: GraphMetadata
    let database: Database
    let pool: ConnectionPool
    /// Whether writes are refused (read-only node or read-only graph).
    let isReadOnly: Bool
    /// The last use, on the monotonic clock (idle timing) and the wall clock (`last_accessed`).
    private let lastUsed = Mutex((ContinuousClock.now, Date()))

    init(id: GraphID, metadata: GraphMetadata, database: Database, pool: ConnectionPool, isReadOnly: Bool) {
        self.id = id
        self.metadata = metadata
        self.database = database
        self.pool = pool
        self.isReadOnly = isReadOnly
    }

    /// When a request last used this graph.
    var lastUsedAt: ContinuousClock.Instant { lastUsed.withLock { $0.0 } }

    /// Records a use now.
    func touch() { lastUsed.withLock { $0 = (.now, Date()) } }

    /// When a request last used this graph, on the wall clock (to the millisecond, as metadata
    /// keeps it).
    var lastUsedDate: Date { TaskTimestamp.rounded(lastUsed.withLock { $0.1 }) }
}
