import Foundation
import GraphEngine
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The long-lived parts every controller shares.
public struct ServerContext: Sendable {
    /// The resolved configuration.
    public let configuration: ServerConfiguration
    /// The tenants.
    public let registry: GraphRegistry
    /// API keys and lockout.
    public let authenticator: Authenticator
    /// When the server started.
    public let startedAt: ContinuousClock.Instant
    /// The server's metrics (`GET /metrics`); controllers report through its typed functions.
    public var metrics: ServerMetrics
    /// Every graph's staging area (DuckDB) and the loads into it.
    public let staging: StagingService
    /// The background tasks (copy, ingest, backup, restore) and their records.
    public let tasks: TaskManager

    /// Creates the context; the staging service is made from the configuration and registry.
    public init(
        configuration: ServerConfiguration, registry: GraphRegistry, authenticator: Authenticator,
        startedAt: ContinuousClock.Instant, metrics: ServerMetrics = ServerMetrics(), tasks: TaskManager? = nil
    ) {
        self.configuration = configuration
        self.registry = registry
        self.authenticator = authenticator
        self.startedAt = startedAt
        self.metrics = metrics
        self.staging = StagingService(configuration: configuration, registry: registry, logger: registry.logger)
        // Without one given: the task store of the configuration's data folder.
        self.tasks = tasks ?? TaskManager.inDataDirectory(configuration.dataDirectory, logger: registry.logger, metrics: metrics)
    }

    /// Seconds since start.
    public var uptimeSeconds: Double { (ContinuousClock.now - startedAt).seconds }
}

extension ServerConfiguration {
    /// The tenancy settings this configuration implies.
    public var tenancySettings: TenancySettings {
        let preset = tier.preset
        return TenancySettings(
            maxDatabases: maxDatabases ?? preset.maxDatabases,
            maxOpenDatabases: maxOpenDatabases ?? max(1, min(preset.maxDatabases, 64)),
            database: DatabaseConfiguration(
                bufferPoolSize: bufferPoolBytes ?? preset.memoryPerDatabaseBytes,
                maxDatabaseSize: maxDatabaseSizeBytes,
                maxThreads: UInt64(threadsPerQuery)
            ),
            connectionsPerDatabase: connectionsPerDatabase ?? preset.connectionsPerDatabase,
            connectionWait: .milliseconds(connectionWaitMilliseconds),
            idleTimeout: .seconds(idleTimeoutSeconds),
            readOnlyNode: nodeType.isReadOnly
        )
    }
}

/// Builds the HTTP application for a configuration: the router with every area of the API, and
/// the services that must start before and stop after the HTTP server (the tenant registry,
/// which checkpoints and closes every database on shutdown).
///
/// - Parameters:
///   - configuration: the resolved server configuration.
///   - logger: the logger for the server and its requests.
///   - metrics: the server's metrics; the executable passes the instance it bootstrapped swift-metrics with.
///   - onServerRunning: called with the bound address once the server listens (useful with port 0).
public func buildApplication(
    configuration: ServerConfiguration,
    logger: Logger,
    metrics: ServerMetrics = ServerMetrics(),
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try makeApplication(configuration: configuration, logger: logger, metrics: metrics, onServerRunning: onServerRunning).app
}

/// ``buildApplication(configuration:logger:metrics:onServerRunning:)`` with the shared server
/// context, for ``runGraphAPIServer(configuration:logger:metrics:)``.
func makeApplication(
    configuration: ServerConfiguration,
    logger: Logger,
    metrics: ServerMetrics,
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void
) throws -> (app: some ApplicationProtocol, server: ServerContext) {
    let dataDirectory = try DataDirectory(path: configuration.dataDirectory)
    let executor = EngineExecutor(threadCount: configuration.engineThreads)
    let registry = GraphRegistry(
        dataDirectory: dataDirectory, settings: configuration.tenancySettings, executor: executor, logger: logger
    )
    let server = ServerContext(
        configuration: configuration, registry: registry,
        authenticator: Authenticator(keys: configuration.apiKeys, limits: configuration.authenticationLimits), startedAt: .now,
        metrics: metrics,
        tasks: try TaskManager(directory: dataDirectory.path + "/tasks", logger: logger, metrics: metrics)
    )
    if configuration.apiKeys.isEmpty {
        logger.warning(
            "NO API KEY CONFIGURED: the server is open to anyone who can reach it (development mode only). Set GRAPH_API_KEY."
        )
    }
    let app = Application(
        router: buildRouter(server),
        server: .graphAPI(configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "graph-api"),
        // Services stop in reverse order: the HTTP server first, then the background tasks, then the
        // staging databases, then the registry (which checkpoints and closes every database on the
        // executor), then the executor.
        services: [
            ExecutorShutdown(executor: executor), registry, StagingShutdown(staging: server.staging), TaskShutdown(tasks: server.tasks),
        ],
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
    return (app, server)
}

extension HTTPServerBuilder {
    /// HTTP/1.1 as the server speaks it: every connection tells its handlers when the client goes
    /// away (see ``ClientConnection``); a connection that sends no whole request head within
    /// ``ServerConfiguration/requestHeadTimeoutSeconds`` is closed, and so is a kept-alive
    /// connection idle (no request in progress, nothing being sent) for
    /// ``ServerConfiguration/connectionIdleTimeoutSeconds``. Neither cuts a request being handled
    /// or answered, however long it takes.
    static func graphAPI(_ configuration: ServerConfiguration) -> HTTPServerBuilder {
        let idle = TimeAmount.seconds(Int64(configuration.connectionIdleTimeoutSeconds))
        let head = TimeAmount.seconds(Int64(configuration.requestHeadTimeoutSeconds))
        return HTTPServerBuilder { responder in
            ClientTrackingHTTP1Channel(
                base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idle)), requestHeadTimeout: head
            )
        }
    }
}

/// Builds the router: each area of the API is a small controller mounted here.
func buildRouter(_ server: ServerContext) -> Router<GraphAPIRequestContext> {
    let router = Router(context: GraphAPIRequestContext.self)
    router.add(middleware: RequestObservabilityMiddleware(metrics: server.metrics))  // first: sees every response
    router.add(middleware: ErrorMiddleware(environment: server.configuration.environment))
    router.add(middleware: AuthMiddleware(authenticator: server.authenticator, maxBodyBytes: server.configuration.maxBodyBytes))
    OperationsController(server: server).addRoutes(to: router)
    DatabasesController(server: server).addRoutes(to: router)
    QueryController(server: server).addRoutes(to: router.graphGroup())
    StagingController(server: server).addRoutes(to: router.graphGroup())
    InfoController(server: server).addRoutes(to: router)
    MetricsController(server: server).addRoutes(to: router)
    TasksController(server: server).addRoutes(to: router)
    OpenAPIController(router: router, logger: server.registry.logger).addRoutes(to: router)  // last: documents every route above
    return router
}

extension Router where Context == GraphAPIRequestContext {
    /// The route group of one graph, `/databases/{graph_id}/...`, whose handlers get a
    /// ``GraphRequestContext`` with the id validated and the key's scope checked.
    func graphGroup() -> RouterGroup<GraphRequestContext> {
        group("/databases/:graph_id", context: GraphRequestContext.self)
    }
}
