import GraphEngine

/// How the registry sizes and bounds the databases it opens.
public struct TenancySettings: Sendable {
    /// Graphs this node may hold (creating one more is `507`).
    public var maxDatabases: Int
    /// Databases kept open at once; the least recently used idle one is closed to open another.
    public var maxOpenDatabases: Int
    /// Engine settings of every database opened (buffer pool, `max_db_size`, threads, …).
    /// `readOnly` is set per graph from the node type and the graph's metadata.
    public var database: DatabaseConfiguration
    /// Connections per open database (also its concurrent query limit).
    public var connectionsPerDatabase: Int
    /// How long a request waits for a connection of a busy database before `503`.
    public var connectionWait: Duration
    /// A database unused this long is closed by the idle sweep.
    public var idleTimeout: Duration
    /// Whether the node is read-only (`shared_replica`): every database opens read-only.
    public var readOnlyNode: Bool
    /// Buffer pools of named graphs (bytes) instead of ``database``'s (`--memory-for`).
    public var bufferPoolOverrides: [String: UInt64] = [:]
    /// Whether each graph keeps a write journal (point-in-time recovery): every committed write
    /// is recorded, durably, before it is answered. Only on a writer node whose databases the
    /// server checkpoints (``DatabaseConfiguration/autoCheckpoint`` off).
    public var journal = true
    /// How long journal entries stay restorable (`--journal-retention-hours`).
    public var journalRetention: Duration = .seconds(24 * 3600)

    /// Whether graphs get a journal: ``journal`` on a writer node that checkpoints itself.
    public var keepsJournal: Bool { journal && !readOnlyNode && !database.autoCheckpoint }

    /// The engine settings graph `id` opens with: ``database``, with its own buffer pool (and the
    /// checkpoint threshold that goes with it) when ``bufferPoolOverrides`` names it.
    public func databaseConfiguration(for id: String) -> DatabaseConfiguration {
        var configuration = database
        if let pool = bufferPoolOverrides[id] {
            configuration.bufferPoolSize = pool
            configuration.checkpointThreshold = DatabaseConfiguration.checkpointThreshold(forPool: pool)
        }
        return configuration
    }

    /// Creates settings.
    public init(
        maxDatabases: Int, maxOpenDatabases: Int, database: DatabaseConfiguration, connectionsPerDatabase: Int,
        connectionWait: Duration = .seconds(5), idleTimeout: Duration = .seconds(300), readOnlyNode: Bool = false
    ) {
        self.maxDatabases = maxDatabases
        self.maxOpenDatabases = maxOpenDatabases
        self.database = database
        self.connectionsPerDatabase = connectionsPerDatabase
        self.connectionWait = connectionWait
        self.idleTimeout = idleTimeout
        self.readOnlyNode = readOnlyNode
    }
}
