import AsyncHTTPClient
import BackupArchive
import Foundation
import GraphEngine
import Logging
import ServiceLifecycle
import Synchronization

/// Where a replica stands on one graph (`replication` in `GET /databases/{graph_id}` and `/info`).
public struct ReplicationStatus: Sendable, Equatable {
    /// The journal position its copy is at (`nil` before the first base was restored).
    public var appliedPosition: UInt64?
    /// The last position the master published.
    public var publishedPosition: UInt64?
    /// How long ago the oldest published entry not applied yet was committed (0: up to date).
    public var lagSeconds: Double?
    public var lastAppliedAt: Date?
    /// `bootstrapping`, `following`, `waiting_for_base` (a gap or a base the master has not
    /// published yet) or `failing` (see `error`).
    public var state: String
    public var error: String?
}

extension ReplicationStatus: Encodable {
    enum CodingKeys: String, CodingKey {
        case appliedPosition = "applied_position"
        case publishedPosition = "published_position"
        case lagSeconds = "lag_seconds"
        case lastAppliedAt = "last_applied_at"
        case state, error
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(appliedPosition, forKey: .appliedPosition)
        try container.encode(publishedPosition, forKey: .publishedPosition)
        try container.encode(lagSeconds.map { ($0 * 1000).rounded() / 1000 }, forKey: .lagSeconds)
        try container.encode(lastAppliedAt.map(ISO8601Timestamp.string(from:)), forKey: .lastAppliedAt)
        try container.encode(state, forKey: .state)
        try container.encode(error, forKey: .error)
    }
}

/// What a replica's copy of a graph is: written beside the engine files, under a name the swap
/// carries with them (`graph.lbug.replica.json`), so that it always describes the files it is with.
struct ReplicaState: Codable, Sendable, Equatable {
    static let fileName = GraphRegistry.databaseFileName + ".replica.json"

    var journalID: String
    var position: UInt64
    /// The commit time of `position` (µs since 1970; 0 for a base).
    var time: Int64
    /// The engine log's header, for entries that continue a log (base64).
    var header: String
    var baseBackupID: String

    enum CodingKeys: String, CodingKey {
        case journalID = "journal_id"
        case position, time, header
        case baseBackupID = "base_backup_id"
    }

    static func read(from folder: String) -> ReplicaState? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(ReplicaState.self, from: data)
    }

    func write(to folder: String) throws {
        try DurableFile.write(try JSONEncoder().encode(self), to: folder + "/" + Self.fileName)
    }
}

/// Follows the graphs a master publishes (``JournalShipper``) on a `shared_replica` node: for
/// each graph (all of them, or those of `--replica-graphs`) it restores the newest published
/// base into its own folder (checked as any restore: every authentication tag, the SHA-256, the
/// table counts), then applies the shipments of the journal as they appear: their log bytes are
/// replayed by the engine on a second set of the graph's files (a failed replay fails the batch),
/// which is swapped in between queries (``GraphRegistry/replaceDatabaseFiles(of:with:drainTimeout:keepReplaced:)``);
/// the replaced files are the second set of the next batch (``standby(of:for:)``).
/// A graph is served only once its first base was restored and checked.
///
/// A gap in the published journal, a journal base (a `COPY` or a restore on the master), a
/// journal with another id (the graph was made again) or a copy further behind than
/// ``rebootstrapEntries`` all make the replica start again from the newest base.
public final class ReplicaFollower: Service {
    let registry: GraphRegistry
    let backups: BackupService
    let source: PublishedStore
    let graphs: Set<GraphID>?
    let poll: Duration
    let metrics: ServerMetrics
    let logger: Logger
    private let statuses = Mutex<[GraphID: ReplicationStatus]>([:])
    private let failing = Mutex<Set<GraphID>>([])

    /// How often the graph list is read from the source (heads are read every `poll`).
    static let discoveryInterval: Duration = .seconds(5)
    /// A copy this many entries behind the newest base starts again from that base.
    static let rebootstrapEntries: UInt64 = 100_000
    /// Shipment bytes applied in one swap, at most.
    static let batchBytes = 64 << 20

    /// The S3 connections of an S3 source, closed when the follower stops.
    private let httpClient: HTTPClient?

    init(
        registry: GraphRegistry, backups: BackupService, source: ReplicaSource, graphs: Set<GraphID>?, poll: Duration, metrics: ServerMetrics,
        logger: Logger
    ) {
        self.registry = registry
        self.backups = backups
        switch source {
        case .folder(let path):
            self.source = .local(root: path)
            self.httpClient = nil
        case .s3(let settings):
            let (store, client) = S3BackupStore.connect(settings)
            self.source = .s3(store)
            self.httpClient = client
        }
        self.graphs = graphs
        self.poll = poll
        self.metrics = metrics
        self.logger = logger
    }

    /// Where the replica stands on each graph it follows.
    public var status: [GraphID: ReplicationStatus] { statuses.withLock { $0 } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var known: [GraphID] = []
            var discovered: ContinuousClock.Instant?
            while !Task.isCancelled {
                if discovered == nil || ContinuousClock.now - discovered! >= Self.discoveryInterval {
                    do {
                        let published = try await self.source.publishedGraphs()
                        known = published.filter { self.graphs?.contains($0) ?? true }.sorted { $0.rawValue < $1.rawValue }
                        discovered = .now
                    } catch {
                        self.logger.error("cannot list the graphs the master publishes", metadata: ["source": "\(self.source)", "error": "\(error)"])
                    }
                }
                for id in known where !Task.isCancelled {
                    await self.followReporting(id)
                }
                try? await Task.sleep(for: self.poll)
            }
        }
        try? await httpClient?.shutdown()
    }

    private func followReporting(_ id: GraphID) async {
        do {
            try await follow(id)
            if failing.withLock({ $0.remove(id) }) != nil {
                logger.notice("following the graph works again", metadata: ["graph_id": "\(id)"])
            }
        } catch {
            update(id) { status in
                status.state = "failing"
                status.error = "\(error)"
            }
            if failing.withLock({ $0.insert(id).inserted }) {
                logger.error("cannot follow the graph (retried at every poll)", metadata: ["graph_id": "\(id)", "source": "\(source)", "error": "\(error)"])
            }
        }
    }

    private func update(_ id: GraphID, _ change: (inout ReplicationStatus) -> Void) {
        let status = statuses.withLock { statuses -> ReplicationStatus in
            var status = statuses[id] ?? ReplicationStatus(state: "bootstrapping")
            change(&status)
            statuses[id] = status
            return status
        }
        metrics.replication(
            graph: id, applied: status.appliedPosition ?? 0, published: status.publishedPosition ?? 0, lagSeconds: status.lagSeconds ?? 0
        )
    }

    /// One round for graph `id`: its head, then a new base or the shipments after the copy.
    func follow(_ id: GraphID) async throws {
        guard let data = try await source.read(PublishedStore.headKey(id.rawValue)) else { return }
        let head = try JSONDecoder().decode(PublishedHead.self, from: data)
        update(id) { $0.publishedPosition = head.position }
        // No state file: the graph is not here (or is not a copy of the master's).
        var local = ReplicaState.read(from: registry.folder(of: id))
        if local == nil || local!.journalID != head.journalID || head.basePosition > local!.position + Self.rebootstrapEntries {
            guard let restored = try await bootstrap(id, head: head, current: local) else { return }
            local = restored
        }
        guard var state = local, state.position < head.position else {
            update(id) { status in
                status.state = "following"
                status.error = nil
                status.appliedPosition = local?.position
                status.lagSeconds = 0
            }
            return
        }
        let outcome = try await applyShipments(id, state: state, published: head.position)
        switch outcome {
        case .applied(let applied, let oldestPending):
            let moved = applied.position != state.position
            state = applied
            update(id) { status in
                status.state = "following"
                status.error = nil
                status.appliedPosition = state.position
                if moved { status.lastAppliedAt = Date() }
                status.lagSeconds = state.position >= head.position ? 0 : oldestPending.map(Self.secondsSince) ?? Self.secondsSince(head.time)
            }
        case .needsBase(let reason, let oldestPending):
            if try await bootstrap(id, head: head, current: state, after: state.position) == nil {
                update(id) { status in
                    status.state = "waiting_for_base"
                    status.error = reason
                    status.lagSeconds = Self.secondsSince(oldestPending ?? head.time)
                }
            }
        }
    }

    static func secondsSince(_ micros: Int64) -> Double {
        max(0, Date().timeIntervalSince1970 - Double(micros) / 1_000_000)
    }

    // MARK: Bases

    /// Restores the newest published base of `head`'s journal (past position `after`, when
    /// given) into a side folder, checks it and puts it in place. `nil` when there is none.
    private func bootstrap(_ id: GraphID, head: PublishedHead, current: ReplicaState?, after: UInt64? = nil) async throws -> ReplicaState? {
        let bases = try await source.bases(of: id.rawValue).filter { $0.manifest.journalID == head.journalID && $0.manifest.journalPosition != nil }
        guard let (base, key) = bases.max(by: { $0.manifest.journalPosition! < $1.manifest.journalPosition! }),
            after.map({ UInt64(base.journalPosition!) > $0 }) ?? true
        else {
            update(id) { $0.state = "waiting_for_base" }
            return nil
        }
        if let current, current.journalID == head.journalID, current.position >= UInt64(base.journalPosition!), after == nil {
            return current
        }
        update(id) { $0.state = "bootstrapping" }
        let started = ContinuousClock.now
        let work = backups.store.workDirectory + "/replica-\(id)-\(UUID().uuidString)"
        let side = registry.dataDirectory.databasesPath + "/.restore-\(id)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: work)
            try? FileManager.default.removeItem(atPath: side)
        }
        let archive = work + "/base" + LocalBackupStore.archiveExtension
        try await source.download(key, to: archive)
        try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: false)
        let (manifest, _) = try await backups.extractVerified(archive: archive, expected: base, into: side, progress: nil)
        let state = ReplicaState(
            journalID: head.journalID, position: UInt64(manifest.journalPosition ?? 0), time: 0, header: "", baseBackupID: manifest.backupID
        )
        try state.write(to: side)
        // The standby (``standbyFolder(of:)``) belongs to the replaced files' base.
        try? FileManager.default.removeItem(atPath: standbyFolder(of: id))
        try await install(id, side: side, metadata: GraphMetadata(
            graphID: id.rawValue, schemaType: manifest.schemaType, repositoryName: manifest.repositoryName, readOnly: false
        ))
        logger.notice(
            "replica restored a base",
            metadata: [
                "graph_id": "\(id)", "backup_id": "\(manifest.backupID)", "position": "\(state.position)",
                "seconds": "\((ContinuousClock.now - started).seconds.rounded(toPlaces: 3))",
            ]
        )
        update(id) { status in
            status.appliedPosition = state.position
            status.lastAppliedAt = Date()
            status.state = "following"
            status.error = nil
        }
        return state
    }

    /// Swaps the checked files of `side` in (or adds the graph).
    private func install(_ id: GraphID, side: String, metadata: GraphMetadata) async throws {
        if backups.exists(id) {
            try await registry.replaceDatabaseFiles(of: id, with: side, drainTimeout: .seconds(30))
        } else {
            try await registry.adopt(id, folder: side, metadata: metadata, asReplica: true)
        }
    }

    // MARK: Shipments

    enum Outcome {
        /// Applied up to the state given; the commit time of the oldest published entry still not applied.
        case applied(ReplicaState, oldestPending: Int64?)
        /// The copy cannot go on without a newer base (a gap, or a base in the journal).
        case needsBase(String, oldestPending: Int64?)
    }

    /// Where the files the last swap replaced are kept (``standby(of:for:)``).
    func standbyFolder(of id: GraphID) -> String { registry.dataDirectory.databasesPath + "/.replica-standby-\(id)" }

    /// The files the last swap replaced, if they can be brought forward to follow `state`: the
    /// same base, not past it, their state written after their last replay.
    func standby(of id: GraphID, for state: ReplicaState) -> ReplicaState? {
        guard let standby = ReplicaState.read(from: standbyFolder(of: id)), standby.journalID == state.journalID,
            standby.baseBackupID == state.baseBackupID, standby.position <= state.position
        else { return nil }
        return standby
    }

    /// Applies the shipments after `state` and swaps the result in. The batch is replayed on the
    /// files the previous swap replaced (the standby, from its own position: the previous batch
    /// again, then the new one), so a batch costs its replay, not a copy of the graph; without
    /// a standby that can be brought forward (the first batch, a gap below the live position),
    /// on a new copy of the live files.
    private func applyShipments(_ id: GraphID, state: ReplicaState, published: UInt64, useStandby: Bool = true) async throws -> Outcome {
        let standby = useStandby ? self.standby(of: id, for: state) : nil
        // The state of the files the batch is replayed on.
        let from = standby ?? state
        let folder = PublishedStore.shipmentsFolder(id.rawValue, journalID: state.journalID)
        let shipments = try await source.list(folder).compactMap { name in PublishedStore.shipmentRange(name).map { (name, $0) } }
            .filter { $0.1.last >= from.position }
            .sorted { ($0.1.first, $0.1.last) < ($1.1.first, $1.1.last) }
        var records: [JournalRecord] = []
        var reach = from.position
        var gap: String?
        var bytes = 0
        let work = backups.store.workDirectory + "/replica-\(id)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        for (name, range) in shipments {
            if range.first > reach + 1 {
                gap = "the published journal has a gap after position \(reach) (the next shipment starts at \(range.first))"
                break
            }
            if range.last <= reach, range.last != from.position { continue }
            let data = try await fetch(folder + name, work: work)
            records += try Shipment.decode(data)
            reach = max(reach, range.last)
            bytes += data.count
            if bytes >= Self.batchBytes { break }
        }
        // The head is written after the shipment it counts: a shorter reach is a shipment gone.
        if gap == nil, bytes < Self.batchBytes, reach < published {
            gap = "the published journal lacks the shipment after position \(reach) (the master published up to \(published))"
        }
        // What this copy takes: commits after it, and the checkpoints from its position on
        // (they carry the log header the next commits need).
        var batch: [JournalRecord] = []
        var base: JournalRecord?
        for record in records {
            switch record.kind {
            case .commit where record.position > from.position: batch.append(record)
            case .checkpoint where record.position >= from.position: batch.append(record)
            case .base where record.position > from.position: base = record
            default: continue
            }
            if base != nil { break }
        }
        // Never past a base: the commits before it apply, the rest waits for the base backup.
        if let base { batch.removeAll { $0.position >= base.position && $0.kind == .commit } }
        let oldestPending = records.first { $0.kind == .commit && $0.position > state.position }?.time ?? base?.time
        // The standby must reach past the live files, or it is of no use: the live files decide.
        if standby != nil, !batch.contains(where: { $0.kind == .commit && $0.position > state.position }) {
            return try await applyShipments(id, state: state, published: published, useStandby: false)
        }
        guard batch.contains(where: { $0.kind == .commit }) else {
            if let base {
                return .needsBase("the journal took a new base at position \(base.position) (a COPY, a restore or a break on the master)", oldestPending: base.time)
            }
            if let gap { return .needsBase(gap, oldestPending: oldestPending) }
            return .applied(state, oldestPending: nil)
        }
        guard let applied = try await apply(batch, to: id, from: from, onStandby: standby != nil, past: state.position) else {
            return try await applyShipments(id, state: state, published: published, useStandby: false)
        }
        if let base, applied.position + 1 >= base.position {
            return .needsBase("the journal took a new base at position \(base.position) (a COPY, a restore or a break on the master)", oldestPending: base.time)
        }
        return .applied(applied, oldestPending: records.first { $0.kind == .commit && $0.position > applied.position }?.time)
    }

    /// The records file of the shipment at `key`, checked (tags, checksums) as any archive.
    private func fetch(_ key: String, work: String) async throws -> Data {
        let archive = work + "/" + UUID().uuidString + PublishedStore.shipmentExtension
        try await source.download(key, to: archive)
        let folder = archive + ".d"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let keys = backups.keys
        return try await BlockingWork.run {
            _ = try ArchiveReader.extract(archive, to: folder, keys: keys, threads: 1)
            return try Data(contentsOf: URL(fileURLWithPath: folder + "/" + Shipment.recordsName))
        }
    }

    /// Replays `batch` on the standby (`onStandby`) or on a new copy of the live files, and swaps
    /// the result in, keeping the replaced files as the next standby. `nil`, and nothing swapped,
    /// when the replay does not reach past position `past` (the live files').
    private func apply(
        _ batch: [JournalRecord], to id: GraphID, from state: ReplicaState, onStandby: Bool, past: UInt64
    ) async throws -> ReplicaState? {
        let live = registry.folder(of: id)
        let standby = standbyFolder(of: id)
        let side = onStandby ? standby : registry.dataDirectory.databasesPath + "/.restore-\(id)-\(UUID().uuidString)"
        defer { if !onStandby { try? FileManager.default.removeItem(atPath: side) } }
        let configuration = registry.settings.databaseConfiguration(for: id.rawValue)
        let header = Data(base64Encoded: state.header).map { [UInt8]($0) } ?? []
        let started = ContinuousClock.now
        let next = try await registry.executor.run { () throws -> ReplicaState in
            if onStandby {
                // Until the replay is done, the standby's files are at no position it could name:
                // a process killed meanwhile finds no state and copies the live files instead.
                try FileManager.default.removeItem(atPath: side + "/" + ReplicaState.fileName)
            } else {
                try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: false)
                for name in try BackupService.engineFiles(in: live) where name != ReplicaState.fileName {
                    try FileCopy.copy(from: live + "/" + name, to: side + "/" + name)
                }
            }
            var applier = JournalApplier(folder: side, configuration: configuration, header: header)
            var next = state
            for record in batch {
                try applier.apply(record)
                if record.kind == .commit {
                    next.position = record.position
                    next.time = record.time
                }
            }
            try applier.finish()
            next.header = Data(applier.header).base64EncodedString()
            try next.write(to: side)
            return next
        }
        guard next.position > past else { return nil }
        try await registry.replaceDatabaseFiles(of: id, with: side, drainTimeout: .seconds(30), keepReplaced: standby)
        logger.debug(
            "replica applied shipments",
            metadata: [
                "graph_id": "\(id)", "from": "\(state.position)", "to": "\(next.position)", "replayed_on": "\(onStandby ? "standby" : "copy")",
                "seconds": "\((ContinuousClock.now - started).seconds.rounded(toPlaces: 3))",
            ]
        )
        return next
    }
}

extension PublishedStore {
    /// The backups a replica can start `graph`'s journal from (manifests whose archive is
    /// there too): the bases published beside the journal, and the graph's backups that
    /// record their journal position.
    func bases(of graph: String) async throws -> [(manifest: BackupManifest, key: String)] {
        let published = try await journalBases(of: graph)
        let backups: [BackupManifest]
        switch self {
        case .local(let root):
            let store = LocalBackupStore(root: root)
            backups = try await BlockingWork.run { store.list(graph: graph) }
        case .s3(let store):
            backups = try await store.list(graph: graph)
        }
        // A manifest names its archive: only plain ids of this graph (the destination is not
        // trusted with paths).
        let valid = { (manifest: BackupManifest) in manifest.graphID == graph && LocalBackupStore.isValidID(manifest.backupID) }
        return published.filter(valid).map { ($0, Self.basesFolder(graph) + $0.backupID + LocalBackupStore.archiveExtension) }
            + backups.filter(valid).map { ($0, graph + "/" + $0.backupID + LocalBackupStore.archiveExtension) }
    }
}
