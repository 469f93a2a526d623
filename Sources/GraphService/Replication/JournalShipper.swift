import BackupArchive
import Foundation
import GraphJSON
import Logging
import ServiceLifecycle
import Synchronization

/// Ships every graph's journal to the backup destination (``PublishedStore``), every `interval`
/// and once more when the node stops: the records written since the last shipment become one
/// shipment object, then `head.json` says what is published. A graph's first shipment, and each
/// journal base (a `COPY`, a restore, a broken chain: what the log cannot carry), is preceded
/// or followed by a base backup beside the journal, which replicas restore and continue from.
///
/// What was shipped is read back from the destination's `head.json` when the node starts, so a
/// restart goes on where the last process stopped; a journal whose id changed (the graph was
/// made again) or whose segment the shipper needed was pruned starts over with a new base.
public final class JournalShipper: Service {
    let backups: BackupService
    let interval: Duration
    let logger: Logger
    let destination: PublishedStore
    private let shipped = Mutex<[GraphID: PublishedHead]>([:])
    /// Graphs whose shipping failed, and how often in a row (logged once per streak).
    private let failures = Mutex<[GraphID: Int]>([:])

    /// The label of the base backups published beside the journal.
    static let baseLabel = "journal base"

    /// Records per shipment, at most (bytes).
    static let shipmentLimit = 16 << 20

    public init(backups: BackupService, interval: Duration, logger: Logger) {
        self.backups = backups
        self.interval = interval
        self.logger = logger
        self.destination = backups.publishedStore
    }

    var registry: GraphRegistry { backups.registry }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // The first round waits an interval too: a node starting up has other work.
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                if Task.isCancelled { break }
                await self.shipAll()
            }
        }
        // What was written since the last shipment goes out before the node stops (the queries
        // were drained by then); a base due now waits for the next start.
        await shipAll(stopping: true)
    }

    /// Ships every graph that has something new.
    func shipAll(stopping: Bool = false) async {
        for id in registry.graphIDs() {
            do {
                try await ship(id, stopping: stopping)
                if failures.withLock({ $0.removeValue(forKey: id) }) != nil {
                    logger.notice("shipping the journal works again", metadata: ["graph_id": "\(id)"])
                }
            } catch {
                let streak = failures.withLock { failures -> Int in
                    failures[id, default: 0] += 1
                    return failures[id]!
                }
                if streak == 1 {
                    logger.error(
                        "cannot ship the journal (retried every interval)",
                        metadata: ["graph_id": "\(id)", "destination": "\(destination)", "error": "\(error)"]
                    )
                }
            }
        }
    }

    /// Ships what graph `id`'s journal holds beyond its last shipment.
    ///
    /// - Parameter stopping: the node is stopping: only records are shipped, a base due waits.
    func ship(_ id: GraphID, stopping: Bool = false) async throws {
        guard let journal = try registry.journal(of: id), journal.lastPosition > 0 else { return }
        var head: PublishedHead
        if let known = shipped.withLock({ $0[id] }), known.journalID == journal.id {
            head = known
        } else if let data = try await destination.read(PublishedStore.headKey(id.rawValue)),
            let published = try? JSONDecoder().decode(PublishedHead.self, from: data), published.journalID == journal.id
        {
            head = published
        } else {
            if stopping { return }
            head = try await publishBase(of: id, journal: journal, cursor: journal.endCursor)
        }
        // Up to where the journal is now: under a steady load the next round ships the rest, so
        // one busy graph does not hold up the others.
        let target = journal.endCursor
        while (head.cursor.segment, head.cursor.offset) < (target.segment, target.offset) {
            let cursor = head.cursor
            let read: (bytes: [UInt8], records: [JournalRecord], next: GraphJournal.Cursor)
            do {
                read = try await BlockingWork.run { try journal.records(after: cursor, limit: Self.shipmentLimit) }
            } catch let error as ServiceError where error.code == .journalError && !stopping {
                // Retention removed what was not shipped yet: the replicas need a new base.
                logger.warning("the journal lost records before they were shipped: publishing a new base", metadata: ["graph_id": "\(id)", "error": "\(error)"])
                head = try await publishBase(of: id, journal: journal, cursor: journal.endCursor)
                continue
            }
            guard let first = read.records.first, let last = read.records.last else { break }
            try await upload(read.bytes, graph: id, journalID: journal.id, first: first.position, last: last.position)
            head.cursor = read.next
            if let entry = read.records.last(where: { $0.kind != .checkpoint }) {
                head.position = entry.position
                head.time = entry.time
            }
            head.updatedAt = ISO8601Timestamp.string(from: Date())
            try await save(head)
            // A base in the journal changed the files outside the log: replicas continue from a
            // new base backup.
            if !stopping, let base = read.records.last(where: { $0.kind == .base }), base.position > head.basePosition {
                let cursor = head.cursor
                let published = try await publishBase(of: id, journal: journal, cursor: cursor)
                head.basePosition = published.basePosition
            }
        }
    }

    /// Takes a base backup of graph `id` beside its journal, and publishes a head that goes on
    /// from `cursor` (taken before the backup, so nothing after the backup's position is missed).
    func publishBase(of id: GraphID, journal: GraphJournal, cursor: GraphJournal.Cursor) async throws -> PublishedHead {
        let manifest = try await backups.backup(
            graph: id, backupID: LocalBackupStore.newID(at: Date()), compression: .zstd, key: backups.keys.encryptionKey,
            label: Self.baseLabel, source: .system, destination: backups.defaultDestination, journalBase: true, progress: nil
        )
        let position = UInt64(manifest.journalPosition ?? 0)
        let now = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
        var head = shipped.withLock { $0[id] }.flatMap { $0.journalID == journal.id ? $0 : nil }
            ?? PublishedHead(
                graphID: id.rawValue, journalID: journal.id, position: position, time: now, basePosition: position, cursor: cursor, updatedAt: ""
            )
        // The base holds everything up to its position: what is published reaches at least there.
        if head.position < position {
            head.position = position
            head.time = now
        }
        head.basePosition = position
        head.cursor = cursor
        head.updatedAt = ISO8601Timestamp.string(from: Date())
        try await save(head)
        logger.info("journal base published", metadata: ["graph_id": "\(id)", "backup_id": "\(manifest.backupID)", "position": "\(position)"])
        await prune(id, journalID: journal.id)
        return head
    }

    private func save(_ head: PublishedHead) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await destination.write(try encoder.encode(head), to: PublishedStore.headKey(head.graphID))
        shipped.withLock { $0[(try? GraphID(validating: head.graphID))!] = head }
    }

    /// Writes `bytes` (whole records) as a shipment archive and uploads it.
    private func upload(_ bytes: [UInt8], graph id: GraphID, journalID: String, first: UInt64, last: UInt64) async throws {
        let work = backups.store.workDirectory + "/ship-\(id)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let records = work + "/" + Shipment.recordsName
        let archive = work + "/shipment" + PublishedStore.shipmentExtension
        let manifest: JSONValue = .object([
            "kind": .string("journal"), "graph_id": .string(id.rawValue), "journal_id": .string(journalID),
            "first_position": .int(Int64(first)), "last_position": .int(Int64(last)),
        ])
        let key = backups.keys.encryptionKey
        try await BlockingWork.run {
            try Data(bytes).write(to: URL(fileURLWithPath: records))
            _ = try ArchiveWriter.write(
                files: [ArchiveSource(name: Shipment.recordsName, path: records)], manifest: manifest, to: archive, compression: .zstd, key: key, threads: 1
            )
        }
        try await destination.upload(file: archive, to: PublishedStore.shipmentKey(id.rawValue, journalID: journalID, first: first, last: last))
    }

    /// Removes, at the destination, the bases older than the newest one past the journal's
    /// retention, and the shipments that no kept base nor kept backup needs; and what earlier
    /// journals of the graph left (``pruneEarlierJournals(_:current:bases:kept:)``).
    func prune(_ id: GraphID, journalID: String, now: Date = Date()) async {
        do {
            let bases = try await destination.journalBases(of: id.rawValue)
            let kept = try await backups.list(graph: id)
            do {
                try await pruneEarlierJournals(id, current: journalID, bases: bases, kept: kept)
            } catch {
                logger.warning("cannot prune the graph's earlier published journals", metadata: ["graph_id": "\(id)", "error": "\(error)"])
            }
            let current = bases.filter { $0.journalID == journalID }.sorted { ($0.createdAt, $0.backupID) > ($1.createdAt, $1.backupID) }
            let cutoff = ISO8601Timestamp.string(from: now.addingTimeInterval(-Double(registry.settings.journalRetention.components.seconds)))
            guard let keep = current.first(where: { $0.createdAt <= cutoff }), let keepPosition = keep.journalPosition else { return }
            for base in current where base.createdAt < keep.createdAt {
                try await destination.deleteJournalBase(base)
            }
            // Shipments after the oldest kept backup of this journal stay, so that it can be continued.
            let needed = min(UInt64(max(0, keepPosition)), Self.oldestPosition(of: journalID, in: kept) ?? .max)
            try await deleteShipments(of: id, journalID: journalID, before: needed)
        } catch {
            logger.warning("cannot prune the published journal", metadata: ["graph_id": "\(id)", "error": "\(error)"])
        }
    }

    /// What the graph's earlier journals (before it was deleted and made again) left at the
    /// destination, once the head names the current journal: their bases go (replicas follow the
    /// current journal only, from its own bases), and so do their shipments, except those after a
    /// kept backup of that journal (which can still be continued from them).
    func pruneEarlierJournals(_ id: GraphID, current: String, bases: [BackupManifest], kept: [BackupManifest]) async throws {
        for base in bases where base.journalID.map({ $0 != current }) ?? false {
            try await destination.deleteJournalBase(base)
        }
        for journal in try await destination.journalIDs(of: id.rawValue) where journal != current {
            try await deleteShipments(of: id, journalID: journal, before: Self.oldestPosition(of: journal, in: kept) ?? .max)
        }
    }

    /// The journal position of the oldest of `backups` taken from journal `journalID`.
    static func oldestPosition(of journalID: String, in backups: [BackupManifest]) -> UInt64? {
        backups.filter { $0.journalID == journalID }.compactMap(\.journalPosition).min().map { UInt64(max(0, $0)) }
    }

    /// Removes the shipments of journal `journalID` that end before position `needed`.
    private func deleteShipments(of id: GraphID, journalID: String, before needed: UInt64) async throws {
        let folder = PublishedStore.shipmentsFolder(id.rawValue, journalID: journalID)
        for name in try await destination.list(folder) {
            guard let range = PublishedStore.shipmentRange(name), range.last < needed else { continue }
            try await destination.delete(folder + name)
        }
    }
}

/// A shipment's archive holds one file of whole journal records.
enum Shipment {
    static let recordsName = "records"

    /// The records of a shipment file's bytes.
    static func decode(_ data: Data) throws -> [JournalRecord] {
        try data.withUnsafeBytes { bytes in
            var records: [JournalRecord] = []
            let offset = JournalRecord.forEach(in: bytes) { record, _ in
                records.append(record)
                return true
            }
            guard offset == bytes.count else {
                throw ServiceError(.journalError, "a journal shipment is damaged at byte \(offset) of \(bytes.count)")
            }
            return records
        }
    }
}
