import AsyncHTTPClient
import BackupArchive
import Foundation
import GraphEngine
import GraphJSON
import Logging
import NIOCore
import S3Client
import ServiceLifecycle

/// Backups and restores of graphs, as `backup` and `restore` tasks.
///
/// A backup is online: under the graph's write gate (writers wait, readers go on) it
/// checkpoints, so that the data file holds every committed write, and copies the engine files
/// into a work folder; the gate is then released and the copy is checked (opened by the engine
/// in its own folder, every table counted), compressed, sealed and written as an archive with
/// its manifest (``LocalBackupStore``). Nothing checkpoints the graph while the gate is held:
/// every write, COPY, schema change and `CHECKPOINT` takes it, and the server's checkpoints
/// (``Connection/checkpointIfNeeded()``) run only at the end of a write, holding it.
///
/// A restore checks the whole archive (every authentication tag, the SHA-256, the engine's
/// storage version) while extracting it into a side folder, opens the result and compares every
/// table's count with the manifest; only then, after a `system` backup of the graph it replaces,
/// it swaps the files in (``GraphRegistry/replaceDatabaseFiles(of:with:drainTimeout:keepReplaced:)``: queries
/// see the old graph or the new one), or adds the graph when it does not exist. Any failure
/// before the swap leaves the live graph as it was.
public final class BackupService: Sendable {
    let registry: GraphRegistry
    let staging: StagingService
    let tasks: TaskManager
    let metrics: ServerMetrics
    let logger: Logger
    let keys: BackupKeyRing
    let threads: Int
    let store: LocalBackupStore
    /// The node's default schedule (`--backup-schedule`), for graphs without their own.
    let configurationDefaultSchedule: BackupSchedule?
    /// The S3 destination, when one is configured.
    let s3: S3BackupStore?
    private let httpClient: HTTPClient?

    /// - Throws: when the backup folder cannot be made.
    public init(
        configuration: ServerConfiguration, registry: GraphRegistry, staging: StagingService, tasks: TaskManager, metrics: ServerMetrics, logger: Logger
    ) throws {
        self.registry = registry
        self.staging = staging
        self.tasks = tasks
        self.metrics = metrics
        self.logger = logger
        self.keys = configuration.backupKeys
        self.threads = configuration.backupThreads
        self.store = LocalBackupStore(root: configuration.backupDirectory)
        self.configurationDefaultSchedule = configuration.backupSchedule
        try store.prepare()
        store.removeLeftovers(logger: logger)
        store.journalBases.removeLeftovers(logger: logger)
        if let settings = configuration.backupS3 {
            (self.s3, self.httpClient) = S3BackupStore.connect(settings)
        } else {
            self.httpClient = nil
            self.s3 = nil
        }
    }

    /// Where a backup goes when the request does not say: S3 when configured.
    public var defaultDestination: BackupDestination { s3 == nil ? .local : .s3 }

    /// Closes the S3 connections (after the tasks stopped).
    func shutdown() async {
        try? await httpClient?.shutdown()
    }

    /// Where the journal is published: the S3 destination when configured, else the local folder.
    var publishedStore: PublishedStore { s3.map(PublishedStore.s3) ?? .local(root: store.root) }

    // MARK: Backup

    /// Starts a backup of graph `id` as a `backup` task, after checking what can be checked
    /// before: the graph exists, a key is there when encryption is asked, the destination.
    ///
    /// - Parameter afterwards: runs in the task once the backup ended, with its manifest (`nil`
    ///   when it failed); an error it throws fails the task.
    package func submitBackup(
        graph id: GraphID, request: BackupRequest, source: BackupSource = .manual,
        afterwards: (@Sendable (BackupManifest?) async throws -> Void)? = nil
    ) async throws -> (task: TaskRecord, backupID: String) {
        _ = try registry.metadata(of: id)
        if registry.settings.readOnlyNode { throw ServiceError.readOnlyNode("backups are taken on the node that writes the graph") }
        let key = try encryptionKey(for: request)
        let destination = request.destination ?? defaultDestination
        if destination == .s3, s3 == nil {
            throw ServiceError(
                .backupDestinationUnavailable, "no S3 backup destination is configured on this server (--backup-s3-uri); use destination 'local'"
            )
        }
        let backupID = LocalBackupStore.newID(at: Date())
        var metadata: [String: JSONValue] = [
            "backup_id": .string(backupID), "compression": .string(request.compression.rawValue), "encryption": .bool(key != nil),
            "destination": .string(destination.rawValue), "source": .string(source.rawValue),
        ]
        if let label = request.label { metadata["label"] = .string(label) }
        if request.includeStaging { metadata["include_staging"] = .bool(true) }
        let (compression, label, includeStaging) = (request.compression, request.label, request.includeStaging)
        let record = try await tasks.submit(type: "backup", graphID: id, metadata: metadata) { progress in
            let manifest: BackupManifest
            do {
                manifest = try await self.backup(
                    graph: id, backupID: backupID, compression: compression, key: key, label: label, source: source, destination: destination,
                    includeStaging: includeStaging, progress: progress
                )
            } catch {
                try? await afterwards?(nil)
                throw error
            }
            try await afterwards?(manifest)
            return try manifest.jsonValue()
        }
        return (record, backupID)
    }

    func encryptionKey(for request: BackupRequest) throws -> BackupKey? {
        switch request.encryption {
        case true?:
            guard let key = keys.encryptionKey else {
                throw ServiceError(
                    .backupKeyMissing,
                    "encryption was asked for but no backup key is configured (set GRAPH_API_BACKUP_KEY or --backup-key-file)"
                )
            }
            return key
        case false?:
            return nil
        case nil:
            return keys.encryptionKey
        }
    }

    /// Takes the backup (the work of a `backup` task, and of the `system` backup before a restore).
    func backup(
        graph id: GraphID, backupID: String, compression: BackupCompression, key: BackupKey?, label: String?, source: BackupSource,
        destination: BackupDestination, includeStaging: Bool = false, journalBase: Bool = false, progress: TaskProgress?
    ) async throws -> BackupManifest {
        // A journal's base goes beside the published journal, not among the graph's backups.
        let store = journalBase ? self.store.journalBases : self.store
        let s3 = journalBase ? self.s3?.journalBases : self.s3
        let started = ContinuousClock.now
        let createdAt = Date()
        let metadata = try registry.metadata(of: id)
        let work = self.store.workDirectory + "/" + backupID
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        do {
            progress?.report(percent: 1, message: "taking the snapshot")
            let snapshot = try await takeSnapshot(of: id, into: work)
            // The staging file after its own checkpoint, just after the graph's snapshot.
            let stagingIncluded = includeStaging ? try await staging.snapshot(id, to: work + "/" + StagingService.storeFileName) : false
            let snapshotTaken = ContinuousClock.now
            if progress?.isCancelled == true { throw CancellationError() }
            progress?.report(percent: 10, message: "checking the snapshot")
            let contents = try await inspect(folder: work)
            let checked = ContinuousClock.now
            let files = try Self.engineFiles(in: work) + (stagingIncluded ? [StagingService.storeFileName] : [])
            let sizes = try files.map { Int64(try FileManager.default.attributesOfItem(atPath: work + "/" + $0)[.size] as? Int ?? 0) }
            let total = sizes.reduce(0, +)
            var manifest = BackupManifest(
                backupID: backupID, graphID: id.rawValue, createdAt: ISO8601Timestamp.string(from: createdAt),
                engineVersion: EngineVersion.ladybug, storageVersion: EngineVersion.ladybugStorage, serverVersion: GraphAPIVersion.string,
                schemaType: metadata.schemaType, repositoryName: metadata.repositoryName, schemaDDL: contents.ddl, tables: contents.tables,
                nodeCount: contents.nodeCount, relationshipCount: contents.relationshipCount, sizeBytes: total, storedBytes: 0,
                compression: compression, encryption: key.map { .init(algorithm: "AES-256-GCM", keyID: $0.id) }, sha256: "",
                journalPosition: snapshot.position.map { Int64($0) }, journalID: snapshot.journalID, writePauseMilliseconds: snapshot.pause.milliseconds.rounded(toPlaces: 3),
                checkpointMilliseconds: snapshot.checkpoint.milliseconds.rounded(toPlaces: 3), label: label, source: source,
                destination: destination, includesStaging: stagingIncluded, files: files
            )
            progress?.report(percent: 15, bytesProcessed: 0, totalBytes: total, message: "compressing and encrypting")
            // A local archive is written beside its manifest; one for S3 in the work folder, then uploaded.
            let folder = destination == .local ? store.folder(of: id.rawValue) : work
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let archive = destination == .local ? store.archive(graph: id.rawValue, backupID: backupID) : work + "/" + backupID + LocalBackupStore.archiveExtension
            let partial = archive + LocalBackupStore.partialExtension
            let sources = files.map { ArchiveSource(name: $0, path: work + "/" + $0) }
            let headerManifest = try manifest.jsonValue()
            let threads = self.threads
            let summary: ArchiveSummary
            do {
                summary = try await BlockingWork.run {
                    try ArchiveWriter.write(
                        files: sources, manifest: headerManifest, to: partial, compression: compression, key: key, threads: threads,
                        progress: { done in
                            let share = destination == .local ? 80.0 : 50.0
                            progress?.report(percent: 15 + share * Double(done) / Double(max(total, 1)), bytesProcessed: done, totalBytes: total)
                        },
                        isCancelled: { progress?.isCancelled ?? false }
                    )
                }
                guard rename(partial, archive) == 0 else { throw ServiceError(.diskFull, "cannot move the finished archive into place") }
                syncDirectory(folder)
            } catch {
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            }
            manifest.storedBytes = summary.storedBytes
            manifest.sha256 = summary.sha256
            let archived = ContinuousClock.now
            if destination == .s3, let s3 {
                progress?.report(percent: 65, message: "uploading to \(s3.location)")
                let stored = summary.storedBytes
                try await s3.upload(archive: archive, graph: id.rawValue, backupID: backupID) { sent in
                    progress?.report(percent: 65 + 33 * Double(sent) / Double(max(stored, 1)), message: "uploading to \(s3.location)")
                }
                try await s3.save(manifest)
            } else {
                do {
                    try store.save(manifest)
                } catch {
                    try? FileManager.default.removeItem(atPath: archive)
                    throw error
                }
            }
            let seconds = (ContinuousClock.now - started).seconds
            metrics.backupCompleted(graph: id, kind: "backup", seconds: seconds, bytes: summary.storedBytes)
            logger.notice(
                "audit: backup taken",
                metadata: [
                    "audit": "backup", "graph_id": "\(id)", "backup_id": "\(backupID)", "source": "\(source.rawValue)",
                    "size_bytes": "\(total)", "stored_bytes": "\(summary.storedBytes)", "write_pause_ms": "\(manifest.writePauseMilliseconds)",
                    "seconds": "\(seconds.rounded(toPlaces: 3))", "encrypted": "\(key != nil)",
                    // Where the time went: the snapshot (gate), checking it, writing the archive, storing it.
                    "snapshot_ms": "\((snapshotTaken - started).milliseconds.rounded(toPlaces: 1))",
                    "check_ms": "\((checked - snapshotTaken).milliseconds.rounded(toPlaces: 1))",
                    "archive_ms": "\((archived - checked).milliseconds.rounded(toPlaces: 1))",
                    "store_ms": "\((ContinuousClock.now - archived).milliseconds.rounded(toPlaces: 1))",
                ]
            )
            progress?.report(percent: 100, bytesProcessed: total, message: "backup \(backupID) written")
            return manifest
        } catch {
            metrics.backupFailed(graph: id, kind: "backup")
            throw Self.describe(error, doing: "backup")
        }
    }

    /// Under the graph's write gate: `CHECKPOINT`, then a copy of the engine files (the data
    /// file; with the WAL and the marker when a reader pinned the checkpoint).
    ///
    /// `position` is the journal's last entry, which the snapshot includes (`nil` without a journal).
    func takeSnapshot(of id: GraphID, into work: String) async throws -> (pause: Duration, checkpoint: Duration, position: UInt64?, journalID: String?) {
        let executor = registry.executor
        let live = registry.folder(of: id)
        let journal = try registry.journal(of: id)
        return try await registry.withConnection(to: id) { handle, connection in
            try await handle.database.writeGate.withPermit {
                let start = ContinuousClock.now
                try await executor.run(on: connection) { try $0.checkpoint() }
                let position = journal?.lastPosition
                let checkpointed = ContinuousClock.now
                try await BlockingWork.run {
                    for name in try Self.engineFiles(in: live) {
                        try FileCopy.copy(from: live + "/" + name, to: work + "/" + name)
                    }
                }
                return (ContinuousClock.now - start, checkpointed - start, position, journal?.id)
            }
        }
    }

    /// The engine's files in a graph folder: the data file and its companions.
    static func engineFiles(in folder: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        let data = GraphRegistry.databaseFileName
        // The data file first, then its companions by name.
        return names.filter { $0 == data || $0.hasPrefix(data + ".") }.sorted { a, b in a == data || (b != data && a < b) }
    }

    /// What a snapshot or an extracted archive holds: opened by the engine in its own folder
    /// (never the live files), every table counted, checkpointed and closed.
    struct Contents: Sendable {
        var tables: [String: Int64]
        var nodeCount: Int64
        var relationshipCount: Int64
        var ddl: [String]
    }

    ///
    /// A folder holding the data file alone is opened read-only (nothing is written, so the
    /// files stay exactly as archived); one with a WAL (a checkpoint a reader pinned) is opened
    /// read-write so that the WAL is replayed, then checkpointed into the data file.
    func inspect(folder: String) async throws -> Contents {
        let path = folder + "/" + GraphRegistry.databaseFileName
        let dataFileAlone = (try Self.engineFiles(in: folder)) == [GraphRegistry.databaseFileName]
        var configuration = registry.settings.database
        configuration.readOnly = dataFileAlone
        let settings = configuration
        return try await registry.executor.run {
            let database = try Database(path: path, configuration: settings)
            defer { database.close() }
            let connection = try database.connect()
            defer { connection.close() }
            let catalog = try GraphCatalog.read(connection)
            var contents = Contents(tables: [:], nodeCount: 0, relationshipCount: 0, ddl: catalog.recreationDDL)
            for table in catalog.nodeTables {
                let count = try IngestTarget.firstInteger(of: "MATCH (n:\(SchemaQuoting.name(table.name))) RETURN count(n)", on: connection) ?? 0
                contents.tables[table.name] = count
                contents.nodeCount += count
            }
            for table in catalog.relTables {
                let count = try IngestTarget.firstInteger(of: "MATCH ()-[r:\(SchemaQuoting.name(table.name))]->() RETURN count(r)", on: connection) ?? 0
                contents.tables[table.name] = count
                contents.relationshipCount += count
            }
            if !dataFileAlone { try connection.checkpoint() }
            return contents
        }
    }

    // MARK: List, inspect, delete, download

    /// Every backup of `id` in every destination, newest first. `404` when the graph does not
    /// exist and has none.
    package func list(graph id: GraphID) async throws -> [BackupManifest] {
        var backups = store.list(graph: id.rawValue)
        if let s3 { backups += try await s3.list(graph: id.rawValue) }
        backups.sort { ($0.createdAt, $0.backupID) > ($1.createdAt, $1.backupID) }
        if backups.isEmpty { _ = try registry.metadata(of: id) }
        return backups
    }

    package func manifest(graph id: GraphID, backupID: String) async throws -> BackupManifest {
        if let manifest = store.manifest(graph: id.rawValue, backupID: backupID) { return manifest }
        if LocalBackupStore.isValidID(backupID), let s3, let manifest = try await s3.manifest(graph: id.rawValue, backupID: backupID) {
            return manifest
        }
        throw ServiceError(.backupNotFound, "database '\(id)' has no backup '\(backupID.prefix(100))'")
    }

    package func delete(graph id: GraphID, backupID: String) async throws -> BackupManifest {
        let manifest = try await manifest(graph: id, backupID: backupID)
        switch manifest.destination {
        case .local: try store.delete(graph: id.rawValue, backupID: backupID)
        case .s3: try await s3?.delete(graph: id.rawValue, backupID: backupID)
        }
        return manifest
    }

    /// Where a backup's archive is, for a download.
    package enum ArchiveLocation: Sendable {
        case file(String)
        case s3(key: String)
    }

    package func archive(graph id: GraphID, backupID: String) async throws -> (source: ArchiveLocation, manifest: BackupManifest) {
        let manifest = try await manifest(graph: id, backupID: backupID)
        switch manifest.destination {
        case .local: return (.file(store.archive(graph: id.rawValue, backupID: backupID)), manifest)
        case .s3:
            guard let s3 else { throw ServiceError(.backupNotFound, "database '\(id)' has no backup '\(backupID)'") }
            return (.s3(key: s3.archiveKey(graph: id.rawValue, backupID: backupID)), manifest)
        }
    }

    /// The S3 object `key` of the destination, streamed (a download of an S3 backup).
    package func openS3Archive(key: String) async throws -> S3ObjectResponse {
        guard let s3 else { throw ServiceError(.backupDestinationUnavailable, "no S3 backup destination is configured on this server") }
        return try await s3.open(key: key)
    }

    // MARK: Restore

    /// Starts a restore into `request.targetGraphID` (default: `id` itself) as a `restore` task.
    ///
    /// - Parameter upload: an archive the client sent as the request's body, already in the work
    ///   folder (see ``receiveUpload(_:limit:)``); the task removes it when it ends.
    package func submitRestore(graph id: GraphID, request: RestoreRequest, upload: String? = nil) async throws -> TaskRecord {
        if let target = try Self.recoveryTarget(of: request, upload: upload != nil) {
            return try await submitPointInTimeRestore(graph: id, to: target, request: request)
        }
        if upload == nil, request.backupID == nil, request.s3Key == nil {
            throw ServiceError.invalidBody("missing required field 'backup_id' (or 's3_key', or the archive as an application/octet-stream body)")
        }
        let target = try restoreTarget(graph: id, request: request)
        let source: ArchiveLocation
        let manifest: BackupManifest?
        if let upload {
            source = .file(upload)
            manifest = nil
        } else if let key = request.s3Key {
            guard let s3 else {
                throw ServiceError(.backupDestinationUnavailable, "no S3 backup destination is configured on this server; restore a backup_id")
            }
            // A tenant reads only its own graph's archives, even by key.
            let own = s3.location.key("\(id)/")
            guard key.hasPrefix(own), key.hasSuffix(LocalBackupStore.archiveExtension), !key.contains("/../") else {
                throw ServiceError(.backupNotFound, "s3_key must name an archive (.gbak) below '\(own)' of the backup destination")
            }
            source = .s3(key: key)
            manifest = nil
        } else {
            guard let backupID = request.backupID else {
                throw ServiceError.invalidBody("missing required field 'backup_id' (or 's3_key', or the archive as an application/octet-stream body)")
            }
            (source, manifest) = try await archive(graph: id, backupID: backupID)
        }
        var metadata: [String: JSONValue] = [
            "source_graph_id": .string(id.rawValue), "target_graph_id": .string(target.rawValue),
            "force_overwrite": .bool(request.forceOverwrite), "create_system_backup": .bool(request.createSystemBackup),
        ]
        if let manifest { metadata["backup_id"] = .string(manifest.backupID) }
        if case .s3(let key) = source { metadata["s3_key"] = .string(key) }
        if upload != nil { metadata["uploaded"] = .bool(true) }
        let (force, systemBackup) = (request.forceOverwrite, request.createSystemBackup)
        return try await tasks.submit(type: "restore", graphID: target, metadata: metadata) { progress in
            defer { if let upload { try? FileManager.default.removeItem(atPath: upload) } }
            return try await self.restore(
                from: source, expected: manifest, into: target, force: force, systemBackup: systemBackup, progress: progress
            )
        }
    }

    /// The point a restore asks for with `point_in_time` or `position` (`nil`: neither), after
    /// checking that it asks for nothing else to restore from.
    static func recoveryTarget(of request: RestoreRequest, upload: Bool) throws -> RecoveryTarget? {
        let target: RecoveryTarget
        switch (request.pointInTime, request.position) {
        case (nil, nil):
            return nil
        case (_?, _?):
            throw ServiceError.invalidBody("give point_in_time or position, not both")
        case (let text?, nil):
            guard let micros = JournalTime.micros(from: text) else {
                throw ServiceError(
                    .validationError, "point_in_time must be an ISO-8601 instant such as 2026-12-07T10:00:00Z or 2026-12-07T10:00:00.250+01:00 (got '\(text)')"
                )
            }
            target = .time(micros)
        case (nil, let position?):
            guard position >= 1 else { throw ServiceError(.validationError, "position must be at least 1 (got \(position))") }
            target = .position(UInt64(position))
        }
        if upload || request.backupID != nil || request.s3Key != nil {
            throw ServiceError.invalidBody(
                "point_in_time and position restore from the graph's journal and the newest base before that point: omit backup_id, s3_key and the archive body"
            )
        }
        return target
    }

    /// Starts a restore of graph `id` as it was at `point` (from its journal) into
    /// `request.targetGraphID` (default: `id`), as a `restore` task.
    ///
    /// The plan (which entry, from which base) is made before the task starts, so that a point
    /// outside the recovery window is refused at once (`400 recovery_unavailable`).
    package func submitPointInTimeRestore(graph id: GraphID, to point: RecoveryTarget, request: RestoreRequest) async throws -> TaskRecord {
        let metadata = try registry.metadata(of: id)
        guard let journal = try registry.journal(of: id) else {
            throw ServiceError(
                .recoveryUnavailable,
                registry.settings.readOnlyNode
                    ? "this node keeps no write journal (a read-only node): restore on the writer"
                    : "this server keeps no write journal (started with --no-journal): restore a backup_id"
            )
        }
        let target = try restoreTarget(graph: id, request: request)
        let replay = JournalReplay(journal)
        let plan = try await BlockingWork.run { try replay.plan(point) }
        let (force, systemBackup) = (request.forceOverwrite, request.createSystemBackup)
        let taskMetadata: [String: JSONValue] = [
            "source_graph_id": .string(id.rawValue), "target_graph_id": .string(target.rawValue),
            "force_overwrite": .bool(force), "create_system_backup": .bool(systemBackup),
            "position": .int(Int64(plan.position)), "point_in_time": .string(JournalTime.string(micros: plan.time)),
            "base_position": .int(Int64(plan.basePosition)), "journal_entries": .int(Int64(plan.commits)),
        ]
        return try await tasks.submit(type: "restore", graphID: target, metadata: taskMetadata) { progress in
            try await self.restore(
                graph: id, metadata: metadata, replay: replay, plan: plan, into: target, force: force, systemBackup: systemBackup, progress: progress
            )
        }
    }

    /// The work of a point-in-time restore task: the base and the journal replayed into a side
    /// folder, checked by opening it and counting every table, then installed as a restore's.
    func restore(
        graph id: GraphID, metadata: GraphMetadata, replay: JournalReplay, plan: JournalReplay.Plan, into target: GraphID, force: Bool,
        systemBackup: Bool, progress: TaskProgress
    ) async throws -> JSONValue {
        let started = ContinuousClock.now
        let side = registry.dataDirectory.databasesPath + "/.restore-\(target)-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(atPath: side) }
            progress.report(percent: 5, message: "replaying \(plan.commits) journal entries on the base at position \(plan.basePosition)")
            let configuration = registry.settings.databaseConfiguration(for: id.rawValue)
            try await registry.executor.run {
                try replay.materialize(plan, into: side, configuration: configuration, isCancelled: { progress.isCancelled })
            }
            progress.report(percent: 70, message: "opening the restored graph and counting its tables")
            let contents = try await inspect(folder: side)
            if progress.isCancelled { throw CancellationError() }
            let restored = GraphMetadata(graphID: target.rawValue, schemaType: metadata.schemaType, repositoryName: metadata.repositoryName, readOnly: false)
            let installed = try await install(
                side: side, into: target, force: force, systemBackup: systemBackup, label: "before restore to position \(plan.position)",
                metadata: restored, progress: progress
            )
            let seconds = (ContinuousClock.now - started).seconds
            metrics.backupCompleted(graph: target, kind: "restore", seconds: seconds, bytes: 0)
            logger.notice(
                "audit: graph restored to a point in time",
                metadata: [
                    "audit": "restore", "graph_id": "\(target)", "from_graph_id": "\(id)", "position": "\(plan.position)",
                    "point_in_time": "\(JournalTime.string(micros: plan.time))", "journal_entries": "\(plan.commits)",
                    "replaced": "\(installed.replaced)", "system_backup_id": "\(installed.systemBackupID ?? "-")",
                    "seconds": "\(seconds.rounded(toPlaces: 3))",
                ]
            )
            let tables = JSONObject(contents.tables.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .int($0.value)) })
            return .object([
                "graph_id": .string(target.rawValue), "source_graph_id": .string(id.rawValue), "position": .int(Int64(plan.position)),
                "point_in_time": .string(JournalTime.string(micros: plan.time)), "base_position": .int(Int64(plan.basePosition)),
                "journal_entries": .int(Int64(plan.commits)), "replaced": .bool(installed.replaced), "tables": .object(tables),
                "node_count": .int(contents.nodeCount), "relationship_count": .int(contents.relationshipCount),
                "system_backup_id": installed.systemBackupID.map(JSONValue.string) ?? .null,
                "execution_time_ms": .double((seconds * 1000).rounded(toPlaces: 3)),
            ])
        } catch {
            metrics.backupFailed(graph: target, kind: "restore")
            throw Self.describe(error, doing: "restore")
        }
    }

    /// The restorable range of graph `id`'s journal.
    package func recoveryWindow(graph id: GraphID) throws -> RecoveryWindow {
        _ = try registry.metadata(of: id)
        guard let journal = try registry.journal(of: id) else {
            throw ServiceError(
                .recoveryUnavailable,
                registry.settings.readOnlyNode ? "this node keeps no write journal (a read-only node)" : "this server keeps no write journal (started with --no-journal)"
            )
        }
        guard let window = journal.window else {
            return RecoveryWindow(graphID: id.rawValue, earliest: nil, latest: nil, earliestPosition: nil, latestPosition: nil)
        }
        return RecoveryWindow(
            graphID: id.rawValue, earliest: JournalTime.string(micros: window.earliest.time), latest: JournalTime.string(micros: window.latest.time),
            earliestPosition: Int64(window.earliest.position), latestPosition: Int64(window.latest.position)
        )
    }

    /// The graph a restore writes, after the checks that need no archive: a read-only node,
    /// point-in-time options, an existing target without `force_overwrite` (`409`).
    package func restoreTarget(graph id: GraphID, request: RestoreRequest) throws -> GraphID {
        if registry.settings.readOnlyNode { throw ServiceError.readOnlyNode("graphs cannot be restored here") }
        let target = try request.targetGraphID.map { try GraphID(validating: $0) } ?? id
        if exists(target), !request.forceOverwrite {
            throw ServiceError(
                .databaseExists,
                "database '\(target)' exists: restore over it with \(SuggestedOption.forceOverwrite) (a system backup of it is taken first "
                    + "unless \(SuggestedOption.noSystemBackup)), or restore into a new \(SuggestedOption.targetGraphID)"
            )
        }
        return target
    }

    /// An upload larger than the server takes.
    package struct UploadTooLarge: Error {
        package let limit: Int64
    }

    /// Writes an archive sent as a request body into a new file of the work folder, as it
    /// arrives (4 MiB at a time on the blocking threads, never whole in memory), and syncs it.
    /// - Throws: ``UploadTooLarge`` past `limit` bytes (the file is removed).
    package func receiveUpload<Body: AsyncSequence>(_ body: Body, limit: Int64) async throws -> String where Body.Element == ByteBuffer {
        let path = store.workDirectory + "/upload-\(UUID().uuidString)\(LocalBackupStore.archiveExtension)"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ServiceError(.diskFull, "cannot store the uploaded archive in \(store.workDirectory)")
        }
        let file = UncheckedSendableFile(handle)
        do {
            var pending = ByteBuffer()
            var received: Int64 = 0
            func flush(_ buffer: ByteBuffer) async throws {
                try await BlockingWork.run { try buffer.withUnsafeReadableBytes { try file.file.write(contentsOf: $0) } }
            }
            for try await var chunk in body {
                received += Int64(chunk.readableBytes)
                if received > limit { throw UploadTooLarge(limit: limit) }
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= 4 << 20 {
                    try await flush(pending)
                    pending.clear()
                }
            }
            try await flush(pending)
            try await BlockingWork.run {
                try file.file.synchronize()
                try file.file.close()
            }
            return path
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    func exists(_ id: GraphID) -> Bool { (try? registry.metadata(of: id)) != nil }

    func restore(
        from source: ArchiveLocation, expected: BackupManifest?, into target: GraphID, force: Bool, systemBackup: Bool, progress: TaskProgress
    ) async throws -> JSONValue {
        let started = ContinuousClock.now
        let side = registry.dataDirectory.databasesPath + "/.restore-\(target)-\(UUID().uuidString)"
        let download = store.workDirectory + "/restore-\(UUID().uuidString)\(LocalBackupStore.archiveExtension)"
        defer { try? FileManager.default.removeItem(atPath: download) }
        do {
            let archive: String
            switch source {
            case .file(let path):
                archive = path
            case .s3(let key):
                guard let s3 else { throw BackupFailure(message: "no S3 backup destination is configured on this server") }
                progress.report(percent: 1, message: "downloading the archive from \(s3.location)")
                let size = expected?.storedBytes ?? 0
                _ = try await s3.download(key: key, to: download) { done in
                    progress.report(percent: size > 0 ? 1 + 19 * Double(done) / Double(size) : nil, bytesProcessed: done)
                }
                archive = download
            }
            try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(atPath: side) }
            let (manifest, summary) = try await extractVerified(archive: archive, expected: expected, into: side, progress: progress)
            if progress.isCancelled { throw CancellationError() }
            let installed = try await install(
                side: side, into: target, force: force, systemBackup: systemBackup, label: "before restore of \(manifest.backupID)",
                metadata: GraphMetadata(graphID: target.rawValue, schemaType: manifest.schemaType, repositoryName: manifest.repositoryName, readOnly: false),
                progress: progress
            )
            let (replacing, systemBackupID, hasStaging) = (installed.replaced, installed.systemBackupID, installed.staging)
            let seconds = (ContinuousClock.now - started).seconds
            metrics.backupCompleted(graph: target, kind: "restore", seconds: seconds, bytes: summary.storedBytes)
            logger.notice(
                "audit: graph restored",
                metadata: [
                    "audit": "restore", "graph_id": "\(target)", "backup_id": "\(manifest.backupID)", "from_graph_id": "\(manifest.graphID)",
                    "replaced": "\(replacing)", "system_backup_id": "\(systemBackupID ?? "-")", "seconds": "\(seconds.rounded(toPlaces: 3))",
                ]
            )
            let tables = JSONObject(manifest.tables.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .int($0.value)) })
            return .object([
                "graph_id": .string(target.rawValue), "backup_id": .string(manifest.backupID), "source_graph_id": .string(manifest.graphID),
                "replaced": .bool(replacing), "tables": .object(tables), "node_count": .int(manifest.nodeCount),
                "relationship_count": .int(manifest.relationshipCount), "sha256": .string(summary.sha256),
                "system_backup_id": systemBackupID.map(JSONValue.string) ?? .null, "staging_restored": .bool(hasStaging),
                "execution_time_ms": .double((seconds * 1000).rounded(toPlaces: 3)),
            ])
        } catch {
            metrics.backupFailed(graph: target, kind: "restore")
            throw Self.describe(error, doing: "restore")
        }
    }

    /// Checks the archive at `archive` whole (every authentication tag, the SHA-256 against
    /// `expected`'s, the engine's storage version) while extracting it into the folder `side`,
    /// then opens the result and compares every table's count with the manifest.
    func extractVerified(
        archive: String, expected: BackupManifest?, into side: String, progress: TaskProgress?
    ) async throws -> (manifest: BackupManifest, summary: ArchiveSummary) {
        let header = try await BlockingWork.run { try ArchiveReader.header(of: archive) }
        let manifest = try BackupManifest(header.manifest)
        if manifest.storageVersion > EngineVersion.ladybugStorage {
            throw BackupFailure(
                message: "the archive was written by engine \(manifest.engineVersion) (storage version \(manifest.storageVersion)), newer than this server's \(EngineVersion.ladybug) (storage version \(EngineVersion.ladybugStorage))"
            )
        }
        progress?.report(percent: 20, bytesProcessed: 0, totalBytes: header.payloadSize, message: "checking and extracting the archive")
        let (keys, threads, total) = (self.keys, self.threads, max(header.payloadSize, 1))
        let summary = try await BlockingWork.run {
            try ArchiveReader.extract(
                archive, to: side, keys: keys, threads: threads,
                progress: { done in progress?.report(percent: 20 + 50 * Double(done) / Double(total), bytesProcessed: done) },
                isCancelled: { progress?.isCancelled ?? false }
            )
        }
        if let expected, summary.sha256 != expected.sha256 {
            throw BackupArchiveError(.tampered, "the archive's SHA-256 (\(summary.sha256)) is not the one its manifest recorded (\(expected.sha256))")
        }
        progress?.report(percent: 72, message: "opening the restored graph and counting its tables")
        let contents = try await inspect(folder: side)
        if contents.tables != manifest.tables {
            let differing = Set(contents.tables.keys).union(manifest.tables.keys).sorted().filter { contents.tables[$0] != manifest.tables[$0] }
            throw BackupFailure(
                message: "the restored graph does not match its manifest: "
                    + differing.prefix(5).map { "\($0) has \(contents.tables[$0].map(String.init) ?? "no table"), the manifest says \(manifest.tables[$0].map(String.init) ?? "no table")" }
                    .joined(separator: "; ")
            )
        }
        return (manifest, summary)
    }

    /// Puts the engine files (and staging file, if any) of `side` in place as graph `target`:
    /// swapped in atomically over an existing graph (`force` required, after a system backup of
    /// it unless `systemBackup` is false), or adopted as a new graph with `metadata`.
    func install(
        side: String, into target: GraphID, force: Bool, systemBackup: Bool, label: String, metadata: GraphMetadata, progress: TaskProgress
    ) async throws -> (replaced: Bool, systemBackupID: String?, staging: Bool) {
        let stagingFile = side + "/" + StagingService.storeFileName
        let hasStaging = FileManager.default.fileExists(atPath: stagingFile)
        guard exists(target) else {
            progress.report(percent: 95, message: "adding the restored graph")
            try await registry.adopt(target, folder: side, metadata: metadata)
            return (false, nil, hasStaging)
        }
        guard force else {
            throw ServiceError(.databaseExists, "database '\(target)' was created while the restore ran: restore again with \(SuggestedOption.forceOverwrite)")
        }
        var systemBackupID: String?
        if systemBackup {
            progress.report(percent: 80, message: "backing up the graph being replaced")
            let id = LocalBackupStore.newID(at: Date())
            _ = try await backup(
                graph: target, backupID: id, compression: .zstd, key: keys.encryptionKey, label: label,
                source: .system, destination: defaultDestination, includeStaging: hasStaging, progress: nil
            )
            systemBackupID = id
        }
        progress.report(percent: 95, message: "swapping the graph's files")
        try await registry.replaceDatabaseFiles(of: target, with: side)
        if hasStaging { try await staging.replaceStore(target, with: stagingFile) }
        return (true, systemBackupID, hasStaging)
    }

    /// A failure as the task's error: the archive's faults by name, the rest as they are.
    static func describe(_ error: any Error, doing work: String) -> any Error {
        if let error = error as? BackupArchiveError {
            if error.kind == .cancelled { return CancellationError() }
            return BackupFailure(message: "\(work) failed: \(error.kind.rawValue): \(error.message)")
        }
        if let error = error as? ServiceError { return BackupFailure(message: "\(work) failed: \(error.message)") }
        if let error = error as? EngineError { return BackupFailure(message: "\(work) failed: the engine said: \(error.message)") }
        return error
    }
}

extension BackupManifest {
    /// The manifest as stored beside its archive (local or S3): pretty-printed, keys sorted.
    func fileData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(self)
    }

    init(_ value: JSONValue) throws {
        do {
            self = try JSONDecoder().decode(BackupManifest.self, from: Data(value.jsonText.utf8))
        } catch {
            throw BackupArchiveError(.tampered, "the archive's manifest is not readable: \(error)")
        }
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}

/// Why a backup or restore task failed, as its `error`.
struct BackupFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

