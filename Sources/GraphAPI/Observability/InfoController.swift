import GraphService
import Foundation
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Staging

/// `GET /info`: what this node is (stable id, type, tier, versions), how full it is, how busy it
/// is, and the effective configuration — without any secret.
///
/// The configuration is an explicit allow-list of settings, so a secret added to
/// ``ServerConfiguration`` later cannot appear here by accident; of the API keys only their
/// number is reported.
///
/// A key scoped to some graphs gets the node's identity, versions and settings, but not what
/// counts other tenants or their work: no `capacity` (graphs on the node, open ones),
/// `active_connections`, `queue_depth` nor `configuration.authentication` (how many keys, and
/// so roughly how many tenants, there are).
///
/// The one controller that takes the whole ``ServerContext``: describing the node, it reads the
/// configuration, the registry, the authenticator's limits, the shipper and the replica.
struct InfoController: Sendable {
    let server: ServerContext
    /// The node's stable id (see ``NodeIdentity``).
    let nodeID: UUID
    /// Whether ``nodeID`` is stored in the data folder (`false` only if it could not be written).
    let nodeIDPersisted: Bool

    init(server: ServerContext) {
        self.server = server
        do {
            nodeID = try NodeIdentity.loadOrCreate(dataDirectory: server.registry.dataDirectory.path)
            nodeIDPersisted = true
        } catch {
            nodeID = UUID()
            nodeIDPersisted = false
            server.registry.logger.warning(
                "cannot store the node id in the data folder; /info reports a temporary one",
                metadata: ["data_dir": "\(server.registry.dataDirectory.path)", "error": "\(error)"]
            )
        }
    }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        router.get("/info") { _, context in try await self.info(forOperator: context.scope?.isOperator ?? false) }
    }

    /// The body of `GET /info` (keys in snake case).
    struct Info: Encodable, Sendable {
        var nodeId: String
        var nodeIdPersisted: Bool
        var nodeType: NodeType
        var tier: Tier
        var readOnly: Bool
        var environment: DeploymentEnvironment
        var version: String
        var engines: Engines
        var startedAt: String
        var uptimeSeconds: Double
        var capacity: Capacity?
        var activeConnections: Int?
        var queueDepth: Int?
        var configuration: EffectiveConfiguration
        /// On a replica, for an operator key: where it stands on each graph it follows.
        var replication: Replication?
    }

    /// Engine versions.
    struct Engines: Encodable, Sendable {
        var ladybug: String
        var ladybugStorageVersion: UInt64
        var duckdb: String
    }

    /// Databases on this node against its limits.
    struct Capacity: Encodable, Sendable {
        var maxDatabases: Int
        var currentDatabases: Int
        var capacityRemaining: Int
        var openDatabases: Int
        var maxOpenDatabases: Int
    }

    /// The settings the server runs with (no secrets).
    struct EffectiveConfiguration: Encodable, Sendable {
        var host: String
        var port: Int
        var dataDir: String
        var importDir: String
        var nodeType: NodeType
        var tier: Tier
        var environment: DeploymentEnvironment
        var maxDatabases: Int
        var maxOpenDatabases: Int
        var memoryPerDatabaseBytes: UInt64
        var memoryForGraphs: [String: UInt64]
        var maxDatabaseSizeBytes: UInt64
        var threadsPerQuery: Int
        var connectionsPerDatabase: Int
        var connectionWaitMs: Int
        var idleTimeoutSeconds: Int
        var connectionIdleTimeoutSeconds: Int
        var requestHeadTimeoutSeconds: Int
        var engineThreads: Int
        var maxBodyBytes: Int
        var maxRows: Int
        var chunkSize: Int
        var defaultQueryTimeoutSeconds: Double
        var maxQueryTimeoutSeconds: Double
        var maxQueuedQueries: Int
        var queryMemoryLimitBytes: UInt64
        var shutdownGraceSeconds: Int
        var staging: Staging
        var logLevel: String
        var logFormat: Nullable<String>
        var authentication: Authentication?
        var backup: Backup?
        var replication: ReplicationSettings
    }

    /// The DuckDB staging databases' limits.
    struct Staging: Encodable, Sendable {
        var memoryBytes: UInt64
        var threads: Int
        var executorThreads: Int
        var maxStreamRows: Int
    }

    /// An optional value written as `null` when absent (synthesized encoding leaves the key out).
    struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
        var value: Value?

        init(_ value: Value?) { self.value = value }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let value { try container.encode(value) } else { try container.encodeNil() }
        }
    }

    /// Where backups go and how they are made (left out for a key scoped to some graphs).
    struct Backup: Encodable, Sendable {
        var directory: String
        var s3Uri: String?
        var defaultDestination: String
        var encryptedByDefault: Bool
        var keyIds: [String]
        var keyFile: String?
        var threads: Int
        var maxRestoreUploadBytes: Int64
        var journal: Bool
        var journalRetentionHours: Int
        var journalShipSeconds: Int
        var defaultScheduleInterval: String?
        var defaultScheduleCron: String?
        var defaultScheduleKeepLast: Int?
        var defaultScheduleKeepDays: Double?

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey {
                case directory, s3Uri, defaultDestination, encryptedByDefault, keyIds, keyFile, threads, maxRestoreUploadBytes, journal, journalRetentionHours, journalShipSeconds
                case defaultScheduleInterval, defaultScheduleCron, defaultScheduleKeepLast, defaultScheduleKeepDays
            }
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(directory, forKey: .directory)
            try container.encode(s3Uri, forKey: .s3Uri)
            try container.encode(defaultDestination, forKey: .defaultDestination)
            try container.encode(encryptedByDefault, forKey: .encryptedByDefault)
            try container.encode(keyIds, forKey: .keyIds)
            try container.encode(keyFile, forKey: .keyFile)
            try container.encode(threads, forKey: .threads)
            try container.encode(maxRestoreUploadBytes, forKey: .maxRestoreUploadBytes)
            try container.encode(journal, forKey: .journal)
            try container.encode(journalRetentionHours, forKey: .journalRetentionHours)
            try container.encode(journalShipSeconds, forKey: .journalShipSeconds)
            try container.encode(defaultScheduleInterval, forKey: .defaultScheduleInterval)
            try container.encode(defaultScheduleCron, forKey: .defaultScheduleCron)
            try container.encode(defaultScheduleKeepLast, forKey: .defaultScheduleKeepLast)
            try container.encode(defaultScheduleKeepDays, forKey: .defaultScheduleKeepDays)
        }
    }

    /// What a replica follows (`--replica-of`, `--replica-graphs`).
    struct ReplicationSettings: Encodable, Sendable {
        var replicaOf: Nullable<String>
        var replicaGraphs: Nullable<[String]>
    }

    /// A replica's state: the source, the largest lag, and each graph's standing.
    struct Replication: Encodable, Sendable {
        var replicaOf: String
        var lagSeconds: Double
        /// By graph id (a list: ids are not JSON keys the encoder may rewrite).
        var graphs: [GraphReplication]
    }

    struct GraphReplication: Encodable, Sendable {
        var graphID: String
        var status: ReplicationStatus

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey { case graphId }
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(graphID, forKey: .graphId)
            try status.encode(to: encoder)
        }
    }

    /// How requests are authenticated: counts only, never a key.
    struct Authentication: Encodable, Sendable {
        var required: Bool
        var maxFailuresPerAddress: Int
        var addressWindowSeconds: Int
        var maxFailuresNodeWide: Int
        var nodeWindowSeconds: Int
        var apiKeysConfigured: Int
        var scopedApiKeys: Int
        var readOnlyApiKeys: Int
        var keysFile: Nullable<String>
    }

    /// The body of `GET /info`; without `forOperator`, nothing that counts other tenants or their work.
    func info(forOperator: Bool) async throws -> Response {
        let configuration = server.configuration
        let registry = server.registry
        let settings = registry.settings
        let current = registry.dataDirectory.graphCount()
        let uptime = server.uptimeSeconds
        let keys = configuration.apiKeys
        let info = Info(
            nodeId: nodeID.uuidString.lowercased(),
            nodeIdPersisted: nodeIDPersisted,
            nodeType: configuration.nodeType,
            tier: configuration.tier,
            readOnly: settings.readOnlyNode,
            environment: configuration.environment,
            version: GraphAPIVersion.string,
            engines: Engines(
                ladybug: EngineVersion.ladybug, ladybugStorageVersion: EngineVersion.ladybugStorage, duckdb: StagingVersion.duckdb
            ),
            startedAt: Self.timestamp(Date(timeIntervalSinceNow: -uptime)),
            uptimeSeconds: (uptime * 1000).rounded() / 1000,
            capacity: forOperator
                ? Capacity(
                    maxDatabases: settings.maxDatabases, currentDatabases: current,
                    capacityRemaining: max(0, settings.maxDatabases - current),
                    openDatabases: await registry.openCount, maxOpenDatabases: settings.maxOpenDatabases
                ) : nil,
            activeConnections: forOperator ? await registry.leasedConnections : nil,
            queueDepth: forOperator ? await registry.waitingRequests : nil,
            configuration: EffectiveConfiguration(
                host: configuration.host,
                port: configuration.port,
                dataDir: registry.dataDirectory.path,
                importDir: configuration.importDirectory,
                nodeType: configuration.nodeType,
                tier: configuration.tier,
                environment: configuration.environment,
                maxDatabases: settings.maxDatabases,
                maxOpenDatabases: settings.maxOpenDatabases,
                memoryPerDatabaseBytes: settings.database.bufferPoolSize,
                memoryForGraphs: settings.bufferPoolOverrides,
                maxDatabaseSizeBytes: configuration.maxDatabaseSizeBytes,
                threadsPerQuery: configuration.threadsPerQuery,
                connectionsPerDatabase: settings.connectionsPerDatabase,
                connectionWaitMs: configuration.connectionWaitMilliseconds,
                idleTimeoutSeconds: configuration.idleTimeoutSeconds,
                connectionIdleTimeoutSeconds: configuration.connectionIdleTimeoutSeconds,
                requestHeadTimeoutSeconds: configuration.requestHeadTimeoutSeconds,
                engineThreads: configuration.engineThreads,
                maxBodyBytes: configuration.maxBodyBytes,
                maxRows: configuration.maxRows,
                chunkSize: configuration.chunkSize ?? configuration.tier.preset.chunkSize,
                defaultQueryTimeoutSeconds: configuration.defaultQueryTimeoutSeconds,
                maxQueryTimeoutSeconds: configuration.maxQueryTimeoutSeconds,
                maxQueuedQueries: configuration.maxQueuedQueries,
                queryMemoryLimitBytes: AdmissionController.limits(for: configuration).memoryLimitBytes,
                shutdownGraceSeconds: configuration.shutdownGraceSeconds,
                staging: Staging(
                    memoryBytes: configuration.stagingMemoryBytes, threads: configuration.stagingThreads,
                    executorThreads: configuration.stagingExecutorThreads, maxStreamRows: configuration.maxStagingStreamRows
                ),
                logLevel: configuration.logLevel.rawValue,
                logFormat: Nullable(configuration.logFormat),
                authentication: forOperator
                    ? Authentication(
                        required: !keys.isEmpty,
                        maxFailuresPerAddress: server.authenticator.limits.failuresPerClient,
                        addressWindowSeconds: Int(server.authenticator.limits.clientWindow.components.seconds),
                        maxFailuresNodeWide: server.authenticator.limits.failuresPerNode,
                        nodeWindowSeconds: Int(server.authenticator.limits.nodeWindow.components.seconds),
                        apiKeysConfigured: keys.count,
                        scopedApiKeys: keys.filter { $0.scope.graphs != nil }.count,
                        readOnlyApiKeys: keys.filter { $0.scope.readOnly }.count,
                        keysFile: Nullable(configuration.keysFile)
                    ) : nil,
                backup: forOperator
                    ? Backup(
                        directory: configuration.backupDirectory, s3Uri: configuration.backupS3.map { "\($0.location)" },
                        defaultDestination: configuration.backupS3 == nil ? "local" : "s3",
                        encryptedByDefault: !configuration.backupKeyIDs.isEmpty, keyIds: configuration.backupKeyIDs,
                        keyFile: configuration.backupKeyFile,
                        threads: configuration.backupThreads, maxRestoreUploadBytes: configuration.maxRestoreUploadBytes,
                        journal: configuration.journal && !configuration.nodeType.isReadOnly, journalRetentionHours: configuration.journalRetentionHours,
                        journalShipSeconds: server.node.shipper == nil ? 0 : configuration.journalShipSeconds,
                        defaultScheduleInterval: configuration.backupSchedule?.interval, defaultScheduleCron: configuration.backupSchedule?.cron,
                        defaultScheduleKeepLast: configuration.backupSchedule?.retention?.keepLast,
                        defaultScheduleKeepDays: configuration.backupSchedule?.retention?.keepDays
                    ) : nil,
                replication: ReplicationSettings(
                    replicaOf: Nullable(configuration.replicaOf.map { "\($0)" }),
                    replicaGraphs: Nullable(configuration.replicaGraphs.map { $0.map(\.rawValue) })
                )
            ),
            replication: forOperator ? server.node.replica.map { replica in
                let graphs = replica.status
                return Replication(
                    replicaOf: "\(configuration.replicaOf!)", lagSeconds: graphs.values.compactMap(\.lagSeconds).max() ?? 0,
                    graphs: graphs.sorted { $0.key < $1.key }.map { GraphReplication(graphID: $0.key.rawValue, status: $0.value) }
                )
            } : nil
        )
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(info)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// `2026-01-04T09:00:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        var buffer = ByteBuffer()
        JSONLogHandler.writeTimestamp(date, into: &buffer)
        return String(buffer: buffer)
    }
}
