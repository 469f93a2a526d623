import Hummingbird
import Logging
import NIOCore

/// Builds the HTTP application for a configuration: the router with every area of the API, and
/// the services that must start before and stop after the HTTP server.
///
/// - Parameters:
///   - configuration: the resolved server configuration.
///   - logger: the logger for the server and its requests.
///   - onServerRunning: called with the bound address once the server listens (useful with port 0).
public func buildApplication(
    configuration: ServerConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let dataDirectory = try DataDirectory(path: configuration.dataDirectory)
    let router = buildRouter(configuration: configuration, dataDirectory: dataDirectory)
    if configuration.apiKeys.isEmpty {
        logger.warning(
            "NO API KEY CONFIGURED: the server is open to anyone who can reach it (development mode only). Set GRAPH_API_KEY."
        )
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "graph-api"),
        onServerRunning: { channel in
            let address = channel.localAddress
            logger.info(
                "graph-api listening",
                metadata: [
                    "address": "\(address?.ipAddress ?? configuration.host):\(address?.port ?? configuration.port)",
                    "data_dir": "\(dataDirectory.path)", "node_type": "\(configuration.nodeType.rawValue)",
                    "tier": "\(configuration.tier.rawValue)", "env": "\(configuration.environment.rawValue)",
                ]
            )
            await onServerRunning(address)
        },
        logger: logger
    )
}

/// Builds the router: each area of the API is a small controller mounted here.
func buildRouter(configuration: ServerConfiguration, dataDirectory: DataDirectory) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    OperationsController(configuration: configuration, dataDirectory: dataDirectory, startedAt: .now)
        .addRoutes(to: router)
    return router
}
