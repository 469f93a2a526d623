import BackupArchive
import Foundation

/// Who asked for a backup.
public enum BackupSource: String, Codable, Sendable, CaseIterable {
    /// `POST /databases/{graph_id}/backup`.
    case manual
    /// A backup schedule.
    case schedule
    /// The server, before a restore replaced the graph.
    case system
}

/// Where a backup is kept.
public enum BackupDestination: String, Codable, Sendable, CaseIterable {
    case local
    case s3

    public init(from decoder: any Decoder) throws {
        self = try decodeChoice(from: decoder)
    }
}

extension BackupCompression {
    init(decoding decoder: any Decoder) throws {
        self = try decodeChoice(from: decoder)
    }
}

/// Options of a backup (`POST /databases/{graph_id}/backup`, or a schedule's).
package struct BackupRequest: Sendable {
    package var compression: BackupCompression
    /// `nil`: encrypted when a key is configured.
    package var encryption: Bool?
    package var destination: BackupDestination?
    package var includeStaging: Bool
    package var label: String?

    package init(compression: BackupCompression = .zstd, encryption: Bool? = nil, destination: BackupDestination? = nil, includeStaging: Bool = false, label: String? = nil) {
        self.compression = compression
        self.encryption = encryption
        self.destination = destination
        self.includeStaging = includeStaging
        self.label = label
    }
}

/// What to restore (`POST /databases/{graph_id}/restore`: its JSON body, or its query parameters
/// when the body is the archive itself).
package struct RestoreRequest: Sendable {
    package var backupID: String?
    package var s3Key: String?
    package var forceOverwrite: Bool
    package var createSystemBackup: Bool
    package var targetGraphID: String?
    package var pointInTime: String?
    package var position: Int64?

    package init(
        backupID: String? = nil, s3Key: String? = nil, forceOverwrite: Bool = false, createSystemBackup: Bool = true,
        targetGraphID: String? = nil, pointInTime: String? = nil, position: Int64? = nil
    ) {
        self.backupID = backupID
        self.s3Key = s3Key
        self.forceOverwrite = forceOverwrite
        self.createSystemBackup = createSystemBackup
        self.targetGraphID = targetGraphID
        self.pointInTime = pointInTime
        self.position = position
    }
}

/// What a backup holds, stored beside its archive (readable without the key) and returned as
/// the `backup` task's result.
public struct BackupManifest: Codable, Sendable, Equatable {
    public struct Encryption: Codable, Sendable, Equatable {
        public var algorithm: String
        public var keyID: String

        enum CodingKeys: String, CodingKey {
            case algorithm
            case keyID = "key_id"
        }
    }

    public var backupID: String
    public var graphID: String
    public var createdAt: String
    public var engineVersion: String
    /// The engine's storage format version of the files; a restore refuses newer ones.
    public var storageVersion: UInt64
    public var serverVersion: String
    public var schemaType: SchemaType
    public var repositoryName: String?
    public var schemaDDL: [String]
    public var tables: [String: Int64]
    public var nodeCount: Int64
    public var relationshipCount: Int64
    /// Bytes of the snapshot's files.
    public var sizeBytes: Int64
    /// Bytes of the archive (known once written; 0 inside the archive's own header).
    public var storedBytes: Int64
    public var compression: BackupCompression
    public var encryption: Encryption?
    /// SHA-256 of the stored archive (empty inside the archive's own header).
    public var sha256: String
    public var journalPosition: Int64?
    /// The id of the journal `journalPosition` counts in (see ``GraphJournal/id``).
    public var journalID: String? = nil
    public var writePauseMilliseconds: Double
    public var checkpointMilliseconds: Double
    public var label: String?
    public var source: BackupSource
    public var destination: BackupDestination
    public var includesStaging: Bool
    /// The snapshot's files, as stored in the archive.
    public var files: [String]

    enum CodingKeys: String, CodingKey {
        case backupID = "backup_id"
        case graphID = "graph_id"
        case createdAt = "created_at"
        case engineVersion = "engine_version"
        case storageVersion = "storage_version"
        case serverVersion = "server_version"
        case schemaType = "schema_type"
        case repositoryName = "repository_name"
        case schemaDDL = "schema_ddl"
        case tables
        case nodeCount = "node_count"
        case relationshipCount = "relationship_count"
        case sizeBytes = "size_bytes"
        case storedBytes = "stored_bytes"
        case compression, encryption, sha256
        case journalPosition = "journal_position"
        case journalID = "journal_id"
        case writePauseMilliseconds = "write_pause_ms"
        case checkpointMilliseconds = "checkpoint_ms"
        case label, source, destination
        case includesStaging = "include_staging"
        case files
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(backupID, forKey: .backupID)
        try container.encode(graphID, forKey: .graphID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(engineVersion, forKey: .engineVersion)
        try container.encode(storageVersion, forKey: .storageVersion)
        try container.encode(serverVersion, forKey: .serverVersion)
        try container.encode(schemaType, forKey: .schemaType)
        try container.encode(repositoryName, forKey: .repositoryName)
        try container.encode(schemaDDL, forKey: .schemaDDL)
        try container.encode(tables, forKey: .tables)
        try container.encode(nodeCount, forKey: .nodeCount)
        try container.encode(relationshipCount, forKey: .relationshipCount)
        try container.encode(sizeBytes, forKey: .sizeBytes)
        try container.encode(storedBytes, forKey: .storedBytes)
        try container.encode(compression, forKey: .compression)
        try container.encode(encryption, forKey: .encryption)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(journalPosition, forKey: .journalPosition)
        try container.encode(journalID, forKey: .journalID)
        try container.encode(writePauseMilliseconds, forKey: .writePauseMilliseconds)
        try container.encode(checkpointMilliseconds, forKey: .checkpointMilliseconds)
        try container.encode(label, forKey: .label)
        try container.encode(source, forKey: .source)
        try container.encode(destination, forKey: .destination)
        try container.encode(includesStaging, forKey: .includesStaging)
        try container.encode(files, forKey: .files)
    }
}

/// `GET /databases/{graph_id}/backups`.
package struct BackupList: Encodable, Sendable {
    package var backups: [BackupManifest]
    package var total: Int

    package init(backups: [BackupManifest], total: Int) {
        self.backups = backups
        self.total = total
    }
}

/// The answer of `GET /databases/{graph_id}/recovery-window`: the instants and journal positions
/// a point-in-time restore can reach (all `null` before the graph's journal has its first base).
package struct RecoveryWindow: Encodable, Sendable, Equatable {
    package var graphID: String
    package var earliest: String?
    package var latest: String?
    package var earliestPosition: Int64?
    package var latestPosition: Int64?

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case earliest, latest
        case earliestPosition = "earliest_position"
        case latestPosition = "latest_position"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(graphID, forKey: .graphID)
        try container.encode(earliest, forKey: .earliest)
        try container.encode(latest, forKey: .latest)
        try container.encode(earliestPosition, forKey: .earliestPosition)
        try container.encode(latestPosition, forKey: .latestPosition)
    }
}
