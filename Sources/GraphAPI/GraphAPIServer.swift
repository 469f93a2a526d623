import GraphService
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the server until SIGTERM or SIGINT, then shuts it down in the order
/// ``GraphAPIServer`` describes.
///
/// - Throws: ``ListenAddressUnavailable`` first, before any folder is made, when the address
///   cannot be listened on (a port in use).
public func runGraphAPIServer(configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics) async throws {
    try await ListenAddressCheck.ensureAvailable(host: configuration.host, port: configuration.port)
    let server = try GraphAPIServer(configuration: configuration, logger: logger, metrics: metrics)
    try await server.serviceGroup(gracefulShutdownSignals: [.sigterm, .sigint]).run()
    logger.info("graph-api stopped")
}
