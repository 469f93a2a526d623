import Foundation
import GraphEngine

/// What a point-in-time restore asks for.
package enum RecoveryTarget: Sendable, Equatable {
    case position(UInt64)
    /// Microseconds since 1970.
    case time(Int64)
}

/// Rebuilding a graph's files as they were after one journal entry: the newest base at or
/// before it, then the journal's log bytes up to it, applied by the engine one log file at a
/// time (each ended by a checkpoint, as the live graph's were).
///
/// Exact because the bytes are the engine's own log: the base's data file plus the log bytes up
/// to commit k open at the state after commit k. The data files that replay and the live graph
/// write at a checkpoint differ in layout, not in content (compared table by table in the tests).
package struct JournalReplay: Sendable {
    /// The entry the restore ends at, and the base it starts from.
    package struct Plan: Sendable, Equatable {
        package var position: UInt64
        /// The commit time of that entry, in microseconds since 1970.
        package var time: Int64
        package var basePosition: UInt64
        /// How many commits are applied on the base.
        package var commits: Int
    }

    let journal: GraphJournal

    package init(_ journal: GraphJournal) {
        self.journal = journal
    }

    /// Each record of every segment, in order (a torn end is where the records stop).
    func forEachRecord(_ body: (JournalRecord) throws -> Bool) throws {
        for name in try GraphJournal.segmentFiles(in: journal.folder) {
            let data = try Data(contentsOf: URL(fileURLWithPath: journal.folder + "/" + name))
            var stopped = false
            _ = try data.withUnsafeBytes { bytes in
                try JournalRecord.forEach(in: bytes) { record, _ in
                    stopped = try !body(record)
                    return !stopped
                }
            }
            if stopped { return }
        }
    }

    /// Resolves `target` to an entry and the base to start from.
    ///
    /// - Throws: `recovery_unavailable` (400) for a target before the first base, past the last
    ///   entry (a position), or inside a gap (the journal broke and the graph's state there is
    ///   unknown), naming the nearest restorable instants.
    package func plan(_ target: RecoveryTarget) throws -> Plan {
        struct Entry {
            var kind: JournalRecord.Kind
            var continuous: Bool
            var position: UInt64
            var time: Int64
        }
        var entries: [Entry] = []
        try forEachRecord { record in
            if record.kind != .checkpoint {
                entries.append(Entry(kind: record.kind, continuous: record.continuous, position: record.position, time: record.time))
            }
            return true
        }
        // A base counts while its copy exists (retention removes old ones).
        func usable(_ entry: Entry) -> Bool {
            entry.kind == .base && FileManager.default.fileExists(atPath: journal.folder + "/" + GraphJournal.baseName(entry.position))
        }
        guard let firstBase = entries.firstIndex(where: usable) else {
            throw ServiceError(.recoveryUnavailable, "this graph's journal has no entries yet: nothing to restore to")
        }
        entries.removeFirst(firstBase)
        let first = entries[0]
        let last = entries[entries.count - 1]
        func instant(_ micros: Int64) -> String { JournalTime.string(micros: micros) }
        let window = "the journal covers positions \(first.position)–\(last.position), \(instant(first.time)) to \(instant(last.time))"
        let index: Int
        switch target {
        case .position(let position):
            guard position >= first.position, position <= last.position else {
                throw ServiceError(.recoveryUnavailable, "position \(position) is outside the recovery window: \(window)")
            }
            index = entries.firstIndex { $0.position == position } ?? 0
        case .time(let micros):
            guard micros >= first.time else {
                throw ServiceError(.recoveryUnavailable, "\(instant(micros)) is before the recovery window: \(window)")
            }
            index = entries.lastIndex { $0.time <= micros } ?? 0
            if index + 1 < entries.count, entries[index + 1].kind == .base, !entries[index + 1].continuous {
                throw ServiceError(
                    .recoveryUnavailable,
                    "\(instant(micros)) falls in a gap of the journal (the graph changed in a way it could not record): "
                        + "the nearest restorable instants are \(instant(entries[index].time)) (position \(entries[index].position)) "
                        + "and \(instant(entries[index + 1].time)) (position \(entries[index + 1].position))"
                )
            }
        }
        let chosen = entries[index]
        let base = entries[...index].last(where: usable)!
        return Plan(
            position: chosen.position, time: chosen.time, basePosition: base.position,
            commits: Int(chosen.position - base.position)
        )
    }

    /// Writes the graph's engine files as of `plan` into `folder` (empty, on the same disk):
    /// copies the base, then applies each log file up to the entry, opening the database with
    /// `configuration` (a failed log replay fails the restore) and checkpointing it. Blocks: run
    /// it on the engine's executor.
    package func materialize(_ plan: Plan, into folder: String, configuration: DatabaseConfiguration, isCancelled: () -> Bool) throws {
        let base = journal.folder + "/" + GraphJournal.baseName(plan.basePosition)
        for name in try FileManager.default.contentsOfDirectory(atPath: base) {
            try FileManager.default.copyItem(atPath: base + "/" + name, toPath: folder + "/" + name)
        }
        var applier = JournalApplier(folder: folder, configuration: configuration, header: [])
        try applier.foldExistingLog()
        var started = false
        try forEachRecord { record in
            if !started {
                guard record.kind == .base, record.position == plan.basePosition else { return true }
                started = true
                if !record.payload.isEmpty { applier.header = record.payload }
                return true
            }
            switch record.kind {
            case .base:
                return false  // the plan never crosses a base
            case .checkpoint:
                try applier.apply(record)
            case .commit:
                if record.position > plan.position { return false }
                if isCancelled() { throw CancellationError() }
                try applier.apply(record)
                if record.position == plan.position { return false }
            }
            return true
        }
        try applier.finish()
    }
}

/// Applies journal records to a graph's engine files in a folder the caller alone uses: the
/// commits' log bytes are written as the engine's log (behind the log's header when they
/// continue a log a checkpoint left in place), and at each checkpoint record, and at the end,
/// the engine opens the files (replaying the log; a failed replay throws), checkpoints and
/// closes them. Blocks: run it on the engine's executor.
struct JournalApplier {
    let path: String
    let settings: DatabaseConfiguration
    /// The log's header (the same for every log file of a database), for commits that continue
    /// a log whose start is not being written.
    var header: [UInt8]
    private var pending: FileHandle?

    init(folder: String, configuration: DatabaseConfiguration, header: [UInt8]) {
        var settings = configuration
        settings.readOnly = false
        settings.autoCheckpoint = false
        settings.throwOnWALReplayFailure = true
        self.settings = settings
        self.path = folder + "/" + GraphRegistry.databaseFileName
        self.header = header
    }

    var logPath: String { WriteAheadLog.path(of: path) }

    /// Folds in a log the files already hold (a base taken while a reader pinned its
    /// checkpoint), keeping its header.
    mutating func foldExistingLog() throws {
        guard FileManager.default.fileExists(atPath: logPath) else { return }
        if header.isEmpty, GraphJournal.fileSize(logPath) >= UInt64(WriteAheadLog.headerLength) {
            header = try GraphJournal.read(logPath, from: 0, to: UInt64(WriteAheadLog.headerLength))
        }
        try replay()
    }

    /// Applies a commit or a checkpoint record (a base cannot be applied: it replaces the files).
    mutating func apply(_ record: JournalRecord) throws {
        switch record.kind {
        case .base:
            throw ServiceError(.journalError, "a journal base (position \(record.position)) cannot be applied on earlier files")
        case .checkpoint:
            try finish()
            if !record.payload.isEmpty { header = record.payload }
        case .commit:
            if record.logOffset == 0, record.payload.count >= WriteAheadLog.headerLength {
                header = Array(record.payload[0..<WriteAheadLog.headerLength])
            }
            if pending == nil {
                guard FileManager.default.createFile(atPath: logPath, contents: nil), let file = FileHandle(forWritingAtPath: logPath) else {
                    throw ServiceError(.journalError, "cannot write \(logPath)")
                }
                pending = file
                if record.logOffset != 0 {
                    guard header.count == WriteAheadLog.headerLength else {
                        throw ServiceError(.journalError, "the journal lacks the log header needed to replay position \(record.position)")
                    }
                    try file.write(contentsOf: header)
                }
            }
            try pending?.write(contentsOf: record.payload)
        }
    }

    /// Replays what was written since the last checkpoint record.
    mutating func finish() throws {
        guard let file = pending else { return }
        try file.close()
        pending = nil
        try replay()
        if GraphJournal.fileSize(logPath) != 0 {
            throw ServiceError(.journalError, "replaying the journal left \(GraphJournal.fileSize(logPath)) bytes of log unapplied")
        }
    }

    private func replay() throws {
        let database = try Database(path: path, configuration: settings)
        defer { database.close() }
        let connection = try database.connect()
        defer { connection.close() }
        try connection.query("CHECKPOINT").close()
    }
}
