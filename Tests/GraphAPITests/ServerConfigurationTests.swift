import BackupArchive
import Foundation
import GraphEngine
import S3Client
import Testing

@testable import GraphAPI
@testable import GraphService

@Suite struct ServerConfigurationTests {
    @Test func backupSettingsComeFromFlagsEnvironmentOrKeyFile() throws {
        let defaults = try ServerConfiguration.resolve(flags: .init(dataDirectory: "/srv/g"), environment: [:])
        #expect(defaults.backupDirectory == "/srv/g/backups")
        #expect(defaults.backupKeys.keys.isEmpty)
        #expect(defaults.backupThreads == 2)
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let fromEnv = try ServerConfiguration.resolve(
            flags: .init(), environment: ["GRAPH_API_BACKUP_KEY": key, "GRAPH_API_BACKUP_DIR": "/b", "GRAPH_API_BACKUP_THREADS": "3"]
        )
        #expect(fromEnv.backupKeys.encryptionKey?.id == "default")
        #expect(fromEnv.backupDirectory == "/b")
        #expect(fromEnv.backupThreads == 3)
        let file = FileManager.default.temporaryDirectory.path + "/backup-keys-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("{\"new\": \"\(key)\", \"old\": \"\(Data(repeating: 1, count: 32).base64EncodedString())\"}".utf8)
            .write(to: URL(fileURLWithPath: file))
        let fromFile = try ServerConfiguration.resolve(
            flags: .init(settings: ["BACKUP_KEY_FILE": file, "BACKUP_DIR": "/flag"]), environment: ["GRAPH_API_BACKUP_KEY": key, "GRAPH_API_BACKUP_DIR": "/b"]
        )
        #expect(fromFile.backupKeys.keys.map(\.id) == ["new", "old"])
        #expect(fromFile.backupDirectory == "/flag")
        for bad in [["GRAPH_API_BACKUP_KEY": "c2hvcnQ="], ["GRAPH_API_BACKUP_KEY_FILE": "/nonexistent/keys.json"], ["GRAPH_API_BACKUP_THREADS": "0"]] {
            #expect(throws: ConfigurationError.self) { try ServerConfiguration.resolve(flags: .init(), environment: bad) }
        }
        // An S3 destination needs credentials, and a valid s3:// URI.
        let s3 = try ServerConfiguration.resolve(
            flags: .init(settings: ["BACKUP_S3_URI": "s3://bucket/some/prefix"]),
            environment: ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"]
        )
        #expect(s3.backupS3?.location.bucket == "bucket")
        #expect(s3.backupS3?.location.prefix == "some/prefix")
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.resolve(flags: .init(settings: ["BACKUP_S3_URI": "s3://bucket/p"]), environment: [:])
        }
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.resolve(
                flags: .init(), environment: ["GRAPH_API_BACKUP_S3_URI": "http://x/y", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "s"]
            )
        }
        do {
            _ = try ServerConfiguration.resolve(flags: .init(), environment: ["GRAPH_API_BACKUP_KEY": "c2hvcnQ="])
        } catch {
            #expect(error.description.contains("base64 of 32 bytes"), "\(error)")
        }
    }

    @Test func defaultsMatchTheContract() throws {
        let config = try ServerConfiguration.resolve(flags: .init(), environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8001)
        #expect(config.dataDirectory == "./data")
        #expect(config.importDirectory == "data/import" || config.importDirectory == "./data/import")
        #expect(config.nodeType == .writer)
        #expect(config.tier == .standard)
        #expect(config.environment == .development)
        #expect(config.apiKeys.isEmpty)
    }

    @Test func environmentIsReadAndFlagsWin() throws {
        let env = [
            "GRAPH_API_HOST": "0.0.0.0", "GRAPH_API_PORT": "9000", "GRAPH_API_DATA_DIR": "/srv/graphs",
            "GRAPH_API_NODE_TYPE": "shared_replica", "GRAPH_API_TIER": "large", "GRAPH_API_ENV": "production",
            "GRAPH_API_KEY": "k1", "GRAPH_API_KEYS": "k2, k1 ,k3",
        ]
        let fromEnv = try ServerConfiguration.resolve(flags: .init(), environment: env)
        #expect(fromEnv.host == "0.0.0.0")
        #expect(fromEnv.port == 9000)
        #expect(fromEnv.dataDirectory == "/srv/graphs")
        #expect(fromEnv.importDirectory == "/srv/graphs/import")
        #expect(fromEnv.nodeType == .sharedReplica)
        #expect(fromEnv.nodeType.isReadOnly)
        #expect(fromEnv.tier == .large)
        #expect(fromEnv.environment == .production)
        #expect(fromEnv.apiKeys.map(\.secret) == ["k1", "k2", "k3"])
        #expect(fromEnv.apiKeys.allSatisfy { $0.scope == .unrestricted })

        let flagged = try ServerConfiguration.resolve(
            flags: .init(host: "::1", port: 0, dataDirectory: "/tmp/x", importDirectory: "/imports", nodeType: "writer", tier: "xlarge"),
            environment: env
        )
        #expect(flagged.host == "::1")
        #expect(flagged.port == 0)
        #expect(flagged.dataDirectory == "/tmp/x")
        #expect(flagged.importDirectory == "/imports")
        #expect(flagged.nodeType == .writer)
        #expect(flagged.tier == .xlarge)
    }

    @Test(arguments: [
        (ServerConfiguration.Flags(tier: "huge"), [String: String](), "invalid tier 'huge'"),
        (ServerConfiguration.Flags(nodeType: "reader"), [:], "invalid node type 'reader'"),
        (ServerConfiguration.Flags(environment: "staging"), [:], "invalid environment 'staging'"),
        (ServerConfiguration.Flags(port: 70000), [:], "invalid port 70000"),
        (ServerConfiguration.Flags(), ["GRAPH_API_PORT": "eighty"], "invalid GRAPH_API_PORT 'eighty'"),
        (ServerConfiguration.Flags(environment: "production"), [:], "production mode needs an API key"),
    ])
    func invalidValuesAreRefusedWithTheirName(flags: ServerConfiguration.Flags, env: [String: String], message: String) {
        #expect {
            try ServerConfiguration.resolve(flags: flags, environment: env)
        } throws: { error in
            (error as? ConfigurationError)?.description.hasPrefix(message) == true
        }
    }

    /// `--memory-for GRAPH=MiB,...`: a named graph opens with its own pool (and the checkpoint
    /// threshold of that pool); anything malformed is refused naming the item.
    @Test func memoryForNamedGraphsIsReadAndChecked() throws {
        let configuration = try ServerConfiguration.resolve(
            flags: .init(settings: ["MEMORY_FOR": "big=256, huge=1024", "MEMORY_PER_DATABASE_MB": "64"]), environment: [:])
        #expect(configuration.memoryForGraphs == ["big": 256 << 20, "huge": 1024 << 20])
        let settings = configuration.tenancySettings
        #expect(settings.databaseConfiguration(for: "big").bufferPoolSize == 256 << 20)
        #expect(settings.databaseConfiguration(for: "big").checkpointThreshold == 16 << 20)
        #expect(settings.databaseConfiguration(for: "other").bufferPoolSize == 64 << 20)
        #expect(settings.databaseConfiguration(for: "other").checkpointThreshold == 4 << 20)
        #expect(try ServerConfiguration.resolve(flags: .init(), environment: ["GRAPH_API_MEMORY_FOR": "g=32"]).memoryForGraphs == ["g": 32 << 20])
        for (bad, message) in [
            ("big", "invalid GRAPH_API_MEMORY_FOR item 'big'"), ("big=8", "invalid GRAPH_API_MEMORY_FOR item 'big=8'"),
            ("../x=64", "invalid GRAPH_API_MEMORY_FOR item '../x=64'"), ("a=64,a=128", "invalid GRAPH_API_MEMORY_FOR: graph 'a'"),
        ] {
            #expect {
                try ServerConfiguration.resolve(flags: .init(), environment: ["GRAPH_API_MEMORY_FOR": bad])
            } throws: { error in
                (error as? ConfigurationError)?.description.hasPrefix(message) == true
            }
        }
    }

    /// `--journal-ship-seconds`, `--replica-of`, `--replica-graphs`: read, and refused where
    /// they make no sense.
    @Test func replicationSettingsAreReadAndChecked() throws {
        let defaults = try ServerConfiguration.resolve(flags: .init(), environment: [:])
        #expect(defaults.journalShipSeconds == 5)
        #expect(defaults.replicaOf == nil && defaults.replicaGraphs == nil)
        let replica = try ServerConfiguration.resolve(
            flags: .init(nodeType: "shared_replica", settings: ["REPLICA_OF": "/srv/master-backups", "REPLICA_GRAPHS": "g1, g-2"]),
            environment: ["GRAPH_API_JOURNAL_SHIP_SECONDS": "0"]
        )
        #expect(replica.journalShipSeconds == 0)
        #expect("\(replica.replicaOf!)" == "/srv/master-backups")
        #expect(replica.replicaGraphs?.map(\.rawValue) == ["g1", "g-2"])
        let s3 = try ServerConfiguration.resolve(
            flags: .init(nodeType: "shared_replica"), environment: [
                "GRAPH_API_REPLICA_OF": "s3://bucket/published", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
            ]
        )
        guard case .s3(let settings)? = s3.replicaOf else {
            Issue.record("an s3:// source is S3")
            return
        }
        #expect(settings.location.bucket == "bucket" && settings.location.prefix == "published")
        for (flags, env, message) in [
            (ServerConfiguration.Flags(settings: ["REPLICA_OF": "/srv/b"]), [String: String](), "--replica-of is for a node started with --node-type shared_replica"),
            (.init(nodeType: "shared_replica", settings: ["REPLICA_GRAPHS": "g1"]), [:], "--replica-graphs needs --replica-of"),
            (.init(nodeType: "shared_replica", settings: ["REPLICA_OF": "/srv/b", "REPLICA_GRAPHS": "ok,../x"]), [:], "invalid GRAPH_API_REPLICA_GRAPHS entry '../x'"),
            (.init(nodeType: "shared_replica", settings: ["REPLICA_OF": "/srv/b", "REPLICA_GRAPHS": " , "]), [:], "invalid GRAPH_API_REPLICA_GRAPHS: no graph ids"),
            (.init(nodeType: "shared_replica", settings: ["REPLICA_OF": "s3://"]), [:], "invalid replica source 's3://'"),
            (.init(), ["GRAPH_API_JOURNAL_SHIP_SECONDS": "-1"], "invalid GRAPH_API_JOURNAL_SHIP_SECONDS '-1'"),
        ] {
            #expect {
                try ServerConfiguration.resolve(flags: flags, environment: env)
            } throws: { error in
                (error as? ConfigurationError)?.description.hasPrefix(message) == true
            }
        }
    }

    @Test func failedAuthenticationLimitIsReadAndChecked() throws {
        let defaults = try ServerConfiguration.resolve(flags: .init(), environment: [:])
        #expect(defaults.maxAuthFailuresPerMinute == 100)
        #expect(defaults.authenticationLimits == AuthenticationLimits(failuresPerClient: 10, clientWindow: .seconds(300), failuresPerNode: 100, nodeWindow: .seconds(60)))
        let env = ["GRAPH_API_MAX_AUTH_FAILURES_PER_MINUTE": "30"]
        #expect(try ServerConfiguration.resolve(flags: .init(), environment: env).authenticationLimits.failuresPerNode == 30)
        let flagged = try ServerConfiguration.resolve(flags: .init(settings: ["MAX_AUTH_FAILURES_PER_MINUTE": "7"]), environment: env)
        #expect(flagged.maxAuthFailuresPerMinute == 7)
        #expect {
            try ServerConfiguration.resolve(flags: .init(), environment: ["GRAPH_API_MAX_AUTH_FAILURES_PER_MINUTE": "0"])
        } throws: { error in
            (error as? ConfigurationError)?.description.hasPrefix("invalid GRAPH_API_MAX_AUTH_FAILURES_PER_MINUTE '0'") == true
        }
    }

    @Test func connectionTimeoutsAreReadAndChecked() throws {
        let defaults = try ServerConfiguration.resolve(flags: .init(), environment: [:])
        #expect(defaults.connectionIdleTimeoutSeconds == 60)
        #expect(defaults.requestHeadTimeoutSeconds == 10)
        let env = ["GRAPH_API_CONNECTION_IDLE_TIMEOUT_SECONDS": "120", "GRAPH_API_REQUEST_HEAD_TIMEOUT_SECONDS": "5"]
        let fromEnv = try ServerConfiguration.resolve(flags: .init(), environment: env)
        #expect(fromEnv.connectionIdleTimeoutSeconds == 120)
        #expect(fromEnv.requestHeadTimeoutSeconds == 5)
        #expect(fromEnv.idleTimeoutSeconds == 300)  // the databases' own idle timeout is another setting
        let flagged = try ServerConfiguration.resolve(
            flags: .init(settings: ["CONNECTION_IDLE_TIMEOUT_SECONDS": "7", "REQUEST_HEAD_TIMEOUT_SECONDS": "3"]), environment: env
        )
        #expect(flagged.connectionIdleTimeoutSeconds == 7)
        #expect(flagged.requestHeadTimeoutSeconds == 3)
        for (name, value) in [("CONNECTION_IDLE_TIMEOUT_SECONDS", "0"), ("REQUEST_HEAD_TIMEOUT_SECONDS", "soon")] {
            #expect {
                try ServerConfiguration.resolve(flags: .init(), environment: ["GRAPH_API_" + name: value])
            } throws: { error in
                (error as? ConfigurationError)?.description.hasPrefix("invalid GRAPH_API_\(name) '\(value)'") == true
            }
        }
    }

    @Test func tierPresetsFollowTheOriginalService() {
        #expect(Tier.standard.preset.maxDatabases == 10)
        #expect(Tier.standard.preset.chunkSize == 1_000)
        #expect(Tier.large.preset.maxDatabases == 1)
        #expect(Tier.large.preset.chunkSize == 5_000)
        #expect(Tier.xlarge.preset.chunkSize == 10_000)
        #expect(Tier.xlarge.preset.memoryPerDatabaseBytes == 28 << 30)
    }
}
