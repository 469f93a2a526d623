import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the server until SIGTERM or SIGINT, then shuts down in this order: background tasks are
/// cancelled (recorded `failed`, `interrupted by server shutdown`), new queries are
/// refused (`503`) while running ones get ``ServerConfiguration/shutdownGraceSeconds`` to finish,
/// the rest are interrupted, the HTTP server drains its in-flight requests and stops, the registry
/// checkpoints and closes every database, and the engine thread pool stops.
public func runGraphAPIServer(configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics) async throws {
    let (app, server) = try makeApplication(configuration: configuration, logger: logger, metrics: metrics) { _ in }
    let drain = QueryDrain(registry: server.registry, grace: .seconds(configuration.shutdownGraceSeconds), logger: logger)
    // Services stop in reverse order: the background tasks first (so that their monitors end and
    // the HTTP server's drain does not wait on them), then the query drain, then the application's
    // own services.
    let group = ServiceGroup(
        configuration: .init(
            services: [app, drain, TaskShutdown(tasks: server.tasks)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
    )
    try await group.run()
    logger.info("graph-api stopped")
}

/// On graceful shutdown: refuses new queries, waits up to `grace` for running ones, then
/// interrupts the rest, so the HTTP server's own drain never waits on a query that runs for hours.
struct QueryDrain: Service {
    let registry: GraphRegistry
    let grace: Duration
    let logger: Logger

    func run() async throws {
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
