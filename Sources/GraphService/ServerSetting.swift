import Foundation

/// Every setting of `graph-api serve`, declared once: its environment variable, its flag and
/// where `GET /info` reports it.
///
/// ``ServerConfiguration/resolve(flags:environment:)`` reads the environment through these
/// cases only, and a test checks that each appears in `graph-api serve --help` (flag and
/// variable), in the README's settings table and in `/info` (a secret as what stands for it,
/// never its value), so a setting cannot exist without being documented.
public enum ServerSetting: String, Sendable, CaseIterable {
    case host = "HOST"
    case port = "PORT"
    case dataDir = "DATA_DIR"
    case importDir = "IMPORT_DIR"
    case nodeType = "NODE_TYPE"
    case tier = "TIER"
    case env = "ENV"
    case key = "KEY"
    case keys = "KEYS"
    case keysFile = "KEYS_FILE"
    case maxAuthFailuresPerMinute = "MAX_AUTH_FAILURES_PER_MINUTE"
    case maxDatabases = "MAX_DATABASES"
    case maxOpenDatabases = "MAX_OPEN_DATABASES"
    case memoryPerDatabaseMB = "MEMORY_PER_DATABASE_MB"
    case memoryFor = "MEMORY_FOR"
    case maxDatabaseSizeGB = "MAX_DATABASE_SIZE_GB"
    case threadsPerQuery = "THREADS_PER_QUERY"
    case connectionsPerDatabase = "CONNECTIONS_PER_DATABASE"
    case connectionWaitMS = "CONNECTION_WAIT_MS"
    case idleTimeoutSeconds = "IDLE_TIMEOUT_SECONDS"
    case engineThreads = "ENGINE_THREADS"
    case connectionIdleTimeoutSeconds = "CONNECTION_IDLE_TIMEOUT_SECONDS"
    case requestHeadTimeoutSeconds = "REQUEST_HEAD_TIMEOUT_SECONDS"
    case maxBodyMB = "MAX_BODY_MB"
    case maxRows = "MAX_ROWS"
    case chunkSize = "CHUNK_SIZE"
    case queryTimeout = "QUERY_TIMEOUT"
    case maxQueryTimeout = "MAX_QUERY_TIMEOUT"
    case maxQueuedQueries = "MAX_QUEUED_QUERIES"
    case queryMemoryLimitMB = "QUERY_MEMORY_LIMIT_MB"
    case shutdownGraceSeconds = "SHUTDOWN_GRACE_SECONDS"
    case stagingMemoryMB = "STAGING_MEMORY_MB"
    case stagingThreads = "STAGING_THREADS"
    case stagingExecutorThreads = "STAGING_EXECUTOR_THREADS"
    case stagingMaxStreamRows = "STAGING_MAX_STREAM_ROWS"
    case backupDir = "BACKUP_DIR"
    case backupS3URI = "BACKUP_S3_URI"
    case backupKeyFile = "BACKUP_KEY_FILE"
    case backupKey = "BACKUP_KEY"
    case backupThreads = "BACKUP_THREADS"
    case backupSchedule = "BACKUP_SCHEDULE"
    case backupKeepLast = "BACKUP_KEEP_LAST"
    case backupKeepDays = "BACKUP_KEEP_DAYS"
    case maxRestoreUploadGB = "MAX_RESTORE_UPLOAD_GB"
    case journal = "JOURNAL"
    case journalRetentionHours = "JOURNAL_RETENTION_HOURS"
    case journalShipSeconds = "JOURNAL_SHIP_SECONDS"
    case replicaOf = "REPLICA_OF"
    case replicaGraphs = "REPLICA_GRAPHS"
    case logLevel = "LOG_LEVEL"
    case logFormat = "LOG_FORMAT"

    /// The environment variable: `GRAPH_API_<name>`, and `LOG_LEVEL` for the log level.
    public var environmentVariable: String {
        self == .logLevel ? rawValue : "GRAPH_API_" + rawValue
    }

    /// Whether the value is a secret: it is set only through the environment (a flag shows in
    /// the process list), and `/info` reports what stands for it, never the value.
    public var isSecret: Bool {
        switch self {
        case .key, .keys, .backupKey: true
        default: false
        }
    }

    /// The flag of `graph-api serve` (`--max-rows` for `MAX_ROWS`); `nil` for a secret.
    public var flag: String? {
        isSecret ? nil : "--" + rawValue.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// Where `GET /info` (for an operator key) reports the setting: dotted paths of keys into its
    /// body. For a secret, what stands for it: the number of keys, the backup keys' ids.
    public var infoPaths: [String] {
        let name: String
        switch self {
        case .host: name = "host"
        case .port: name = "port"
        case .dataDir: name = "data_dir"
        case .importDir: name = "import_dir"
        case .nodeType: name = "node_type"
        case .tier: name = "tier"
        case .env: name = "environment"
        case .key, .keys: name = "authentication.api_keys_configured"
        case .keysFile: name = "authentication.keys_file"
        case .maxAuthFailuresPerMinute: name = "authentication.max_failures_node_wide"
        case .maxDatabases: name = "max_databases"
        case .maxOpenDatabases: name = "max_open_databases"
        case .memoryPerDatabaseMB: name = "memory_per_database_bytes"
        case .memoryFor: name = "memory_for_graphs"
        case .maxDatabaseSizeGB: name = "max_database_size_bytes"
        case .threadsPerQuery: name = "threads_per_query"
        case .connectionsPerDatabase: name = "connections_per_database"
        case .connectionWaitMS: name = "connection_wait_ms"
        case .idleTimeoutSeconds: name = "idle_timeout_seconds"
        case .engineThreads: name = "engine_threads"
        case .connectionIdleTimeoutSeconds: name = "connection_idle_timeout_seconds"
        case .requestHeadTimeoutSeconds: name = "request_head_timeout_seconds"
        case .maxBodyMB: name = "max_body_bytes"
        case .maxRows: name = "max_rows"
        case .chunkSize: name = "chunk_size"
        case .queryTimeout: name = "default_query_timeout_seconds"
        case .maxQueryTimeout: name = "max_query_timeout_seconds"
        case .maxQueuedQueries: name = "max_queued_queries"
        case .queryMemoryLimitMB: name = "query_memory_limit_bytes"
        case .shutdownGraceSeconds: name = "shutdown_grace_seconds"
        case .stagingMemoryMB: name = "staging.memory_bytes"
        case .stagingThreads: name = "staging.threads"
        case .stagingExecutorThreads: name = "staging.executor_threads"
        case .stagingMaxStreamRows: name = "staging.max_stream_rows"
        case .backupDir: name = "backup.directory"
        case .backupS3URI: name = "backup.s3_uri"
        case .backupKeyFile: name = "backup.key_file"
        case .backupKey: name = "backup.key_ids"
        case .backupThreads: name = "backup.threads"
        case .backupSchedule: return ["configuration.backup.default_schedule_interval", "configuration.backup.default_schedule_cron"]
        case .backupKeepLast: name = "backup.default_schedule_keep_last"
        case .backupKeepDays: name = "backup.default_schedule_keep_days"
        case .maxRestoreUploadGB: name = "backup.max_restore_upload_bytes"
        case .journal: name = "backup.journal"
        case .journalRetentionHours: name = "backup.journal_retention_hours"
        case .journalShipSeconds: name = "backup.journal_ship_seconds"
        case .replicaOf: name = "replication.replica_of"
        case .replicaGraphs: name = "replication.replica_graphs"
        case .logLevel: name = "log_level"
        case .logFormat: name = "log_format"
        }
        return ["configuration." + name]
    }
}
