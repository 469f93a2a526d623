import Foundation

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
    /// Accepted API keys (several, so a key can be rotated without downtime).
    public var apiKeys: [String] = []

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

        /// Creates an empty set of flags.
        public init(
            host: String? = nil, port: Int? = nil, dataDirectory: String? = nil, importDirectory: String? = nil,
            nodeType: String? = nil, tier: String? = nil, environment: String? = nil
        ) {
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
        func pick(_ flag: String?, _ name: String) -> String? {
            if let flag { return flag }
            if let value = env[name], !value.isEmpty { return value }
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
        if let host = pick(flags.host, "GRAPH_API_HOST") { config.host = host }
        if let port = flags.port {
            config.port = port
        } else if let raw = pick(nil, "GRAPH_API_PORT") {
            guard let port = Int(raw) else { throw ConfigurationError("invalid GRAPH_API_PORT '\(raw)': not a number") }
            config.port = port
        }
        guard (0...65535).contains(config.port) else {
            throw ConfigurationError("invalid port \(config.port): expected 0...65535 (0 picks a free port)")
        }
        if let dir = pick(flags.dataDirectory, "GRAPH_API_DATA_DIR") {
            guard !dir.isEmpty else { throw ConfigurationError("the data directory must not be empty") }
            config.dataDirectory = dir
        }
        config.importDirectory = pick(flags.importDirectory, "GRAPH_API_IMPORT_DIR")
            ?? (config.dataDirectory as NSString).appendingPathComponent("import")
        if let value = try parse(pick(flags.nodeType, "GRAPH_API_NODE_TYPE"), "node type", as: NodeType.self) {
            config.nodeType = value
        }
        if let value = try parse(pick(flags.tier, "GRAPH_API_TIER"), "tier", as: Tier.self) { config.tier = value }
        if let value = try parse(pick(flags.environment, "GRAPH_API_ENV"), "environment", as: DeploymentEnvironment.self) {
            config.environment = value
        }
        var keys: [String] = []
        if let key = env["GRAPH_API_KEY"], !key.isEmpty { keys.append(key) }
        for key in (env["GRAPH_API_KEYS"] ?? "").split(separator: ",") {
            let trimmed = key.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty, !keys.contains(trimmed) { keys.append(trimmed) }
        }
        config.apiKeys = keys
        if config.environment == .production, keys.isEmpty {
            throw ConfigurationError("production mode needs an API key: set GRAPH_API_KEY or GRAPH_API_KEYS")
        }
        return config
    }
}
