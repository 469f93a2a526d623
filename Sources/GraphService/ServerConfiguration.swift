import BackupArchive
import Foundation
import Logging
import S3Client

/// The role a server node plays, from the `--node-type` flag.
public enum NodeType: String, Sendable, CaseIterable, Codable {
    /// Read/write tenant databases.
    case writer
    /// Writes shared repositories.
    case sharedMaster = "shared_master"
    /// Read-only copies of shared repositories: every database is opened read-only.
    case sharedReplica = "shared_replica"

    /// Whether databases on this node are opened read-only.
    public var isReadOnly: Bool { self == .sharedReplica }
}

/// Deployment mode, from the `--env` flag.
public enum DeploymentEnvironment: String, Sendable, CaseIterable, Codable {
    /// Local development: the server may run without an API key (and says so loudly).
    case development
    /// Production: the server refuses to start without an API key.
    case production
}

/// Sizing presets for a node; every value can be overridden.
public enum Tier: String, Sendable, CaseIterable, Codable {
    case standard, large, xlarge, shared

    /// The preset values of this tier (from the service the seeds describe).
    public var preset: TierPreset {
        let gib: UInt64 = 1 << 30
        switch self {
        case .standard:
            return TierPreset(maxDatabases: 10, memoryPerDatabaseBytes: 2 * gib, chunkSize: 1_000, connectionsPerDatabase: 10)
        case .large:
            return TierPreset(maxDatabases: 1, memoryPerDatabaseBytes: 14 * gib, chunkSize: 5_000, connectionsPerDatabase: 10)
        case .xlarge:
            return TierPreset(maxDatabases: 1, memoryPerDatabaseBytes: 28 * gib, chunkSize: 10_000, connectionsPerDatabase: 10)
        case .shared:
            return TierPreset(maxDatabases: 10, memoryPerDatabaseBytes: 2 * gib, chunkSize: 5_000, connectionsPerDatabase: 10)
        }
    }
}

/// The defaults a ``Tier`` sets.
public struct TierPreset: Sendable, Equatable {
    /// Databases this node may hold.
    public var maxDatabases: Int
    /// Buffer pool size of each open database, in bytes.
    public var memoryPerDatabaseBytes: UInt64
    /// Rows per streamed chunk when the request does not say.
    public var chunkSize: Int
    /// Engine connections per open database.
    public var connectionsPerDatabase: Int
}

/// A configuration value that could not be used; the message names the setting and the value.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, naming the setting.
    public let description: String
    /// Creates an error with its message.
    public init(_ description: String) { self.description = description }
}

/// Everything `graph-api serve` runs with. Built by ``resolve(flags:environment:)`` from command-line
/// flags, then environment variables, then defaults (flags win).
public struct ServerConfiguration: Sendable {
    /// Address to bind.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free port.
    public var port: Int = 8001
    /// Folder holding every graph's files.
    public var dataDirectory: String = "./data"
    /// Local files may be ingested only from below this folder.
    public var importDirectory: String = "./data/import"
    /// Role of this node.
    public var nodeType: NodeType = .writer
    /// Sizing preset.
    public var tier: Tier = .standard
    /// Development or production.
    public var environment: DeploymentEnvironment = .development
    /// Accepted API keys (several, so a key can be rotated without downtime), with their scopes.
    public var apiKeys: [APIKey] = []
    /// The scoped keys file the keys of ``apiKeys`` with scopes came from, if any.
    public var keysFile: String?
    /// Failed authentications from all client addresses together within a minute before every
    /// missing or wrong key is answered `429` (a valid key still passes); see ``Authenticator``.
    public var maxAuthFailuresPerMinute: Int = 100
    /// Graphs this node may hold; `nil` takes the tier's.
    public var maxDatabases: Int?
    /// Databases kept open at once; `nil` takes the tier's database count (at most 64).
    public var maxOpenDatabases: Int?
    /// Buffer pool per open database in bytes; `nil` takes the tier's.
    public var bufferPoolBytes: UInt64?
    /// Buffer pools of named graphs, in bytes, instead of ``bufferPoolBytes`` (`--memory-for
    /// GRAPH=MiB,...`): a graph that outgrew the node's setting gets more without every graph
    /// getting it.
    public var memoryForGraphs: [String: UInt64] = [:]
    /// Address space reserved per database (`max_db_size`).
    public var maxDatabaseSizeBytes: UInt64 = 64 << 30
    /// Engine threads per query.
    public var threadsPerQuery: Int = 2
    /// Connections (concurrent queries) per database; `nil` takes the tier's.
    public var connectionsPerDatabase: Int?
    /// How long a query waits for a connection of a busy database before `503`.
    public var connectionWaitMilliseconds: Int = 5_000
    /// An open database unused this long is closed.
    public var idleTimeoutSeconds: Int = 300
    /// A kept-alive HTTP connection with no request in progress and nothing being sent is closed
    /// after this long.
    public var connectionIdleTimeoutSeconds: Int = 60
    /// A connection that has not sent a whole request head this long after it opened (or, kept
    /// alive, after the first byte of its next request) is closed.
    public var requestHeadTimeoutSeconds: Int = 10
    /// Threads of the pool that runs every blocking engine call.
    public var engineThreads: Int = 16
    /// Largest request body in bytes (`413` beyond).
    public var maxBodyBytes: Int = 16 << 20
    /// Rows of a non-streaming query result at most (`truncated: true` beyond).
    public var maxRows: Int = 10_000
    /// Rows per streamed chunk when the request does not say; `nil` takes the tier's.
    public var chunkSize: Int?
    /// Query timeout in seconds when the request does not say.
    public var defaultQueryTimeoutSeconds: Double = 30
    /// Largest query timeout a request may ask for, in seconds.
    public var maxQueryTimeoutSeconds: Double = 300
    /// On SIGTERM, how long running queries may go on before they are interrupted.
    public var shutdownGraceSeconds: Int = 5
    /// Queries that may wait for a connection across the node at once; one more is `503`.
    public var maxQueuedQueries: Int = 256
    /// New queries are refused with `503` while the process's resident memory is above this many
    /// bytes; `nil` takes 90% of the machine's physical memory.
    public var queryMemoryLimitBytes: UInt64?
    /// DuckDB `memory_limit` of each graph's staging database, in bytes (larger work spills to disk).
    public var stagingMemoryBytes: UInt64 = 512 << 20
    /// DuckDB worker threads of each staging database and of each load.
    public var stagingThreads: Int = 2
    /// Rows a streamed staging query (`/tables/query` as NDJSON or SSE) sends at most; DuckDB
    /// materialises its result, so this bounds the memory one query can take.
    public var maxStagingStreamRows: Int = 1_000_000
    /// Threads of the pool that runs every blocking DuckDB call.
    public var stagingExecutorThreads: Int = 8
    /// S3 credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_DEFAULT_REGION` and `AWS_ENDPOINT_URL`; a request's own `s3_credentials` win.
    public var s3Credentials: S3Credentials?
    /// Where backups are kept (`--backup-dir`; default `<data-dir>/backups`, following
    /// ``dataDirectory`` until set).
    public var backupDirectory: String {
        get { explicitBackupDirectory ?? (dataDirectory as NSString).appendingPathComponent("backups") }
        set { explicitBackupDirectory = newValue }
    }
    private var explicitBackupDirectory: String?
    /// Backup keys from `--backup-key-file` or `GRAPH_API_BACKUP_KEY`: the first encrypts, all
    /// decrypt. None: backups are unencrypted and `encryption: true` is refused.
    public var backupKeys: BackupKeyRing = .empty
    /// The file ``backupKeys`` came from (`--backup-key-file`), if any.
    public var backupKeyFile: String?
    /// The ids of ``backupKeys``, the encrypting one first.
    public var backupKeyIDs: [String] { backupKeys.keys.map(\.id) }
    /// Threads that compress and encrypt (or check and decompress) one archive.
    public var backupThreads: Int = 2
    /// The S3 backup destination (`--backup-s3-uri s3://bucket/prefix`), with the `AWS_*`
    /// settings it is reached with; `nil`: backups are local only.
    public var backupS3: BackupS3Settings?
    /// The node's default backup schedule (`--backup-schedule`, `--backup-keep-last`,
    /// `--backup-keep-days`) for graphs without their own; `nil`: none.
    public var backupSchedule: BackupSchedule?
    /// The largest archive a restore takes as its request body, in bytes.
    public var maxRestoreUploadBytes: Int64 = 64 << 30
    /// Whether graphs keep a write journal for point-in-time recovery (`--journal on|off`);
    /// a read-only node never does.
    public var journal = true
    /// Hours a journal keeps its entries restorable (`--journal-retention-hours`).
    public var journalRetentionHours = 24
    /// Seconds between shipments of the journals to the backup destination
    /// (`--journal-ship-seconds`); 0: the journals are not shipped.
    public var journalShipSeconds = 5
    /// The destination a `shared_replica` follows (`--replica-of`: a local folder or an S3
    /// location where a master publishes); `nil`: the node serves its own data.
    public var replicaOf: ReplicaSource?
    /// The graphs a replica follows (`--replica-graphs`); `nil`: every graph published.
    public var replicaGraphs: [GraphID]?
    /// The level of the server's log (`--log-level`, `LOG_LEVEL`).
    public var logLevel: Logger.Level = .info
    /// The format of the server's log lines (`json` or `text`), as the executable set up logging;
    /// `nil` when the process did not (tests).
    public var logFormat: String?
    /// How often the scheduler looks for due backups.
    public var backupSchedulerTick: Duration = .seconds(30)

    /// Creates the default configuration.
    public init() {}

    /// Values given on the command line; `nil` means "not given".
    public struct Flags: Sendable {
        public var host: String?
        public var port: Int?
        public var dataDirectory: String?
        public var importDirectory: String?
        public var nodeType: String?
        public var tier: String?
        public var environment: String?
        /// Further settings by their environment-variable name without the `GRAPH_API_` prefix
        /// (e.g. `MAX_DATABASES`), given on the command line.
        public var settings: [String: String] = [:]

        /// Creates an empty set of flags.
        public init(
            host: String? = nil, port: Int? = nil, dataDirectory: String? = nil, importDirectory: String? = nil,
            nodeType: String? = nil, tier: String? = nil, environment: String? = nil, settings: [String: String] = [:]
        ) {
            self.settings = settings
            self.host = host
            self.port = port
            self.dataDirectory = dataDirectory
            self.importDirectory = importDirectory
            self.nodeType = nodeType
            self.tier = tier
            self.environment = environment
        }
    }

    /// Resolves the configuration: a flag wins over its `GRAPH_API_*` environment variable, which
    /// wins over the default. Invalid values throw a ``ConfigurationError`` naming the setting.
    public static func resolve(flags: Flags, environment env: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        // Every value is read through its ``ServerSetting``: a flag of its own, else one of
        // `flags.settings`, else the environment.
        func pick(_ setting: ServerSetting, flag: String? = nil) -> String? {
            if let flag = flag ?? flags.settings[setting.rawValue] { return flag }
            if let value = env[setting.environmentVariable], !value.isEmpty { return value }
            return nil
        }
        func parse<T: RawRepresentable & CaseIterable>(_ raw: String?, _ setting: String, as: T.Type) throws(ConfigurationError) -> T?
        where T.RawValue == String {
            guard let raw else { return nil }
            guard let value = T(rawValue: raw) else {
                let allowed = T.allCases.map(\.rawValue).joined(separator: "|")
                throw ConfigurationError("invalid \(setting) '\(raw)': expected one of \(allowed)")
            }
            return value
        }

        var config = ServerConfiguration()
        if let host = pick(.host, flag: flags.host) { config.host = host }
        if let port = flags.port {
            config.port = port
        } else if let raw = pick(.port) {
            guard let port = Int(raw) else { throw ConfigurationError("invalid \(ServerSetting.port.environmentVariable) '\(raw)': not a number") }
            config.port = port
        }
        guard (0...65535).contains(config.port) else {
            throw ConfigurationError("invalid port \(config.port): expected 0...65535 (0 picks a free port)")
        }
        if let dir = pick(.dataDir, flag: flags.dataDirectory) {
            guard !dir.isEmpty else { throw ConfigurationError("the data directory must not be empty") }
            config.dataDirectory = dir
        }
        config.importDirectory = pick(.importDir, flag: flags.importDirectory)
            ?? (config.dataDirectory as NSString).appendingPathComponent("import")
        if let value = try parse(pick(.nodeType, flag: flags.nodeType), "node type", as: NodeType.self) {
            config.nodeType = value
        }
        if let value = try parse(pick(.tier, flag: flags.tier), "tier", as: Tier.self) { config.tier = value }
        if let value = try parse(pick(.env, flag: flags.environment), "environment", as: DeploymentEnvironment.self) {
            config.environment = value
        }
        var keys: [String] = []
        if let key = pick(.key) { keys.append(key) }
        for key in (pick(.keys) ?? "").split(separator: ",") {
            let trimmed = key.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty, !keys.contains(trimmed) { keys.append(trimmed) }
        }
        config.apiKeys = keys.map { APIKey(secret: $0) }
        if let file = pick(.keysFile) {
            config.apiKeys += try ScopedKeysFile.load(path: file)
            config.keysFile = file
        }

        func integer(_ setting: ServerSetting, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let raw = pick(setting) else { return nil }
            guard let value = Int(raw), range.contains(value) else {
                throw ConfigurationError(
                    "invalid \(setting.environmentVariable) '\(raw)': expected a whole number in \(range.lowerBound)...\(range.upperBound)"
                )
            }
            return value
        }
        func seconds(_ setting: ServerSetting) throws(ConfigurationError) -> Double? {
            guard let raw = pick(setting) else { return nil }
            guard let value = Double(raw), value > 0, value.isFinite else {
                throw ConfigurationError("invalid \(setting.environmentVariable) '\(raw)': expected a positive number of seconds")
            }
            return value
        }
        config.maxAuthFailuresPerMinute = try integer(.maxAuthFailuresPerMinute, 1...100_000) ?? config.maxAuthFailuresPerMinute
        config.maxDatabases = try integer(.maxDatabases, 1...100_000)
        config.maxOpenDatabases = try integer(.maxOpenDatabases, 1...10_000)
        if let mib = try integer(.memoryPerDatabaseMB, 16...1_048_576) { config.bufferPoolBytes = UInt64(mib) << 20 }
        if let raw = pick(.memoryFor) { config.memoryForGraphs = try Self.memoryForGraphs(raw) }
        if let gib = try integer(.maxDatabaseSizeGB, 1...65_536) { config.maxDatabaseSizeBytes = UInt64(gib) << 30 }
        config.threadsPerQuery = try integer(.threadsPerQuery, 1...256) ?? config.threadsPerQuery
        config.connectionsPerDatabase = try integer(.connectionsPerDatabase, 1...1_000)
        config.connectionWaitMilliseconds = try integer(.connectionWaitMS, 0...600_000) ?? config.connectionWaitMilliseconds
        config.idleTimeoutSeconds = try integer(.idleTimeoutSeconds, 1...86_400) ?? config.idleTimeoutSeconds
        config.engineThreads = try integer(.engineThreads, 1...1_024) ?? config.engineThreads
        config.connectionIdleTimeoutSeconds = try integer(.connectionIdleTimeoutSeconds, 1...86_400) ?? config.connectionIdleTimeoutSeconds
        config.requestHeadTimeoutSeconds = try integer(.requestHeadTimeoutSeconds, 1...3_600) ?? config.requestHeadTimeoutSeconds
        if let mib = try integer(.maxBodyMB, 1...4_096) { config.maxBodyBytes = mib << 20 }
        config.maxRows = try integer(.maxRows, 1...10_000_000) ?? config.maxRows
        config.chunkSize = try integer(.chunkSize, 1...10_000)
        config.defaultQueryTimeoutSeconds = try seconds(.queryTimeout) ?? config.defaultQueryTimeoutSeconds
        config.maxQueryTimeoutSeconds = try seconds(.maxQueryTimeout) ?? config.maxQueryTimeoutSeconds
        config.maxQueuedQueries = try integer(.maxQueuedQueries, 1...1_000_000) ?? config.maxQueuedQueries
        if let mib = try integer(.queryMemoryLimitMB, 64...16_777_216) { config.queryMemoryLimitBytes = UInt64(mib) << 20 }
        config.shutdownGraceSeconds = try integer(.shutdownGraceSeconds, 0...3_600) ?? config.shutdownGraceSeconds
        if let mib = try integer(.stagingMemoryMB, 64...1_048_576) { config.stagingMemoryBytes = UInt64(mib) << 20 }
        config.stagingThreads = try integer(.stagingThreads, 1...256) ?? config.stagingThreads
        config.maxStagingStreamRows = try integer(.stagingMaxStreamRows, 1...100_000_000) ?? config.maxStagingStreamRows
        config.stagingExecutorThreads = try integer(.stagingExecutorThreads, 1...1_024) ?? config.stagingExecutorThreads
        config.s3Credentials = try S3Credentials(environment: env)
        if let directory = pick(.backupDir) { config.backupDirectory = directory }
        do {
            config.backupKeyFile = pick(.backupKeyFile)
            config.backupKeys = try BackupKeyRing.load(keyFile: config.backupKeyFile, environmentKey: pick(.backupKey))
        } catch {
            throw ConfigurationError("invalid backup key: \(error)")
        }
        config.backupThreads = try integer(.backupThreads, 1...64) ?? config.backupThreads
        if let gib = try integer(.maxRestoreUploadGB, 1...1_048_576) { config.maxRestoreUploadBytes = Int64(gib) << 30 }
        if let raw = pick(.journal) {
            switch raw.lowercased() {
            case "on", "true", "1": config.journal = true
            case "off", "false", "0": config.journal = false
            default: throw ConfigurationError("invalid \(ServerSetting.journal.environmentVariable) '\(raw)': expected on or off")
            }
        }
        config.journalRetentionHours = try integer(.journalRetentionHours, 1...87_600) ?? config.journalRetentionHours
        if let timing = pick(.backupSchedule) {
            let isCron = timing.contains(" ")
            let keepLast = try integer(.backupKeepLast, 1...100_000)
            let keepDays = try integer(.backupKeepDays, 1...36_500)
            let schedule = BackupSchedule(
                interval: isCron ? nil : timing, cron: isCron ? timing : nil,
                retention: keepLast == nil && keepDays == nil ? nil : .init(keepLast: keepLast, keepDays: keepDays.map(Double.init))
            )
            do {
                _ = try schedule.validated()
            } catch let error as ServiceError {
                throw ConfigurationError("invalid \(ServerSetting.backupSchedule.environmentVariable) '\(timing)': \(error.message)")
            } catch {
                throw ConfigurationError("invalid \(ServerSetting.backupSchedule.environmentVariable) '\(timing)': \(error)")
            }
            config.backupSchedule = schedule
        }
        if let uri = pick(.backupS3URI) {
            do {
                config.backupS3 = try BackupS3Settings(uri: uri, environment: env)
            } catch {
                throw ConfigurationError("invalid backup S3 destination '\(uri)': \(error)")
            }
        }
        config.journalShipSeconds = try integer(.journalShipSeconds, 0...86_400) ?? config.journalShipSeconds
        if let raw = pick(.replicaOf) {
            guard config.nodeType == .sharedReplica else {
                throw ConfigurationError("\(ServerSetting.replicaOf.flag!) is for a node started with --node-type shared_replica")
            }
            if raw.hasPrefix("s3://") {
                do {
                    config.replicaOf = .s3(try BackupS3Settings(uri: raw, environment: env))
                } catch {
                    throw ConfigurationError("invalid replica source '\(raw)': \(error)")
                }
            } else {
                guard !raw.isEmpty else { throw ConfigurationError("invalid replica source: empty") }
                config.replicaOf = .folder(raw)
            }
        }
        if let raw = pick(.replicaGraphs) {
            guard config.replicaOf != nil else {
                throw ConfigurationError("\(ServerSetting.replicaGraphs.flag!) needs \(ServerSetting.replicaOf.flag!)")
            }
            var graphs: [GraphID] = []
            for name in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                do {
                    graphs.append(try GraphID(validating: name))
                } catch {
                    throw ConfigurationError("invalid \(ServerSetting.replicaGraphs.environmentVariable) entry '\(name)': \(error.message)")
                }
            }
            guard !graphs.isEmpty else { throw ConfigurationError("invalid \(ServerSetting.replicaGraphs.environmentVariable): no graph ids") }
            config.replicaGraphs = graphs
        }
        if let raw = pick(.logLevel) {
            guard let level = Logger.Level(rawValue: raw) else {
                let allowed = Logger.Level.allCases.map(\.rawValue).joined(separator: "|")
                throw ConfigurationError("invalid log level '\(raw)': expected one of \(allowed)")
            }
            config.logLevel = level
        }
        config.defaultQueryTimeoutSeconds = min(config.defaultQueryTimeoutSeconds, config.maxQueryTimeoutSeconds)
        if config.environment == .production, keys.isEmpty {
            throw ConfigurationError("production mode needs an API key: set GRAPH_API_KEY or GRAPH_API_KEYS")
        }
        return config
    }
}

/// Scoped keys from a JSON file (`--keys-file` / `GRAPH_API_KEYS_FILE`):
/// `[{"key": "...", "graphs": ["g1", "g2"], "read_only": true}]`; `graphs` absent means every graph.
extension ServerConfiguration {
    /// The failed-authentication limits this configuration implies: the contract's 10 failures
    /// per address in 5 minutes, and ``maxAuthFailuresPerMinute`` from all addresses together.
    public var authenticationLimits: AuthenticationLimits {
        AuthenticationLimits(failuresPerNode: maxAuthFailuresPerMinute, nodeWindow: .seconds(60))
    }
}

enum ScopedKeysFile {
    struct Entry: Decodable {
        let key: String
        let graphs: [String]?
        let readOnly: Bool?
        enum CodingKeys: String, CodingKey {
            case key, graphs
            case readOnly = "read_only"
        }
    }

    static func load(path: String) throws(ConfigurationError) -> [APIKey] {
        let entries: [Entry]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            entries = try JSONDecoder().decode([Entry].self, from: data)
        } catch {
            throw ConfigurationError("cannot read the keys file '\(path)': \(error)")
        }
        var keys: [APIKey] = []
        for entry in entries {
            guard !entry.key.isEmpty else { throw ConfigurationError("the keys file '\(path)' has an empty key") }
            if let graphs = entry.graphs, let bad = graphs.first(where: { !GraphID.isValid($0) }) {
                throw ConfigurationError("the keys file '\(path)' names an invalid graph id '\(bad)'")
            }
            keys.append(APIKey(secret: entry.key, scope: KeyScope(graphs: entry.graphs.map(Set.init), readOnly: entry.readOnly ?? false)))
        }
        return keys
    }
}

/// Where S3 backups go and how S3 is reached.
/// Where a replica reads what its master publishes (`--replica-of`).
public enum ReplicaSource: Sendable, CustomStringConvertible {
    /// A local folder: the master's backup folder, or a copy of it.
    case folder(String)
    /// An S3 location: the master's `--backup-s3-uri`.
    case s3(BackupS3Settings)

    public var description: String {
        switch self {
        case .folder(let path): path
        case .s3(let settings): settings.location.description
        }
    }
}

public struct BackupS3Settings: Sendable {
    /// `s3://bucket/prefix`.
    public var location: S3Location
    /// Region, credentials, endpoint, retries.
    public var client: S3Client.Configuration

    public init(location: S3Location, client: S3Client.Configuration) {
        self.location = location
        self.client = client
    }

    /// `s3://bucket/prefix`, reached with the `AWS_*` settings of `environment`.
    init(uri: String, environment: [String: String]) throws {
        self.init(location: try S3Location(uri), client: try S3Client.Configuration.fromEnvironment(environment))
    }
}

extension ServerConfiguration {
    /// Parses `GRAPH=MiB,GRAPH=MiB` (`--memory-for`): each a valid graph id, once, with 16 to
    /// 1,048,576 MiB.
    static func memoryForGraphs(_ raw: String) throws(ConfigurationError) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        let setting = ServerSetting.memoryFor.environmentVariable
        for item in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let mib = Int(parts[1]), (16...1_048_576).contains(mib) else {
                throw ConfigurationError("invalid \(setting) item '\(item.prefix(100))': expected GRAPH=MiB with 16...1048576 MiB")
            }
            guard (try? GraphID(validating: parts[0])) != nil else {
                throw ConfigurationError("invalid \(setting) item '\(item.prefix(100))': '\(parts[0].prefix(64))' is not a valid graph id")
            }
            guard result[parts[0]] == nil else {
                throw ConfigurationError("invalid \(setting): graph '\(parts[0])' is given more than once")
            }
            result[parts[0]] = UInt64(mib) << 20
        }
        return result
    }
}
