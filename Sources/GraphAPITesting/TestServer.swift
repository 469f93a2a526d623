import Foundation
import GraphAPI
import GraphEngine
import GraphService
import Logging
import NIOCore
import ServiceLifecycle

/// A graph to create before a test's server starts.
package struct TestGraph: Sendable {
    /// The graph id.
    package var id: String
    /// The statements that make its schema and data.
    package var ddl: [String]
    /// Whether the graph is read-only.
    package var readOnly: Bool

    /// Creates the description of a graph.
    package init(id: String, ddl: [String], readOnly: Bool = false) {
        self.id = id
        self.ddl = ddl
        self.readOnly = readOnly
    }
}

/// The server under test, started the way production starts it: ``GraphAPIServer`` and its one
/// `ServiceGroup` (executor, registry, staging, HTTP application, query drain, tasks), on port 0
/// over a temporary data folder, stopped by `triggerGracefulShutdown()` on that same group.
///
/// ```swift
/// try await TestServer.withServer(graphs: [people]) { server in
///     let answer = try await server.client.execute(uri: "/health", method: .get)
///     #expect(await server.registry.openCount == 0)
/// }
/// ```
package struct TestServer: Sendable {
    /// What the controllers share; `context.node` is the node's services.
    package let context: ServerContext
    /// The port the server listens on (127.0.0.1).
    package let port: Int
    /// A client with one kept-alive connection to the server.
    package let client: Client
    /// The data folder.
    package let dataDirectory: String
    /// Every log line the server wrote.
    package let logs: LogCapture

    /// The node's services.
    package var node: GraphNode { context.node }
    /// The resolved configuration.
    package var configuration: ServerConfiguration { context.configuration }
    /// The tenants.
    package var registry: GraphRegistry { node.registry }
    /// The background tasks.
    package var tasks: TaskManager { node.tasks }
    /// Every graph's staging area.
    package var staging: StagingService { node.staging }
    /// The node's metrics.
    package var metrics: ServerMetrics { node.metrics }
    /// The folder below which local files may be ingested.
    package var importDirectory: String { configuration.importDirectory }

    /// The configuration the tests start from: port 0 on 127.0.0.1, the data folder (imports below
    /// it), small buffer pools and few engine threads, so that many servers fit on a small machine.
    /// Each query keeps the production default of threads (with one, a database's queries share a
    /// single engine worker, so a read waits behind a running write).
    package static func defaultConfiguration(dataDirectory: String) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.dataDirectory = dataDirectory
        configuration.importDirectory = dataDirectory + "/import"
        configuration.bufferPoolBytes = 64 << 20
        configuration.maxDatabaseSizeBytes = 1 << 34
        configuration.engineThreads = 4
        configuration.stagingMemoryBytes = 256 << 20
        return configuration
    }

    /// A fresh path in the temporary folder (not created).
    package static func temporaryPath(_ prefix: String = "graph-api-test") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    }

    /// Starts a server, runs `body` with it, and stops it as production stops (graceful shutdown
    /// of its service group), also when `body` throws.
    ///
    /// - Parameters:
    ///   - graphs: graphs created in the data folder before the server starts (with a registry of
    ///     their own, so the server finds them as it would after a restart).
    ///   - dataDirectory: an existing data folder to serve, kept afterwards; by default a new
    ///     temporary folder, removed afterwards.
    ///   - logs: where the server's log lines go (also after the server stopped).
    ///   - logLevel: the server logger's level.
    ///   - metrics: the server's metrics.
    ///   - taskSettings: shorter task timings (heartbeats, progress writes); the node is then
    ///     assembled here as ``GraphNode`` does it, with a task store of these settings.
    ///   - configure: changes to ``defaultConfiguration(dataDirectory:)``.
    ///   - body: the test.
    /// - Throws: what `body` throws; else an error of starting or stopping the server.
    package static func withServer<Value>(
        graphs: [TestGraph] = [],
        dataDirectory: String? = nil,
        logs: LogCapture = LogCapture(),
        logLevel: Logger.Level = .info,
        metrics: ServerMetrics = ServerMetrics(),
        taskSettings: TaskManager.Settings? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> Value
    ) async throws -> Value {
        let directory = dataDirectory ?? temporaryPath()
        defer { if dataDirectory == nil { try? FileManager.default.removeItem(atPath: directory) } }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await createGraphs(graphs, in: directory)
        var configuration = defaultConfiguration(dataDirectory: directory)
        configure(&configuration)
        let logger = logs.logger(label: "graph-api-test", level: logLevel)

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let onServerRunning: @Sendable (SocketAddress?) async -> Void = { address in
            if let port = address?.port { portContinuation.yield(port) }
            portContinuation.finish()
        }
        let server: GraphAPIServer
        if let taskSettings {
            let context = try makeContext(configuration: configuration, logger: logger, metrics: metrics, taskSettings: taskSettings)
            server = GraphAPIServer(context: context, logger: logger, onServerRunning: onServerRunning)
        } else {
            server = try GraphAPIServer(configuration: configuration, logger: logger, metrics: metrics, onServerRunning: onServerRunning)
        }
        let group = server.serviceGroup()

        return try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask {
                defer { portContinuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // The group ended before the server listened: its error says why.
                try await running.next()
                throw TestServerError.stoppedBeforeListening
            }
            let client = Client(port: port)
            let outcome: Result<Value, any Error>
            do {
                let value = try await body(
                    TestServer(context: server.context, port: port, client: client, dataDirectory: directory, logs: logs)
                )
                outcome = .success(value)
            } catch {
                outcome = .failure(error)
            }
            await client.shutdown()
            await group.triggerGracefulShutdown()
            running.addTask {
                try await Task.sleep(for: shutdownDeadline)
                throw TestServerError.shutdownTimedOut(shutdownDeadline)
            }
            do {
                try await running.next()
                running.cancelAll()
            } catch {
                running.cancelAll()
                if case .success = outcome { throw error }
            }
            return try outcome.get()
        }
    }

    /// How long a graceful shutdown may take before the test fails (generous: a loaded machine).
    static let shutdownDeadline = Duration.seconds(120)

    /// Opens another connection to the server, runs `body` with it, and closes it.
    package func withClient<T>(timeout: Duration = Client.defaultTimeout, _ body: (Client) async throws -> T) async throws -> T {
        try await Client.withConnection(port: port, timeout: timeout, body)
    }

    /// Creates `graphs` in `dataDirectory` with a registry of its own, which opens each only
    /// while creating it.
    package static func createGraphs(_ graphs: [TestGraph], in dataDirectory: String) async throws {
        guard !graphs.isEmpty else { return }
        let configuration = defaultConfiguration(dataDirectory: dataDirectory)
        let executor = EngineExecutor(threadCount: 2)
        let registry = GraphRegistry(
            dataDirectory: try DataDirectory(path: dataDirectory), settings: configuration.tenancySettings, executor: executor,
            logger: Logger(label: "graph-api-test-setup")
        )
        do {
            for graph in graphs {
                try await registry.create(
                    try GraphID(validating: graph.id),
                    metadata: GraphMetadata(graphID: graph.id, schemaType: .custom, repositoryName: nil, readOnly: graph.readOnly),
                    ddl: graph.ddl
                )
            }
        } catch {
            await registry.shutdown()
            try? await executor.shutdown()
            throw error
        }
        await registry.shutdown()
        try await executor.shutdown()
    }

    /// The server context of a node assembled as ``GraphNode/init(configuration:logger:metrics:)``
    /// does, with a task store of `taskSettings`.
    static func makeContext(
        configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics, taskSettings: TaskManager.Settings
    ) throws -> ServerContext {
        let dataDirectory = try DataDirectory(path: configuration.dataDirectory)
        let executor = EngineExecutor(threadCount: configuration.engineThreads)
        let registry = GraphRegistry(
            dataDirectory: dataDirectory, settings: configuration.tenancySettings, executor: executor, logger: logger
        )
        let tasks = try TaskManager(directory: dataDirectory.path + "/tasks", logger: logger, metrics: metrics, settings: taskSettings)
        let node = try GraphNode(configuration: configuration, registry: registry, tasks: tasks, metrics: metrics)
        return ServerContext(
            node: node, authenticator: Authenticator(keys: configuration.apiKeys, limits: configuration.authenticationLimits),
            startedAt: .now
        )
    }
}

/// Why a test server could not run.
package enum TestServerError: Error, CustomStringConvertible {
    /// The service group ended before the HTTP server listened.
    case stoppedBeforeListening
    /// The graceful shutdown did not end within the deadline.
    case shutdownTimedOut(Duration)

    package var description: String {
        switch self {
        case .stoppedBeforeListening: "the server stopped before it listened"
        case .shutdownTimedOut(let limit): "the server's graceful shutdown did not end within \(limit)"
        }
    }
}
