import Dispatch
import Foundation
import GraphEngine
import Logging
import Synchronization

/// One graph's write journal: every committed write, in commit order, with its commit time and
/// a position, durable before the write is answered (see ``WriteJournal``).
///
/// It lives in the graph's folder (`journal/`): segment files of ``JournalRecord``s
/// (`<sequence>.seg`, a new one past ``segmentLimit``) and base copies of the engine files
/// (`base-<position>/`). The records are the bytes each write appended to the engine's
/// write-ahead log, so replaying them (``JournalReplay``) reproduces the graph exactly as it was
/// after any commit.
///
/// The engine calls (capture, checkpoint, base) come holding the graph's write gate, so they
/// never run at the same time; the lock below guards the state they share with the syncing
/// thread and with readers of ``window``.
package final class GraphJournal: WriteJournal {
    package static let folderName = "journal"
    /// Written (synced) before the data file changes outside the log; a journal that finds it
    /// at open takes a new base.
    static let markerName = "needs-base"
    static let segmentExtension = ".seg"
    static let basePrefix = "base-"
    static let idName = "id"

    let folder: String
    let databasePath: String
    /// The engine's write-ahead log of that database.
    let logPath: String
    /// Names this journal (made when its folder is): positions count from 1 again in a journal
    /// with another id (the graph was deleted and made again), so whoever follows a shipped
    /// journal starts over when the id changes.
    package let id: String
    let segmentLimit: Int
    /// How long entries stay restorable: older bases and the segments only they need are removed
    /// once a newer base is at least this old.
    let retention: Duration
    /// The least journal growth that triggers a new base (see ``rebaseBytes``).
    let minimumRebaseBytes: UInt64
    let logger: Logger
    private let state: Mutex<State>

    package struct Point: Sendable, Equatable {
        package var position: UInt64
        /// Microseconds since 1970.
        package var time: Int64
        package var date: Date { Date(timeIntervalSince1970: Double(time) / 1_000_000) }
    }

    private struct State {
        var lastPosition: UInt64 = 0
        var lastTime: Int64 = 0
        /// The log's size the journal has accounted for.
        var logExpected: UInt64 = 0
        var segment: SegmentFile?
        var nextSequence: UInt64 = 1
        /// The last position written to a segment, and the last one synced.
        var appended: UInt64 = 0
        var synced: UInt64 = 0
        var syncScheduled = false
        /// The chain is broken (or never started): nothing is journaled until a base is taken.
        var needsBase = true
        /// Whether that base continues the journal (a known change of the data file) or follows a gap.
        var baseContinues = false
        /// A `COPY` is changing the data file: its caller takes the base when it ends.
        var changing = false
        var earliest: Point?
        var latest: Point?
        /// The bases whose copies exist, oldest first.
        var bases: [Point] = []
        /// Each segment file and the last position it holds, in order.
        var segments: [(name: String, last: UInt64)] = []
        /// Journal bytes appended since the last base (see ``rebaseBytes``).
        var bytesSinceBase: UInt64 = 0
        /// The engine's log, open between writes (see ``logSize(_:)``).
        var log: Int32?
    }

    /// An open segment file, closed when the last user lets go (the syncing thread may still
    /// hold one that a roll replaced).
    final class SegmentFile: Sendable {
        let path: String
        /// The file's name in the journal's folder.
        let name: String
        let descriptor: Int32
        let size: Atomic<Int>

        init(path: String, descriptor: Int32, size: Int) {
            self.path = path
            self.name = (path as NSString).lastPathComponent
            self.descriptor = descriptor
            self.size = Atomic(size)
        }

        deinit { _ = Foundation.close(descriptor) }
    }

    /// Opens (creating when missing) the journal in `folder` of the database file at
    /// `databasePath`, reading every segment: a torn record at the end of the last one (a crash
    /// while appending) is cut off.
    package init(
        folder: String, databasePath: String, segmentLimit: Int = 64 << 20, retention: Duration = .seconds(24 * 3600),
        minimumRebaseBytes: UInt64 = 64 << 20, logger: Logger
    ) throws {
        self.minimumRebaseBytes = minimumRebaseBytes
        self.folder = folder
        self.databasePath = databasePath
        self.logPath = WriteAheadLog.path(of: databasePath)
        self.segmentLimit = segmentLimit
        self.retention = retention
        self.logger = logger
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let idPath = folder + "/" + Self.idName
        if let existing = try? String(contentsOfFile: idPath, encoding: .utf8), !existing.isEmpty {
            self.id = existing
        } else {
            self.id = UUID().uuidString.lowercased()
            try DurableFile.write(Data(id.utf8), to: idPath)
        }
        var state = State()
        let segments = try Self.segmentFiles(in: folder)
        for (index, name) in segments.enumerated() {
            let path = folder + "/" + name
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let end = data.withUnsafeBytes { bytes in
                JournalRecord.forEach(in: bytes) { record, range in
                    Self.account(record, in: &state, segment: name, size: range.count)
                    return true
                }
            }
            if end < data.count {
                guard index == segments.count - 1 else {
                    throw ServiceError(.journalError, "the journal segment \(path) is damaged at byte \(end) (it is not the last one)")
                }
                logger.warning("cutting the torn end of the journal", metadata: ["segment": "\(path)", "bytes": "\(data.count - end)"])
                guard truncate(path, off_t(end)) == 0 else { throw Self.failure(writing: path) }
            }
            if let sequence = UInt64(name.dropLast(Self.segmentExtension.count)) { state.nextSequence = sequence + 1 }
        }
        if FileManager.default.fileExists(atPath: folder + "/" + Self.markerName) {
            state.needsBase = true
            state.baseContinues = (try? String(contentsOfFile: folder + "/" + Self.markerName, encoding: .utf8)) == "continuous"
        }
        // Bases whose copies were removed (retention) no longer count.
        state.bases.removeAll { !FileManager.default.fileExists(atPath: folder + "/" + Self.baseName($0.position)) }
        state.earliest = state.bases.first
        state.appended = state.lastPosition
        state.synced = state.lastPosition
        self.state = Mutex(state)
    }

    /// The folder name of the base at `position`.
    static func baseName(_ position: UInt64) -> String { basePrefix + String(format: "%020llu", position) }

    /// Updates the state for a record read back or just appended.
    private static func account(_ record: JournalRecord, in state: inout State, segment: String, size: Int) {
        if state.segments.last?.name == segment {
            state.segments[state.segments.count - 1].last = record.position
        } else {
            state.segments.append((segment, record.position))
        }
        state.bytesSinceBase += UInt64(size)
        switch record.kind {
        case .commit:
            state.logExpected = record.logOffset + UInt64(record.payload.count)
        case .checkpoint:
            state.logExpected = record.logOffset
        case .base:
            state.logExpected = record.logOffset
            state.needsBase = false
            state.bytesSinceBase = 0
            state.bases.append(Point(position: record.position, time: record.time))
            if state.earliest == nil { state.earliest = Point(position: record.position, time: record.time) }
        }
        if record.kind != .checkpoint {
            state.lastPosition = record.position
            state.latest = Point(position: record.position, time: record.time)
        }
        state.lastTime = max(state.lastTime, record.time)
    }

    static func segmentFiles(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(segmentExtension) && !$0.hasPrefix(".") }.sorted()
    }

    // MARK: Window

    /// The first and last restorable points (`nil` before the first base).
    package var window: (earliest: Point, latest: Point)? {
        state.withLock { state in
            guard let earliest = state.earliest, let latest = state.latest else { return nil }
            return (earliest, latest)
        }
    }

    /// The position of the last entry.
    package var lastPosition: UInt64 { state.withLock { $0.lastPosition } }

    // MARK: Reading from another thread

    /// A place in the journal's segment files: the offset of the next record in a segment.
    package struct Cursor: Sendable, Codable, Equatable {
        package var segment: String
        package var offset: Int

        package init(segment: String, offset: Int) {
            self.segment = segment
            self.offset = offset
        }
    }

    /// Where the next record will be written.
    package var endCursor: Cursor {
        state.withLock { state in
            if let segment = state.segment {
                return Cursor(segment: segment.name, offset: segment.size.load(ordering: .relaxed))
            }
            if let last = state.segments.last {
                return Cursor(segment: last.name, offset: Int(Self.fileSize(folder + "/" + last.name)))
            }
            return Cursor(segment: String(format: "%016llu", state.nextSequence) + Self.segmentExtension, offset: 0)
        }
    }

    /// The whole records written after `cursor`, at most about `limit` bytes of them, as stored
    /// (`bytes`) and decoded, and the cursor after them. Safe while writes go on: a record being
    /// appended is not whole yet and is left for the next call.
    ///
    /// - Throws: `journal_error` when the segment at `cursor` is gone (retention removed it) or
    ///   damaged before its end.
    func records(after cursor: Cursor, limit: Int = 16 << 20) throws -> (bytes: [UInt8], records: [JournalRecord], next: Cursor) {
        let names = try Self.segmentFiles(in: folder)
        var next = cursor
        var bytes: [UInt8] = []
        var records: [JournalRecord] = []
        guard let start = names.firstIndex(of: cursor.segment) else {
            // A segment not written yet is where the journal will go on (an empty journal).
            if names.allSatisfy({ $0 < cursor.segment }) { return ([], [], cursor) }
            throw ServiceError(.journalError, "the journal segment \(cursor.segment) is gone from \(folder)")
        }
        for (index, name) in names[start...].enumerated() {
            if index > 0 {
                next = Cursor(segment: name, offset: 0)
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            guard next.offset <= data.count else {
                throw ServiceError(.journalError, "the journal segment \(name) is shorter (\(data.count) bytes) than what was read of it")
            }
            let offset = data.withUnsafeBytes { buffer in
                JournalRecord.forEach(in: buffer, from: next.offset) { record, range in
                    guard bytes.count < limit else { return false }
                    records.append(record)
                    bytes.append(contentsOf: buffer[range])
                    return true
                }
            }
            next.offset = offset
            if bytes.count >= limit { break }
            // Only the last segment may end in a record being written; an earlier one is complete
            // (zeros past its last record are space set aside, not records).
            if offset < data.count, !data[offset...].allSatisfy({ $0 == 0 }) {
                if start + index < names.count - 1 {
                    throw ServiceError(.journalError, "the journal segment \(name) is damaged at byte \(offset)")
                }
                break
            }
        }
        return (bytes, records, next)
    }

    // MARK: Opening the database

    /// Before the engine opens the database (it replays the log): accounts for what the log
    /// holds beyond the journal. A log that grew (a write committed as the process died, before
    /// its entry was written) becomes one more entry; a log that a clean close checkpointed away
    /// becomes a checkpoint; anything else breaks the chain.
    package func reconcileBeforeOpen() {
        let size = Self.fileSize(logPath)
        state.withLock { state in
            // The engine files may have been replaced while the database was closed.
            Self.closeLog(&state)
            guard !state.needsBase else { return }
            do {
                if size > state.logExpected {
                    let bytes = try Self.read(logPath, from: state.logExpected, to: size)
                    try append(.commit, logOffset: state.logExpected, payload: bytes, at: Self.modificationTime(logPath), to: &state)
                    logger.notice(
                        "journaled the log's last commits, written as the server stopped",
                        metadata: ["database": "\(databasePath)", "bytes": "\(bytes.count)"]
                    )
                } else if size < state.logExpected {
                    if size == 0 {
                        try append(.checkpoint, logOffset: 0, payload: [], to: &state)
                    } else {
                        breakChain("the log is shorter than the journal says (\(size) < \(state.logExpected) bytes)", in: &state)
                    }
                }
            } catch {
                breakChain("the journal could not be written: \(error)", in: &state)
            }
        }
    }

    /// After the engine opened the database, on a connection the caller alone uses: notes a
    /// checkpoint the open made, and takes a base when the chain needs one.
    package func afterOpen(_ connection: Connection) throws {
        let size = Self.fileSize(logPath)
        let needsBase = state.withLock { state -> Bool in
            Self.closeLog(&state)
            if !state.needsBase, size != state.logExpected {
                if size == 0 {
                    try? append(.checkpoint, logOffset: 0, payload: [], to: &state)
                } else {
                    breakChain("the log changed while the database opened", in: &state)
                }
            }
            return state.needsBase
        }
        if needsBase { try takeBase(connection) }
    }

    // MARK: WriteJournal

    package func prepareForWrite(on connection: Connection) throws {
        // A write starts only once every earlier one ended (the gate): a COPY that announced a
        // change of the data file and then failed before ``dataFileChanged(_:reason:)`` left
        // `changing` set, and its base is due now.
        let (needsBase, journaled) = state.withLock { state in
            state.changing = false
            return (state.needsBase, state.bytesSinceBase)
        }
        // The data file's size is looked up only once the journal passed the minimum.
        let grown = journaled > minimumRebaseBytes && journaled > rebaseBytes
        if grown, !needsBase {
            // Replaying stays bounded, and older entries can go once they are past retention.
            do {
                try takeBase(connection)
            } catch {
                logger.error("the journal could not take a new base", metadata: ["database": "\(databasePath)", "error": "\(error)"])
            }
            return
        }
        guard needsBase else { return }
        do {
            try takeBase(connection)
        } catch {
            throw ServiceError(
                (error as? ServiceError)?.code == .diskFull ? .diskFull : .journalError,
                "the write was refused before it ran: the graph's journal lost its chain and cannot start a new one (\((error as? ServiceError)?.message ?? "\(error)"))"
            )
        }
    }

    package func captureCommits(on connection: Connection) -> UInt64? {
        let outcome = state.withLock { state -> (position: UInt64?, base: Bool) in
            if state.needsBase { return (nil, !state.changing) }
            let size = logSize(&state)
            if size == state.logExpected { return (nil, false) }
            do {
                if size < state.logExpected {
                    // A checkpoint the journal was not told of: fine when it emptied the log.
                    guard size == 0 else {
                        breakChain("the log shrank to \(size) bytes without a checkpoint the journal saw", in: &state)
                        return (nil, true)
                    }
                    try append(.checkpoint, logOffset: 0, payload: [], to: &state)
                    return (nil, false)
                }
                // A log longer than the journal's is open (``logSize(_:)``).
                guard let log = state.log else { throw ServiceError(.journalError, "the engine's log is not open") }
                let bytes = try Self.read(log, logPath, from: state.logExpected, to: size)
                try append(.commit, logOffset: state.logExpected, payload: bytes, to: &state)
                return (state.lastPosition, false)
            } catch {
                breakChain("the journal could not be written: \(error)", in: &state)
                return (nil, true)
            }
        }
        if outcome.base {
            do {
                try takeBase(connection)
            } catch {
                logger.error("the journal could not take a new base", metadata: ["database": "\(databasePath)", "error": "\(error)"])
            }
            return nil
        }
        return outcome.position
    }

    package func checkpointed(_ database: Database) {
        let size = Self.fileSize(logPath)
        state.withLock { state in
            Self.closeLog(&state)
            guard !state.needsBase else { return }
            do {
                // A pinned checkpoint leaves the log and appends its checkpoint record: the
                // commits after it replay behind the log's header.
                let header = size > 0 ? try Self.read(logPath, from: 0, to: UInt64(WriteAheadLog.headerLength)) : []
                try append(.checkpoint, logOffset: size, payload: header, to: &state)
            } catch {
                breakChain("the journal could not be written: \(error)", in: &state)
            }
        }
    }

    package func dataFileWillChange(_ database: Database) throws {
        try markBaseNeeded(continuous: false)
        state.withLock { $0.changing = true }
    }

    package func dataFileChanged(_ connection: Connection, reason: String) throws {
        state.withLock { state in
            state.needsBase = true
            state.baseContinues = true
        }
        try takeBase(connection)
    }

    /// Returns at once: the engine synced the commit into its log before the write returned
    /// (it `fdatasync`s the log at every commit), and the journal's copy is written (so it
    /// survives a killed process). The journal's own sync follows within ``syncInterval``, and
    /// always comes before a checkpoint lets the engine drop its log
    /// (``prepareForCheckpoint(on:)``). After a power loss, entries not synced yet are rebuilt
    /// from the engine's log when the graph opens (``reconcileBeforeOpen()``), as one entry
    /// stamped with the log's modification time. A sync per write here, beside the engine's,
    /// cost a fifth of the write throughput (both queue on the same disk).
    package func waitUntilDurable(_ position: UInt64) async {
        scheduleSync()
    }

    package func prepareForCheckpoint(on connection: Connection) {
        _ = captureCommits(on: connection)
        syncNow()
    }

    // MARK: Files replaced

    /// Records, durably, that the engine files are about to be replaced (a restore, a
    /// rebuild): the next open takes a base that continues the journal.
    package func filesWillBeReplaced() throws {
        try markBaseNeeded(continuous: true)
    }

    private func markBaseNeeded(continuous: Bool) throws {
        try DurableFile.write(Data((continuous ? "continuous" : "gap").utf8), to: folder + "/" + Self.markerName)
        state.withLock { state in
            state.needsBase = true
            state.baseContinues = continuous
        }
    }

    // MARK: Base

    /// Takes a base (the caller holds the write gate, or the database is not shared yet):
    /// `CHECKPOINT`, copy of the engine files into `base-<position>/`, synced, then the base
    /// record, synced.
    func takeBase(_ connection: Connection) throws {
        syncNow()
        try connection.query("CHECKPOINT").close()
        state.withLock { Self.closeLog(&$0) }
        let size = Self.fileSize(logPath)
        let position = state.withLock { $0.lastPosition + 1 }
        let name = Self.baseName(position)
        let temporary = folder + "/." + name
        let live = (databasePath as NSString).deletingLastPathComponent
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        do {
            for name in try BackupService.engineFiles(in: live) {
                let target = temporary + "/" + name
                try copyFile(from: live + "/" + name, to: target)
            }
            syncDirectory(temporary)
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
            guard rename(temporary, folder + "/" + name) == 0 else { throw Self.failure(writing: folder + "/" + name) }
            syncDirectory(folder)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        let header = size > 0 ? try Self.read(logPath, from: 0, to: UInt64(WriteAheadLog.headerLength)) : []
        let segment = try state.withLock { state -> SegmentFile? in
            try append(.base, logOffset: size, payload: header, continuous: state.baseContinues, to: &state)
            state.needsBase = false
            state.baseContinues = false
            state.changing = false
            return state.segment
        }
        if let segment, fsync(segment.descriptor) != 0 { throw Self.failure(writing: segment.path) }
        state.withLock { state in
            state.synced = max(state.synced, position)
        }
        try? FileManager.default.removeItem(atPath: folder + "/" + Self.markerName)
        logger.info("journal base taken", metadata: ["database": "\(databasePath)", "position": "\(position)"])
        prune()
    }

    /// Journal bytes after which the next write first takes a new base: the data file's size,
    /// at least ``minimumRebaseBytes`` (64 MiB), so that a new base costs at most about as much as the journal it makes
    /// prunable.
    var rebaseBytes: UInt64 { max(minimumRebaseBytes, Self.fileSize(databasePath)) }

    /// Removes what no restore within ``retention`` needs: the bases older than the newest base at
    /// least ``retention`` old, and the segments whose every entry is older than that base.
    func prune(now: Date = Date()) {
        let cutoff = Int64((now.timeIntervalSince1970 - Double(retention.components.seconds)) * 1_000_000)
        let (oldBases, oldSegments) = state.withLock { state -> ([UInt64], [String]) in
            guard let keep = state.bases.last(where: { $0.time <= cutoff }) else { return ([], []) }
            let bases = state.bases.filter { $0.position < keep.position }.map(\.position)
            let current = state.segment?.name
            let segments = state.segments.filter { $0.last < keep.position && $0.name != current }.map(\.name)
            state.bases.removeAll { $0.position < keep.position }
            state.segments.removeAll { segments.contains($0.name) }
            state.earliest = keep
            return (bases, segments)
        }
        for position in oldBases { try? FileManager.default.removeItem(atPath: folder + "/" + Self.baseName(position)) }
        for name in oldSegments { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        if !oldBases.isEmpty || !oldSegments.isEmpty {
            syncDirectory(folder)
            logger.info("journal pruned", metadata: ["database": "\(databasePath)", "bases": "\(oldBases.count)", "segments": "\(oldSegments.count)"])
        }
    }

    private func copyFile(from source: String, to target: String) throws {
        do {
            try FileManager.default.copyItem(atPath: source, toPath: target)
        } catch {
            throw ServiceError.diskFull(from: error) ?? ServiceError(.journalError, "cannot copy \(source) into the journal: \(error)")
        }
        let descriptor = open(target, O_RDONLY)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            _ = Foundation.close(descriptor)
        }
    }

    // MARK: Appending

    /// Appends one record (the caller holds the lock). Commits and bases take the next position;
    /// times never go backwards.
    private func append(
        _ kind: JournalRecord.Kind, logOffset: UInt64, payload: [UInt8], continuous: Bool = false, at time: Int64? = nil,
        to state: inout State
    ) throws {
        let now = time ?? Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
        let record = JournalRecord(
            kind: kind, continuous: continuous, position: kind == .checkpoint ? state.lastPosition : state.lastPosition + 1,
            time: max(now, state.lastTime), logOffset: logOffset, payload: payload
        )
        let bytes = record.encoded()
        let segment = try segmentForAppend(adding: bytes.count, state: &state)
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let written = write(segment.descriptor, buffer.baseAddress! + done, buffer.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    // Leave no torn record behind for the next append to follow.
                    _ = ftruncate(segment.descriptor, off_t(segment.size.load(ordering: .relaxed)))
                    errno = code
                    throw Self.failure(writing: segment.path)
                }
                done += written
            }
        }
        segment.size.add(bytes.count, ordering: .relaxed)
        Self.account(record, in: &state, segment: segment.name, size: bytes.count)
        state.appended = state.lastPosition
    }

    /// The segment to append `count` bytes to: the current one, or a new one once the current one
    /// is full (the full one is synced first, so the syncing thread need only follow the current).
    private func segmentForAppend(adding count: Int, state: inout State) throws -> SegmentFile {
        if let segment = state.segment, segment.size.load(ordering: .relaxed) + count <= segmentLimit || segment.size.load(ordering: .relaxed) == 0 {
            return segment
        }
        if let full = state.segment {
            guard fsync(full.descriptor) == 0 else { throw Self.failure(writing: full.path) }
            state.synced = max(state.synced, state.appended)
        }
        // Continue the last segment on disk after a restart while it has room.
        let existing = try Self.segmentFiles(in: folder).last
        if state.segment == nil, let existing {
            let path = folder + "/" + existing
            let size = Int(Self.fileSize(path))
            if size + count <= segmentLimit {
                let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
                guard descriptor >= 0 else { throw Self.failure(writing: path) }
                let segment = SegmentFile(path: path, descriptor: descriptor, size: size)
                state.segment = segment
                return segment
            }
        }
        let path = folder + "/" + String(format: "%016llu", state.nextSequence) + Self.segmentExtension
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.failure(writing: path) }
        syncDirectory(folder)
        state.nextSequence += 1
        let segment = SegmentFile(path: path, descriptor: descriptor, size: 0)
        state.segment = segment
        return segment
    }

    /// Breaks the chain on purpose (tests): the next write needs a new base.
    func breakChain(_ reason: String) {
        state.withLock { breakChain(reason, in: &$0) }
    }

    private func breakChain(_ reason: String, in state: inout State) {
        if !state.needsBase {
            logger.error("the journal's chain broke: a new base follows", metadata: ["database": "\(databasePath)", "reason": "\(reason)"])
        }
        state.needsBase = true
        state.baseContinues = false
    }

    // MARK: Sync

    /// How soon after a write the journal's own sync follows (see ``waitUntilDurable(_:)``).
    static let syncInterval = DispatchTimeInterval.milliseconds(100)
    private static let syncQueue = DispatchQueue(label: "graph-api.journal-sync", qos: .utility)

    private func scheduleSync() {
        let start = state.withLock { state -> Bool in
            if state.syncScheduled || state.synced >= state.appended { return false }
            state.syncScheduled = true
            return true
        }
        if start { Self.syncQueue.asyncAfter(deadline: .now() + Self.syncInterval) { self.syncNow() } }
    }

    /// Syncs the current segment (earlier ones were synced when they filled).
    func syncNow() {
        let (segment, target) = state.withLock { state -> (SegmentFile?, UInt64) in
            state.syncScheduled = false
            return (state.segment, state.appended)
        }
        guard let segment else { return }
        if fsync(segment.descriptor) != 0 {
            logger.error("cannot sync the journal", metadata: ["segment": "\(segment.path)", "error": "\(String(cString: strerror(errno)))"])
            return
        }
        state.withLock { $0.synced = max($0.synced, target) }
    }

    // MARK: Files

    /// The error for a journal file that could not be written, from `errno`: `disk_full` when the
    /// disk is full.
    static func failure(writing path: String) -> ServiceError {
        let code = errno
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT { return .diskFull("cannot write the journal file \(path): \(reason)") }
        return ServiceError(.journalError, "cannot write the journal file \(path): \(reason)")
    }

    /// The file's modification time in microseconds since 1970 (now when it cannot be read).
    static func modificationTime(_ path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }
        return Int64(info.st_mtim.tv_sec) * 1_000_000 + Int64(info.st_mtim.tv_nsec) / 1_000
    }

    /// The size of the engine's log, through a descriptor kept open between writes (the caller
    /// holds the lock), so that a write costs an `fstat` and a `pread` of the log rather than a
    /// `stat`, `open`, `pread` and `close`. A log the engine removed (a checkpoint may) is found
    /// by its link count and opened again; a log truncated in place keeps its descriptor. Every
    /// open of the database and every checkpoint closes it (the files may be replaced between).
    /// 0 when there is no log.
    private func logSize(_ state: inout State) -> UInt64 {
        var info = stat()
        if let descriptor = state.log {
            if fstat(descriptor, &info) == 0, info.st_nlink > 0 { return UInt64(info.st_size) }
            Self.closeLog(&state)
        }
        let descriptor = open(logPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        guard fstat(descriptor, &info) == 0 else {
            _ = Foundation.close(descriptor)
            return 0
        }
        state.log = descriptor
        return UInt64(info.st_size)
    }

    /// Closes the log's descriptor (the next ``logSize(_:)`` opens the file at its path again).
    private static func closeLog(_ state: inout State) {
        if let descriptor = state.log { _ = Foundation.close(descriptor) }
        state.log = nil
    }

    deinit {
        state.withLock { Self.closeLog(&$0) }
    }

    static func fileSize(_ path: String) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return UInt64(info.st_size)
    }

    /// Bytes `from..<to` of the file at `path`.
    static func read(_ path: String, from start: UInt64, to end: UInt64) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ServiceError(.journalError, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { _ = Foundation.close(descriptor) }
        return try read(descriptor, path, from: start, to: end)
    }

    /// Bytes `from..<to` of the open file `descriptor` (at `path`, for errors).
    static func read(_ descriptor: Int32, _ path: String, from start: UInt64, to end: UInt64) throws -> [UInt8] {
        let count = Int(end - start)
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(start) + off_t(done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw ServiceError(.journalError, "cannot read \(path) at \(start + UInt64(done))") }
                done += n
            }
        }
        return bytes
    }
}
