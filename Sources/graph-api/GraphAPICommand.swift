import ArgumentParser
import Foundation
import GraphAPI
import GraphEngine
import Hummingbird
import Logging
import Staging

@main
struct GraphAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph-api",
        abstract: "A multi-tenant HTTP server for LadybugDB graph databases, with DuckDB staging.",
        version: "graph-api \(GraphAPIVersion.string) (LadybugDB \(EngineVersion.ladybug), DuckDB \(StagingVersion.duckdb))",
        subcommands: [Serve.self]
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the HTTP server.",
        discussion: """
            Every flag can also be set through its environment variable; a flag wins over the \
            environment. API keys come from GRAPH_API_KEY and GRAPH_API_KEYS (a comma list, for \
            rotation). Without a key the server runs open, in development mode only. SIGTERM or \
            SIGINT stops it gracefully.
            """
    )

    @Option(help: "Address to bind (env GRAPH_API_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to bind; 0 picks a free one (env GRAPH_API_PORT; default 8001).")
    var port: Int?

    @Option(help: "Folder for every graph's files (env GRAPH_API_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "Local files are ingested only from below this folder (env GRAPH_API_IMPORT_DIR; default <data-dir>/import).")
    var importDir: String?

    @Option(help: "writer | shared_master | shared_replica (env GRAPH_API_NODE_TYPE; default writer).")
    var nodeType: String?

    @Option(help: "standard | large | xlarge | shared (env GRAPH_API_TIER; default standard).")
    var tier: String?

    @Option(help: "development | production (env GRAPH_API_ENV; default development).")
    var env: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL; default info).")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(
                flags: .init(
                    host: host, port: port, dataDirectory: dataDir, importDirectory: importDir,
                    nodeType: nodeType, tier: tier, environment: env
                ),
                environment: environment
            )
        } catch {
            throw ValidationError(error.description)
        }
        var logger = Logger(label: "graph-api")
        let levelText = logLevel ?? environment["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("invalid log level '\(levelText)'")
        }
        logger.logLevel = level
        let app = try buildApplication(configuration: configuration, logger: logger)
        try await app.runService()
    }
}
