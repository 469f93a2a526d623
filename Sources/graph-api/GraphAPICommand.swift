import ArgumentParser
import Foundation
import GraphAPI
import GraphService
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
        subcommands: [
            Serve.self, HealthCommand.self, DatabasesCommand.self, QueryCommand.self, TablesCommand.self, CopyCommand.self, TasksCommand.self, BackupCommand.self,
        ]
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the HTTP server.",
        discussion: """
            Every flag can also be set through its environment variable; a flag wins over the \
            environment. API keys come from GRAPH_API_KEY and GRAPH_API_KEYS (a comma list, for \
            rotation). Without a key the server runs open, in development mode only. Backups are \
            encrypted with GRAPH_API_BACKUP_KEY (base64 of 32 bytes) or the keys of \
            --backup-key-file. SIGTERM or SIGINT stops it gracefully.
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

    @Option(help: "JSON file of scoped API keys: [{\"key\", \"graphs\": [..], \"read_only\": bool}] (env GRAPH_API_KEYS_FILE).")
    var keysFile: String?

    @Option(help: "Failed authentications from all addresses together per minute before every wrong key gets 429; valid keys still pass (env GRAPH_API_MAX_AUTH_FAILURES_PER_MINUTE; default 100).")
    var maxAuthFailuresPerMinute: Int?

    @Option(help: "Databases this node may hold (env GRAPH_API_MAX_DATABASES; default from the tier).")
    var maxDatabases: Int?

    @Option(help: "Databases kept open at once, least recently used closed first (env GRAPH_API_MAX_OPEN_DATABASES).")
    var maxOpenDatabases: Int?

    @Option(help: "Buffer pool per open database in MiB (env GRAPH_API_MEMORY_PER_DATABASE_MB; default from the tier).")
    var memoryPerDatabaseMb: Int?

    @Option(help: "Buffer pools of named graphs instead of --memory-per-database-mb: GRAPH=MiB,GRAPH=MiB (env GRAPH_API_MEMORY_FOR).")
    var memoryFor: String?

    @Option(help: "Address space reserved per database in GiB (env GRAPH_API_MAX_DATABASE_SIZE_GB; default 64).")
    var maxDatabaseSizeGb: Int?

    @Option(help: "Engine threads per query (env GRAPH_API_THREADS_PER_QUERY; default 2).")
    var threadsPerQuery: Int?

    @Option(help: "Connections, i.e. concurrent queries, per database (env GRAPH_API_CONNECTIONS_PER_DATABASE; default from the tier).")
    var connectionsPerDatabase: Int?

    @Option(help: "Milliseconds a query waits for one of its database's connections before 503 with Retry-After (env GRAPH_API_CONNECTION_WAIT_MS; default 5000).")
    var connectionWaitMs: Int?

    @Option(help: "Seconds an open database may go unused before it is closed (env GRAPH_API_IDLE_TIMEOUT_SECONDS; default 300).")
    var idleTimeoutSeconds: Int?

    @Option(help: "Threads running blocking engine calls (env GRAPH_API_ENGINE_THREADS; default 16).")
    var engineThreads: Int?

    @Option(help: "Seconds a kept-alive connection with no request in progress and nothing being sent stays open (env GRAPH_API_CONNECTION_IDLE_TIMEOUT_SECONDS; default 60).")
    var connectionIdleTimeoutSeconds: Int?

    @Option(help: "Seconds a connection may take to send a whole request head before it is closed (env GRAPH_API_REQUEST_HEAD_TIMEOUT_SECONDS; default 10).")
    var requestHeadTimeoutSeconds: Int?

    @Option(help: "Largest request body in MiB (env GRAPH_API_MAX_BODY_MB; default 16).")
    var maxBodyMb: Int?

    @Option(help: "Rows of a non-streaming result at most (env GRAPH_API_MAX_ROWS; default 10000).")
    var maxRows: Int?

    @Option(help: "Rows per streamed chunk by default (env GRAPH_API_CHUNK_SIZE; default from the tier).")
    var chunkSize: Int?

    @Option(help: "Default query timeout in seconds (env GRAPH_API_QUERY_TIMEOUT; default 30).")
    var queryTimeout: Double?

    @Option(help: "Largest query timeout a request may ask for, in seconds (env GRAPH_API_MAX_QUERY_TIMEOUT; default 300).")
    var maxQueryTimeout: Double?

    @Option(help: "Queries that may wait for a connection across the node at once; one more is answered 503 (env GRAPH_API_MAX_QUEUED_QUERIES; default 256).")
    var maxQueuedQueries: Int?

    @Option(help: "New queries are answered 503 while the server's resident memory is above this many MiB (env GRAPH_API_QUERY_MEMORY_LIMIT_MB; default 90% of physical memory).")
    var queryMemoryLimitMb: Int?

    @Option(help: "On SIGTERM, seconds running queries may go on before they are interrupted (env GRAPH_API_SHUTDOWN_GRACE_SECONDS; default 5).")
    var shutdownGraceSeconds: Int?

    @Option(help: "DuckDB memory limit of each graph's staging database and of each load, in MiB (env GRAPH_API_STAGING_MEMORY_MB; default 512).")
    var stagingMemoryMb: Int?

    @Option(help: "DuckDB threads of each staging database and of each load (env GRAPH_API_STAGING_THREADS; default 2).")
    var stagingThreads: Int?

    @Option(help: "Threads of the pool that runs every blocking DuckDB call (env GRAPH_API_STAGING_EXECUTOR_THREADS; default 8).")
    var stagingExecutorThreads: Int?

    @Option(help: "Rows a streamed staging SQL answer sends at most (env GRAPH_API_STAGING_MAX_STREAM_ROWS; default 1000000).")
    var stagingMaxStreamRows: Int?

    @Option(help: "Folder where backups are kept (env GRAPH_API_BACKUP_DIR; default <data-dir>/backups).")
    var backupDir: String?

    @Option(help: "S3 backup destination s3://bucket/prefix, reached with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL; the default destination once set (env GRAPH_API_BACKUP_S3_URI).")
    var backupS3Uri: String?

    @Option(help: "JSON file of backup keys {\"<key_id>\": \"<base64 of 32 bytes>\", ...}: the first encrypts, all decrypt (env GRAPH_API_BACKUP_KEY_FILE; else GRAPH_API_BACKUP_KEY, one key with id 'default').")
    var backupKeyFile: String?

    @Option(help: "The node's default backup schedule for graphs without their own: an interval (6h, 1d) or a five-field cron expression in UTC (env GRAPH_API_BACKUP_SCHEDULE; default none).")
    var backupSchedule: String?

    @Option(help: "Retention of the default schedule: keep the newest N scheduled backups (env GRAPH_API_BACKUP_KEEP_LAST).")
    var backupKeepLast: Int?

    @Option(help: "Retention of the default schedule: keep scheduled backups younger than N days (env GRAPH_API_BACKUP_KEEP_DAYS).")
    var backupKeepDays: Int?

    @Option(help: "The largest archive a restore takes as its request body, in GiB (env GRAPH_API_MAX_RESTORE_UPLOAD_GB; default 64).")
    var maxRestoreUploadGb: Int?

    @Option(help: "Threads that compress and encrypt (or check and decompress) one archive (env GRAPH_API_BACKUP_THREADS; default 2).")
    var backupThreads: Int?

    @Option(help: "Keep each graph's write journal for point-in-time restores: on | off (env GRAPH_API_JOURNAL; default on).")
    var journal: String?

    @Option(help: "Hours each graph's journal keeps its entries restorable (env GRAPH_API_JOURNAL_RETENTION_HOURS; default 24).")
    var journalRetentionHours: Int?

    @Option(help: "Seconds between shipments of each graph's journal to the backup destination, where replicas follow it; 0 ships nothing (env GRAPH_API_JOURNAL_SHIP_SECONDS; default 5).")
    var journalShipSeconds: Int?

    @Option(help: "On a shared_replica node: the backup destination a master publishes to (its --backup-dir folder, or its --backup-s3-uri s3://bucket/prefix); the node follows the graphs published there, read-only (env GRAPH_API_REPLICA_OF).")
    var replicaOf: String?

    @Option(help: "With --replica-of: follow only these graphs, comma-separated (env GRAPH_API_REPLICA_GRAPHS; default every graph published).")
    var replicaGraphs: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(help: "Log lines as json | text (env GRAPH_API_LOG_FORMAT; default json in production, text in development).")
    var logFormat: String?

    /// The flags given, by their setting's name (``ServerSetting``), other than those
    /// ``ServerConfiguration/Flags`` has a field for.
    var settingFlags: [String: String] {
        let values: [ServerSetting: String?] = [
            .keysFile: keysFile, .maxAuthFailuresPerMinute: maxAuthFailuresPerMinute.map(String.init),
            .maxDatabases: maxDatabases.map(String.init), .maxOpenDatabases: maxOpenDatabases.map(String.init),
            .memoryPerDatabaseMB: memoryPerDatabaseMb.map(String.init), .memoryFor: memoryFor, .maxDatabaseSizeGB: maxDatabaseSizeGb.map(String.init),
            .threadsPerQuery: threadsPerQuery.map(String.init), .connectionsPerDatabase: connectionsPerDatabase.map(String.init),
            .connectionWaitMS: connectionWaitMs.map(String.init), .idleTimeoutSeconds: idleTimeoutSeconds.map(String.init),
            .engineThreads: engineThreads.map(String.init),
            .connectionIdleTimeoutSeconds: connectionIdleTimeoutSeconds.map(String.init),
            .requestHeadTimeoutSeconds: requestHeadTimeoutSeconds.map(String.init),
            .maxBodyMB: maxBodyMb.map(String.init), .maxRows: maxRows.map(String.init), .chunkSize: chunkSize.map(String.init),
            .queryTimeout: queryTimeout.map { String($0) }, .maxQueryTimeout: maxQueryTimeout.map { String($0) },
            .maxQueuedQueries: maxQueuedQueries.map(String.init), .queryMemoryLimitMB: queryMemoryLimitMb.map(String.init),
            .shutdownGraceSeconds: shutdownGraceSeconds.map(String.init),
            .stagingMemoryMB: stagingMemoryMb.map(String.init), .stagingThreads: stagingThreads.map(String.init),
            .stagingExecutorThreads: stagingExecutorThreads.map(String.init), .stagingMaxStreamRows: stagingMaxStreamRows.map(String.init),
            .backupDir: backupDir, .backupKeyFile: backupKeyFile, .backupS3URI: backupS3Uri, .backupSchedule: backupSchedule,
            .backupKeepLast: backupKeepLast.map(String.init), .backupKeepDays: backupKeepDays.map(String.init),
            .maxRestoreUploadGB: maxRestoreUploadGb.map(String.init), .backupThreads: backupThreads.map(String.init),
            .journal: journal, .journalRetentionHours: journalRetentionHours.map(String.init),
            .journalShipSeconds: journalShipSeconds.map(String.init), .replicaOf: replicaOf, .replicaGraphs: replicaGraphs,
            .logLevel: logLevel,
        ]
        var flags: [String: String] = [:]
        for case let (setting, value?) in values { flags[setting.rawValue] = value }
        return flags
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(
                flags: .init(
                    host: host, port: port, dataDirectory: dataDir, importDirectory: importDir,
                    nodeType: nodeType, tier: tier, environment: env, settings: settingFlags
                ),
                environment: environment
            )
        } catch {
            throw ValidationError(error.description)
        }
        // Only the executable bootstraps logging and metrics, before the first Logger exists.
        do {
            let format = try LogFormat.resolve(flag: logFormat, environment: environment, deployment: configuration.environment)
            ObservabilityBootstrap.bootstrapLogging(format: format)
            configuration.logFormat = format.rawValue
        } catch {
            throw ValidationError(error.description)
        }
        let metrics = ServerMetrics()
        ObservabilityBootstrap.bootstrapMetrics(metrics)
        var logger = Logger(label: "graph-api")
        logger.logLevel = configuration.logLevel
        do {
            try await runGraphAPIServer(configuration: configuration, logger: logger, metrics: metrics)
        } catch let error as ListenAddressUnavailable {
            FileHandle.standardError.write(Data("graph-api serve: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
