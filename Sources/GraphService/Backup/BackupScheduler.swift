import BackupArchive
import Foundation
import GraphJSON
import Logging
import ServiceLifecycle
import Synchronization

/// What `backup-schedule.json` in a graph's folder holds: the graph's own schedule (`nil`: the
/// node's default applies) and when the scheduler last started a backup of it.
struct StoredSchedule: Codable, Sendable, Equatable {
    var schedule: BackupSchedule?
    var lastRunAt: Date?

    enum CodingKeys: String, CodingKey {
        case schedule
        case lastRunAt = "last_run_at"
    }

    static func read(from folder: String) -> StoredSchedule {
        guard let data = FileManager.default.contents(atPath: folder + "/" + BackupSchedule.fileName) else { return StoredSchedule() }
        return (try? JSONDecoder.iso8601.decode(StoredSchedule.self, from: data)) ?? StoredSchedule()
    }

    func write(to folder: String) throws {
        try DurableFile.write(try JSONEncoder.iso8601.encode(self), to: folder + "/" + BackupSchedule.fileName)
    }
}

/// `GET /databases/{graph_id}/backup-schedule`: the schedule in force and when it runs.
package struct BackupScheduleInfo: Encodable, Sendable {
    package var graphID: String
    package var schedule: BackupSchedule
    /// `graph` (its own) or `default` (the node's `--backup-schedule`).
    package var origin: String
    package var nextRunAt: Date?
    package var lastRunAt: Date?

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case schedule, origin
        case nextRunAt = "next_run_at"
        case lastRunAt = "last_run_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(graphID, forKey: .graphID)
        try container.encode(schedule, forKey: .schedule)
        try container.encode(origin, forKey: .origin)
        try container.encode(nextRunAt.map(ISO8601Timestamp.string(from:)), forKey: .nextRunAt)
        try container.encode(lastRunAt.map(ISO8601Timestamp.string(from:)), forKey: .lastRunAt)
    }
}

extension BackupService {
    // MARK: Schedules

    /// The node's default schedule, checked.
    var defaultSchedule: ValidSchedule? { try? configurationDefaultSchedule?.validated() }

    /// `PUT /databases/{graph_id}/backup-schedule`.
    package func setSchedule(graph id: GraphID, _ schedule: BackupSchedule) throws -> BackupScheduleInfo {
        _ = try registry.metadata(of: id)
        if registry.settings.readOnlyNode { throw ServiceError.readOnlyNode("backups are scheduled on the node that writes the graph") }
        let valid = try schedule.validated()
        _ = try encryptionKey(for: BackupRequest(encryption: schedule.encryption))
        if (schedule.destination ?? defaultDestination) == .s3, s3 == nil {
            throw ServiceError(.backupDestinationUnavailable, "no S3 backup destination is configured on this server (--backup-s3-uri)")
        }
        let folder = registry.folder(of: id)
        var stored = StoredSchedule.read(from: folder)
        stored.schedule = schedule
        try stored.write(to: folder)
        return info(id, valid: valid, origin: "graph", stored: stored)
    }

    /// `GET /databases/{graph_id}/backup-schedule`: the graph's own, else the node's default.
    package func schedule(graph id: GraphID) throws -> BackupScheduleInfo {
        let metadata = try registry.metadata(of: id)
        let stored = StoredSchedule.read(from: registry.folder(of: id))
        if let own = stored.schedule, let valid = try? own.validated() {
            return info(id, valid: valid, origin: "graph", stored: stored, created: metadata.createdAt)
        }
        if let valid = defaultSchedule { return info(id, valid: valid, origin: "default", stored: stored, created: metadata.createdAt) }
        throw ServiceError(.backupScheduleNotFound, "database '\(id)' has no backup schedule (and this node has no default)")
    }

    /// `DELETE /databases/{graph_id}/backup-schedule`: the node's default applies again.
    package func deleteSchedule(graph id: GraphID) throws -> BackupScheduleInfo {
        let removed = try schedule(graph: id)
        guard removed.origin == "graph" else {
            throw ServiceError(.backupScheduleNotFound, "database '\(id)' has no schedule of its own (the node's default applies)")
        }
        let folder = registry.folder(of: id)
        var stored = StoredSchedule.read(from: folder)
        stored.schedule = nil
        try stored.write(to: folder)
        return removed
    }

    func info(_ id: GraphID, valid: ValidSchedule, origin: String, stored: StoredSchedule, created: Date? = nil) -> BackupScheduleInfo {
        let base = stored.lastRunAt ?? created ?? (try? registry.metadata(of: id).createdAt) ?? Date()
        return BackupScheduleInfo(
            graphID: id.rawValue, schedule: valid.schedule, origin: origin, nextRunAt: valid.schedule.enabled ? valid.nextRun(after: base) : nil,
            lastRunAt: stored.lastRunAt
        )
    }

    /// Starts the backups that are due (one per graph at a time): a graph's own schedule, else
    /// the node's default. A run missed while the server was down is due at once, and runs once.
    func startDueBackups(now: Date = Date(), inFlight: InFlightGraphs) async {
        // A read-only node backs nothing up (the node that writes the graphs does).
        guard !registry.settings.readOnlyNode else { return }
        for id in registry.graphIDs() {
            guard let metadata = try? registry.metadata(of: id) else { continue }
            let folder = registry.folder(of: id)
            var stored = StoredSchedule.read(from: folder)
            guard let valid = (try? stored.schedule?.validated()) ?? (stored.schedule == nil ? defaultSchedule : nil), valid.schedule.enabled else {
                continue
            }
            guard now >= valid.nextRun(after: stored.lastRunAt ?? metadata.createdAt) else { continue }
            // One scheduled backup of a graph at a time: the last one's task must have ended
            // (completed, failed, or cancelled before it ever ran).
            if let last = inFlight.task(of: id), let record = tasks.record(last), !record.status.isTerminal { continue }
            stored.lastRunAt = now
            do {
                try stored.write(to: folder)
                let schedule = valid.schedule
                let request = BackupRequest(
                    compression: schedule.compression ?? .zstd, encryption: schedule.encryption, destination: schedule.destination
                )
                let (task, _) = try await submitBackup(graph: id, request: request, source: .schedule) { manifest in
                    guard let manifest else { return }
                    try await self.applyRetention(graph: id, schedule.retention, after: manifest)
                }
                inFlight.started(task.taskID, for: id)
            } catch {
                logger.error("cannot start a scheduled backup", metadata: ["graph_id": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Deletes the scheduled backups `retention` does not keep, never the graph's newest backup.
    func applyRetention(graph id: GraphID, _ retention: BackupSchedule.Retention?, after manifest: BackupManifest, now: Date = Date()) async throws {
        guard let retention, retention.keepLast != nil || retention.keepDays != nil else { return }
        let all = try await list(graph: id)
        let newest = all.first?.backupID
        let scheduled = all.filter { $0.source == .schedule }
        var keep: Set<String> = [manifest.backupID]
        if let newest { keep.insert(newest) }
        if let last = retention.keepLast { keep.formUnion(scheduled.prefix(last).map(\.backupID)) }
        if let days = retention.keepDays {
            let cutoff = now.addingTimeInterval(-days * 86_400)
            keep.formUnion(scheduled.filter { (ISO8601Timestamp.date(from: $0.createdAt) ?? now) >= cutoff }.map(\.backupID))
        }
        for old in scheduled where !keep.contains(old.backupID) {
            _ = try await delete(graph: id, backupID: old.backupID)
            logger.notice(
                "audit: backup deleted by retention",
                metadata: ["audit": "retention", "graph_id": "\(id)", "backup_id": "\(old.backupID)", "created_at": "\(old.createdAt)"]
            )
        }
    }
}

/// Runs due backups (see ``BackupService/startDueBackups(now:inFlight:)``) every `tick`.
public struct BackupScheduler: Service {
    let backups: BackupService
    let tick: Duration

    public init(backups: BackupService, tick: Duration) {
        self.backups = backups
        self.tick = tick
    }

    public func run() async throws {
        let inFlight = InFlightGraphs()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await backups.startDueBackups(inFlight: inFlight)
                try? await Task.sleep(for: tick)
            }
        }
    }
}

/// The task of each graph's last scheduled backup (one runs at a time per graph).
final class InFlightGraphs: Sendable {
    private let tasks = Mutex<[GraphID: String]>([:])

    func task(of id: GraphID) -> String? { tasks.withLock { $0[id] } }
    func started(_ taskID: String, for id: GraphID) { tasks.withLock { $0[id] = taskID } }
}
