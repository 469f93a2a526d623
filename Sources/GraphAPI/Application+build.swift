import Foundation
import GraphEngine
import GraphService
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// What the HTTP layer shares between its controllers: the node's services, the API keys, and
/// when the server started.
public struct ServerContext: Sendable {
    /// The node's services.
    public let node: GraphNode
    /// API keys and the throttling of failed authentications.
    public let authenticator: Authenticator
    /// When the server started.
    public let startedAt: ContinuousClock.Instant

    /// The resolved configuration.
    public var configuration: GraphService.ServerConfiguration { node.configuration }
    /// The tenants.
    public var registry: GraphRegistry { node.registry }
    /// The node's metrics (`GET /metrics`).
    public var metrics: ServerMetrics { node.metrics }
    /// Every graph's staging area.
    public var staging: StagingService { node.staging }
    /// The background tasks.
    public var tasks: TaskManager { node.tasks }
    /// Per-graph query counters.
    public var activity: GraphActivity { node.activity }

    /// Creates the context.
    public init(node: GraphNode, authenticator: Authenticator, startedAt: ContinuousClock.Instant) {
        self.node = node
        self.authenticator = authenticator
        self.startedAt = startedAt
    }

    /// Seconds since start.
    public var uptimeSeconds: Double { (ContinuousClock.now - startedAt).seconds }
}

/// The whole server: the node's services and the HTTP application, run as one `ServiceGroup`
/// (``serviceGroup(gracefulShutdownSignals:)``), the same in production and in tests.
///
/// On graceful shutdown the services stop in this order: background tasks are cancelled
/// (recorded `failed`, `interrupted by server shutdown`), new queries are refused (`503`) while
/// running ones get ``GraphService.ServerConfiguration/shutdownGraceSeconds`` to finish, the rest are
/// interrupted, the HTTP server drains its in-flight requests and stops, the staging databases
/// close, the registry checkpoints and closes every database, and the engine thread pool stops.
public struct GraphAPIServer: Sendable {
    /// What the controllers share.
    public let context: ServerContext
    /// The HTTP application (router and server, no services of its own).
    let application: Application<RouterResponder<GraphAPIRequestContext>>
    let logger: Logger

    /// Builds the server for a configuration.
    ///
    /// - Parameters:
    ///   - configuration: the resolved server configuration.
    ///   - logger: the logger for the server and its requests.
    ///   - metrics: the server's metrics; the executable passes the instance it bootstrapped swift-metrics with.
    ///   - onServerRunning: called with the bound address once the server listens (useful with port 0).
    public init(
        configuration: GraphService.ServerConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics(),
        onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
    ) throws {
        let node = try GraphNode(configuration: configuration, logger: logger, metrics: metrics)
        let context = ServerContext(
            node: node, authenticator: Authenticator(keys: configuration.apiKeys, limits: configuration.authenticationLimits),
            startedAt: .now
        )
        self.init(context: context, logger: logger, onServerRunning: onServerRunning)
    }

    /// The server of a node already assembled.
    public init(context: ServerContext, logger: Logger, onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }) {
        self.context = context
        self.logger = logger
        self.application = makeHTTPApplication(context, logger: logger, onServerRunning: onServerRunning)
    }

    /// The one group of every service of the process, in start order (they stop in reverse).
    public func serviceGroup(gracefulShutdownSignals: [UnixSignal] = []) -> ServiceGroup {
        let node = context.node
        let grace = Duration.seconds(context.configuration.shutdownGraceSeconds)
        let services: [any Service] =
            node.servicesBeforeServer + [application] + node.servicesAfterServer(grace: grace, logger: logger)
        return ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        )
    }
}

/// The Hummingbird application: the router of every area of the API on the server's HTTP/1.1
/// channel. It has no services of its own: ``GraphAPIServer`` runs them all in one group.
func makeHTTPApplication(
    _ server: ServerContext, logger: Logger,
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void
) -> Application<RouterResponder<GraphAPIRequestContext>> {
    let configuration = server.configuration
    if configuration.apiKeys.isEmpty {
        logger.warning(
            "NO API KEY CONFIGURED: the server is open to anyone who can reach it (development mode only). Set GRAPH_API_KEY."
        )
    }
    if configuration.backupKeyIDs.isEmpty {
        logger.warning(
            "no backup key configured: backups are written unencrypted (set GRAPH_API_BACKUP_KEY or --backup-key-file)",
            metadata: ["backup_dir": "\(configuration.backupDirectory)"]
        )
    }
    let dataDirectory = server.registry.dataDirectory
    return Application(
        router: buildRouter(server),
        server: .graphAPI(configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "graph-api"),
        onServerRunning: { channel in
            let address = channel.localAddress
            logger.info(
                "graph-api listening",
                metadata: [
                    "address": "\(address?.ipAddress ?? configuration.host):\(address?.port ?? configuration.port)",
                    "data_dir": "\(dataDirectory.path)", "node_type": "\(configuration.nodeType.rawValue)",
                    "tier": "\(configuration.tier.rawValue)", "env": "\(configuration.environment.rawValue)",
                    "backup_dir": "\(configuration.backupDirectory)",
                    "backup_keys": "\(configuration.backupKeyIDs.joined(separator: ","))",
                ]
            )
            await onServerRunning(address)
        },
        logger: logger
    )
}

extension HTTPServerBuilder {
    /// HTTP/1.1 as the server speaks it: every connection tells its handlers when the client goes
    /// away (see ``ClientConnection``); a connection that sends no whole request head within
    /// ``GraphService.ServerConfiguration/requestHeadTimeoutSeconds`` is closed, and so is a kept-alive
    /// connection idle (no request in progress, nothing being sent) for
    /// ``GraphService.ServerConfiguration/connectionIdleTimeoutSeconds``. Neither cuts a request being handled
    /// or answered, however long it takes.
    static func graphAPI(_ configuration: GraphService.ServerConfiguration) -> HTTPServerBuilder {
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
    // HEAD is answered wherever GET is (the GET handler's headers, no body).
    let router = Router(context: GraphAPIRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = RouteTable()
    router.add(middleware: RequestObservabilityMiddleware(metrics: server.metrics))  // first: sees every response
    router.add(middleware: ErrorMiddleware(environment: server.configuration.environment, routes: routes))
    router.add(middleware: AuthMiddleware(authenticator: server.authenticator, maxBodyBytes: server.configuration.maxBodyBytes))
    OperationsController(registry: server.registry, configuration: server.configuration, startedAt: server.startedAt).addRoutes(to: router)
    DatabasesController(databases: server.node.databases).addRoutes(to: router)
    QueryController(queries: server.node.queries, configuration: server.configuration, metrics: server.metrics)
        .addRoutes(to: router.graphGroup())
    StagingController(staging: server.staging).addRoutes(to: router.graphGroup())
    BackupController(backups: server.node.backups, maxUploadBytes: server.configuration.maxRestoreUploadBytes).addRoutes(to: router)
    InfoController(server: server).addRoutes(to: router)
    MetricsController(metrics: server.metrics, registry: server.registry, startedAt: server.startedAt).addRoutes(to: router)
    TasksController(tasks: server.tasks).addRoutes(to: router)
    OpenAPIController(router: router, logger: server.registry.logger).addRoutes(to: router)  // last: documents every route above
    routes.fill(from: router)
    return router
}

extension Router where Context == GraphAPIRequestContext {
    /// The route group of one graph, `/databases/{graph_id}/...`, whose handlers get a
    /// ``GraphRequestContext`` with the id validated and the key's scope checked.
    func graphGroup() -> RouterGroup<GraphRequestContext> {
        group("/databases/:graph_id", context: GraphRequestContext.self)
    }
}
