import GraphEngine
import Logging
import ServiceLifecycle

/// Stops the engine thread pool after every other service (the registry closes the databases
/// first, on that pool): services shut down in reverse order of their start.
public struct ExecutorShutdown: Service {
    let executor: EngineExecutor

    /// Creates the service for `executor`.
    public init(executor: EngineExecutor) {
        self.executor = executor
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try? await executor.shutdown()
    }
}

/// Closes every staging database on graceful shutdown (before the registry closes the graphs)
/// and stops the staging thread pool.
public struct StagingShutdown: Service {
    let staging: StagingService

    /// Creates the service for `staging`.
    public init(staging: StagingService) {
        self.staging = staging
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await staging.shutdown()
    }
}

/// On graceful shutdown (after the tasks stopped): closes the backup service's connections to
/// its S3 destination.
public struct BackupShutdown: Service {
    let backups: BackupService

    /// Creates the service for `backups`.
    public init(backups: BackupService) {
        self.backups = backups
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await backups.shutdown()
    }
}

/// On graceful shutdown: refuses new queries, waits up to `grace` for running ones, then
/// interrupts the rest, so the HTTP server's own drain never waits on a query that runs for hours.
public struct QueryDrain: Service {
    let registry: GraphRegistry
    let grace: Duration
    let logger: Logger

    /// Creates the drain of `registry`'s queries.
    public init(registry: GraphRegistry, grace: Duration, logger: Logger) {
        self.registry = registry
        self.grace = grace
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await registry.beginDraining()
        let deadline = ContinuousClock.now + grace
        var running = await registry.leasedConnections
        logger.info("shutting down: draining running queries", metadata: ["running": "\(running)", "grace_s": "\(grace)"])
        while running > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            running = await registry.leasedConnections
        }
        if running > 0 {
            logger.notice("shutting down: interrupting running queries", metadata: ["running": "\(running)"])
            await registry.interruptAll()
        }
    }
}
