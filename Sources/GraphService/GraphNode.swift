import GraphEngine
import Logging
import ServiceLifecycle

/// The services of one node, made from its configuration: the tenants (``GraphRegistry``), the
/// background tasks (``TaskManager``), the staging areas (``StagingService``), and the two
/// services a request uses, ``DatabaseService`` and ``QueryService``.
///
/// Its long-lived parts run as ``services``, in the one `ServiceGroup` of the process (tests use
/// the same group): they start in order and stop in reverse, so the tasks stop first, then the
/// staging databases, then the registry (which checkpoints and closes every database on the
/// engine's executor), then the executor.
public struct GraphNode: Sendable {
    /// The resolved configuration.
    public let configuration: ServerConfiguration
    /// The tenants.
    public let registry: GraphRegistry
    /// The background tasks (copy, ingest, backup, restore) and their records.
    public let tasks: TaskManager
    /// Every graph's staging area (DuckDB) and the loads into it.
    public let staging: StagingService
    /// Per-graph query counters.
    public let activity: GraphActivity
    /// The node's metrics.
    public let metrics: ServerMetrics
    /// Backups and restores.
    public let backups: BackupService
    /// Ships the journals to the backup destination (`nil`: no journal, or `--journal-ship-seconds 0`).
    public let shipper: JournalShipper?
    /// Follows a master's published graphs (`nil` unless `--replica-of`).
    public let replica: ReplicaFollower?

    /// Where every engine call runs.
    public var executor: EngineExecutor { registry.executor }
    /// Creating, listing, inspecting and deleting graphs; their schema and metrics.
    public var databases: DatabaseService {
        DatabaseService(registry: registry, staging: staging, activity: activity, metrics: metrics, replica: replica)
    }
    /// Running Cypher.
    public var queries: QueryService { QueryService(registry: registry, activity: activity) }

    /// Assembles a node from a registry and a task store already made (the staging service is
    /// made here).
    ///
    /// - Throws: when the backup folder cannot be made.
    public init(configuration: ServerConfiguration, registry: GraphRegistry, tasks: TaskManager, metrics: ServerMetrics) throws {
        self.configuration = configuration
        self.registry = registry
        self.tasks = tasks
        self.metrics = metrics
        self.activity = GraphActivity()
        self.staging = StagingService(configuration: configuration, registry: registry, tasks: tasks, metrics: metrics, logger: registry.logger)
        let backups = try BackupService(
            configuration: configuration, registry: registry, staging: staging, tasks: tasks, metrics: metrics, logger: registry.logger
        )
        self.backups = backups
        self.shipper = registry.settings.keepsJournal && configuration.journalShipSeconds > 0
            ? JournalShipper(backups: backups, interval: .seconds(configuration.journalShipSeconds), logger: registry.logger) : nil
        self.replica = configuration.replicaOf.map { source in
            ReplicaFollower(
                registry: registry, backups: backups, source: source, graphs: configuration.replicaGraphs.map(Set.init), poll: .milliseconds(250),
                metrics: metrics, logger: registry.logger
            )
        }
    }

    /// Opens the node's data folder: the folder layout, the engine's executor, the registry and
    /// the task store (whose records are read back), the backup folder.
    ///
    /// - Throws: when the data folder, the task folder or the backup folder cannot be made or read.
    public init(configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics) throws {
        let dataDirectory = try DataDirectory(path: configuration.dataDirectory)
        let executor = EngineExecutor(threadCount: configuration.engineThreads)
        let registry = GraphRegistry(
            dataDirectory: dataDirectory, settings: configuration.tenancySettings, executor: executor, logger: logger
        )
        let tasks = try TaskManager(directory: dataDirectory.path + "/tasks", logger: logger, metrics: metrics)
        try self.init(configuration: configuration, registry: registry, tasks: tasks, metrics: metrics)
    }

    /// The services before the HTTP server, in start order (they stop in reverse).
    public var servicesBeforeServer: [any Service] {
        [ExecutorShutdown(executor: executor), registry, StagingShutdown(staging: staging), BackupShutdown(backups: backups)]
    }

    /// The services after the HTTP server, in start order: on graceful shutdown they stop
    /// before it, so that running queries are drained within `grace` (then interrupted) and task
    /// monitors end, and the HTTP server's own drain does not wait on them.
    public func servicesAfterServer(grace: Duration, logger: Logger) -> [any Service] {
        // The shipper stops after the queries were drained: its last shipment would otherwise
        // wait for them.
        ([shipper] as [(any Service)?]).compactMap { $0 } + [
            QueryDrain(registry: registry, grace: grace, logger: logger), TaskShutdown(tasks: tasks),
            BackupScheduler(backups: backups, tick: configuration.backupSchedulerTick),
        ] + ([replica] as [(any Service)?]).compactMap { $0 }
    }
}

extension ServerConfiguration {
    /// The tenancy settings this configuration implies.
    public var tenancySettings: TenancySettings {
        let preset = tier.preset
        var settings = TenancySettings(
            maxDatabases: maxDatabases ?? preset.maxDatabases,
            maxOpenDatabases: maxOpenDatabases ?? max(1, min(preset.maxDatabases, 64)),
            database: DatabaseConfiguration(
                bufferPoolSize: bufferPoolBytes ?? preset.memoryPerDatabaseBytes,
                maxDatabaseSize: maxDatabaseSizeBytes,
                maxThreads: UInt64(threadsPerQuery),
                // The server checkpoints (see Connection.checkpointIfNeeded).
                autoCheckpoint: false,
                checkpointThreshold: DatabaseConfiguration.checkpointThreshold(forPool: bufferPoolBytes ?? preset.memoryPerDatabaseBytes)
            ),
            connectionsPerDatabase: connectionsPerDatabase ?? preset.connectionsPerDatabase,
            connectionWait: .milliseconds(connectionWaitMilliseconds),
            idleTimeout: .seconds(idleTimeoutSeconds),
            readOnlyNode: nodeType.isReadOnly
        )
        settings.bufferPoolOverrides = memoryForGraphs
        settings.journal = journal
        settings.journalRetention = .seconds(journalRetentionHours * 3600)
        return settings
    }
}
