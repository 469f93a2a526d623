import Foundation
import GraphJSON
import Logging
import Synchronization


/// Runs long operations (copy, ingest, backup, restore) in the background and keeps their
/// records, so that `GET /tasks/...` can report on them and they survive a restart.
///
/// It is the runner and the in-memory state; the records on disk are a ``TaskStore``'s, and the
/// changes reach their watchers through ``TaskEvents``.
///
/// ## Running
/// ``submit(type:graphID:metadata:work:)`` returns the `pending` record at once and runs `work`
/// in a detached task (never on an engine thread: the work hops to the engine executors itself).
/// The record becomes `running` when the work starts and, when it ends:
/// - `completed` with ``TaskRecord/result`` = what the work returned (progress 100);
/// - `cancelled` when the task was cancelled (``cancel(_:)``, `DELETE /tasks/{task_id}`) and the
///   work then threw anything, or when the work threw `CancellationError`;
/// - `failed` otherwise, with ``TaskRecord/error`` = the ``ServiceError``'s message or the error's
///   description.
///
/// The work reports progress through its ``TaskProgress``; every change is pushed to the
/// watchers of ``updates(_:)`` (the SSE monitor).
///
/// ## Persistence
/// Each task is a file `<directory>/<task_id>.json` (``TaskStore``), replaced atomically on a
/// serial queue, never on the cooperative thread pool. A status change is written at once; progress reports at most once per
/// ``persistInterval`` (1 s), the latest always written in the end. At start every file is read
/// back: a task found `pending` or `running` was interrupted by a crash or a kill and becomes
/// `failed` with the error `interrupted by restart`.
///
/// At most ``maxFinishedTasks`` (1,000) finished tasks are kept, in memory and on disk; beyond
/// that the ones that finished first are deleted. Pending and running tasks are never pruned.
///
/// ## Shutdown
/// ``shutdown()`` cancels every pending and running task and waits for them (up to
/// ``shutdownGrace``, 30 s). They end `failed` with the error `interrupted by server shutdown`,
/// the same status a task interrupted by a crash gets at the next start: the user did not cancel
/// them (a task whose cancellation was already requested ends `cancelled`; one whose work returns
/// anyway, `completed`; one still running at the deadline is recorded `failed` all the same). A
/// task submitted after shutdown began fails at once (`server is shutting down`).
public final class TaskManager: Sendable {
    /// The folder holding one JSON file per task.
    public let directory: String
    /// Finished tasks kept at most (the oldest finished are deleted beyond).
    public let maxFinishedTasks: Int
    /// Progress is written to disk at most this often per task.
    let persistInterval: Duration
    /// How long ``shutdown()`` waits for cancelled tasks to end.
    let shutdownGrace: Duration
    /// How often the SSE monitor sends a `heartbeat` event (15 s; shorter in tests).
    package let heartbeatInterval: Duration
    /// How long `DELETE /tasks/{task_id}` waits for a running task to stop before answering.
    package let cancelWait: Duration
    let logger: Logger
    let metrics: ServerMetrics

    private let state = Mutex(State())
    /// The records on disk.
    private let store: TaskStore
    /// The watchers of each task's changes.
    private let events = TaskEvents()

    /// The error of a task that was pending or running when the server died.
    public static let interruptedByRestart = "interrupted by restart"
    /// The error of a task that was pending or running when the server shut down.
    public static let interruptedByShutdown = "interrupted by server shutdown"

    /// Why a task was asked to stop.
    enum StopReason: Sendable {
        /// `DELETE /tasks/{task_id}`.
        case cancelled
        /// The server is shutting down.
        case shutdown
    }

    struct Entry: Sendable {
        var record: TaskRecord
        /// Submission order: lists are newest first by it (timestamps have only milliseconds).
        var order: Int
        /// Order of the end, for finished tasks: the ones that finished first are pruned first.
        var finishOrder: Int?
        var handle: Task<Void, Never>?
        var stop: StopReason?
        var lastPersisted: ContinuousClock.Instant?
        var flushScheduled = false
    }

    struct State: Sendable {
        var entries: [String: Entry] = [:]
        var shuttingDown = false
        /// The next ``Entry/order`` or ``Entry/finishOrder``.
        var nextOrder = 0
    }

    /// Opens the task store in `directory` (created if missing), loading every task kept there.
    /// Tasks found `pending` or `running` become `failed` with the error `interrupted by restart`.
    ///
    /// - Throws: when the folder cannot be created or listed.
    public convenience init(directory: String, logger: Logger, metrics: ServerMetrics) throws {
        try self.init(directory: directory, logger: logger, metrics: metrics, settings: Settings())
    }

    /// ``init(directory:logger:metrics:)`` with shorter timings (tests).
    package convenience init(directory: String, logger: Logger, metrics: ServerMetrics, settings: Settings) throws {
        self.init(unloadedDirectory: directory, logger: logger, metrics: metrics, settings: settings)
        try load()
    }

    /// The task store of the data folder `dataDirectory` (`<dataDirectory>/tasks`), for a
    /// node assembled without one. If the folder cannot be read, the error is logged and
    /// the store starts empty (writes keep being tried and logged).
    package static func inDataDirectory(_ dataDirectory: String, logger: Logger, metrics: ServerMetrics) -> TaskManager {
        let manager = TaskManager(
            unloadedDirectory: dataDirectory + "/tasks", logger: logger, metrics: metrics, settings: Settings()
        )
        do {
            try manager.load()
        } catch {
            logger.error("cannot read the task folder", metadata: ["directory": "\(manager.directory)", "error": "\(error)"])
        }
        return manager
    }

    /// Tunables, shortened by tests.
    package struct Settings: Sendable {
        package var maxFinishedTasks = 1_000
        package var persistInterval: Duration = .seconds(1)
        package var shutdownGrace: Duration = .seconds(30)
        package var heartbeatInterval: Duration = .seconds(15)
        package var cancelWait: Duration = .seconds(5)

        package init(
            maxFinishedTasks: Int = 1_000, persistInterval: Duration = .seconds(1), shutdownGrace: Duration = .seconds(30),
            heartbeatInterval: Duration = .seconds(15), cancelWait: Duration = .seconds(5)
        ) {
            self.maxFinishedTasks = maxFinishedTasks
            self.persistInterval = persistInterval
            self.shutdownGrace = shutdownGrace
            self.heartbeatInterval = heartbeatInterval
            self.cancelWait = cancelWait
        }
    }

    /// A store that has not read its folder yet (``load()`` does).
    private init(unloadedDirectory directory: String, logger: Logger, metrics: ServerMetrics, settings: Settings) {
        self.store = TaskStore(directory: directory, logger: logger)
        self.directory = store.directory
        self.maxFinishedTasks = max(0, settings.maxFinishedTasks)
        self.persistInterval = settings.persistInterval
        self.shutdownGrace = settings.shutdownGrace
        self.heartbeatInterval = settings.heartbeatInterval
        self.cancelWait = settings.cancelWait
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: Loading

    /// Creates the folder if needed and reads every task file; marks interrupted tasks failed and
    /// prunes old finished ones.
    private func load() throws {
        var records: [TaskRecord] = []
        var interrupted: [TaskRecord] = []
        let now = Self.now()
        for record in try store.loadRecords() {
            var loaded = record
            if !record.status.isTerminal {
                loaded.status = .failed
                loaded.error = Self.interruptedByRestart
                loaded.completedAt = now
                interrupted.append(loaded)
            }
            records.append(loaded)
        }
        // Orders as they were: submitted by creation, finished by end.
        var entries: [String: Entry] = [:]
        for (order, record) in records.sorted(by: { ($0.createdAt, $0.taskID) < ($1.createdAt, $1.taskID) }).enumerated() {
            entries[record.taskID] = Entry(record: record, order: order)
        }
        let finished = records.filter(\.status.isTerminal)
            .sorted { ($0.completedAt ?? $0.createdAt, $0.taskID) < ($1.completedAt ?? $1.createdAt, $1.taskID) }
        for (index, record) in finished.enumerated() { entries[record.taskID]?.finishOrder = records.count + index }
        let nextOrder = records.count + finished.count
        let pruned = Self.prune(&entries, keeping: maxFinishedTasks)
        for record in interrupted where entries[record.taskID] != nil {
            try? store.write(record)
            metrics.taskFinished(type: record.taskType, status: TaskStatus.failed.rawValue)
            logger.warning(
                "task was interrupted by a restart",
                metadata: ["task_id": "\(record.taskID)", "task_type": "\(record.taskType)", "graph_id": "\(record.graphID ?? "-")"]
            )
        }
        for id in pruned { removeFile(of: id) }
        let counts = Self.counts(entries.values.lazy.map(\.record))
        state.withLock { state in
            state.entries = entries
            state.nextOrder = nextOrder
        }
        metrics.setTaskCounts(counts)
        if !entries.isEmpty {
            logger.info("loaded tasks", metadata: ["count": "\(entries.count)", "interrupted": "\(interrupted.count)"])
        }
    }

    // MARK: Submitting and running

    /// Records a new `pending` task and starts `work` in the background.
    ///
    /// - Parameters:
    ///   - type: what the task does (`copy`, `ingest`, `backup`, `restore`); a metrics label, so
    ///     from a small fixed set.
    ///   - graphID: the graph it works on, if any (decides which scoped keys see it).
    ///   - metadata: what to show about the task (source, table, options, …).
    ///   - work: the operation. It may report progress; it should end soon after its task is
    ///     cancelled (engine calls are interrupted by cancellation).
    /// - Returns: the new record (`pending`; `failed` at once if the server is shutting down),
    ///   once it is on disk: a task acknowledged is a task recorded, also after `kill -9`.
    /// - Throws: ``ServiceError`` `disk_full` or `task_not_recorded` when the record cannot be
    ///   written; the work then never starts and the task does not exist.
    @discardableResult
    public func submit(
        type: String, graphID: GraphID?, metadata: [String: JSONValue],
        work: @escaping @Sendable (TaskProgress) async throws -> JSONValue
    ) async throws -> TaskRecord {
        let id = UUID().uuidString.lowercased()
        var record = TaskRecord(
            taskID: id, taskType: type, graphID: graphID?.rawValue, createdAt: Self.now(), metadata: metadata.mapValues(\.sortingKeys)
        )
        let accepted = state.withLock { state -> Bool in
            if state.shuttingDown {
                record.status = .failed
                record.error = "server is shutting down"
                record.completedAt = record.createdAt
            }
            state.entries[id] = Entry(record: record, order: state.nextOrder, lastPersisted: .now)
            state.nextOrder += 1
            if state.shuttingDown { state.entries[id]?.finishOrder = state.nextOrder - 1 }
            return !state.shuttingDown
        }
        do {
            try await store.writeNow(record)
        } catch {
            state.withLock { _ = $0.entries.removeValue(forKey: id) }
            logger.error("cannot record a new task", metadata: ["task_type": "\(type)", "error": "\(error)"])
            throw (error as? TaskFileError)?.serviceError ?? ServiceError(.taskNotRecorded, "the task could not be recorded: \(error)")
        }
        publishCounts()
        guard accepted else {
            metrics.taskFinished(type: type, status: TaskStatus.failed.rawValue)
            return record
        }
        logger.info(
            "task submitted", metadata: ["task_id": "\(id)", "task_type": "\(type)", "graph_id": "\(graphID?.rawValue ?? "-")"]
        )
        let progress = TaskProgress(taskID: id, manager: self)
        let handle = Task.detached { [self] in
            await self.run(id, progress: progress, work: work)
        }
        let cancelNow = state.withLock { state -> Bool in
            guard let entry = state.entries[id], !entry.record.status.isTerminal else { return false }
            state.entries[id]?.handle = handle
            return state.entries[id]?.stop != nil
        }
        if cancelNow { handle.cancel() }
        return record
    }

    /// The outcome of a task's work.
    private enum Outcome {
        case returned(JSONValue)
        case threw(any Error)
        case notStarted
    }

    private func run(_ id: String, progress: TaskProgress, work: @Sendable (TaskProgress) async throws -> JSONValue) async {
        let started = state.withLock { state -> Bool in
            guard var entry = state.entries[id], entry.record.status == .pending, entry.stop == nil else { return false }
            entry.record.status = .running
            entry.record.startedAt = Self.now()
            entry.lastPersisted = .now
            state.entries[id] = entry
            // Written and counted before the watchers hear of it, so that whoever saw it finds it so.
            persist(id)
            metrics.setTaskCounts(Self.counts(state.entries.values.lazy.map(\.record)))
            events.publish(entry.record)
            return true
        }
        guard started else {
            finish(id, .notStarted)
            return
        }
        let outcome: Outcome
        do {
            outcome = .returned(try await work(progress))
        } catch {
            outcome = .threw(error)
        }
        finish(id, outcome, cancelled: Task.isCancelled)
    }

    /// Moves a task to its terminal status (once: later calls do nothing), tells its watchers,
    /// writes it and prunes old finished tasks.
    private func finish(_ id: String, _ outcome: Outcome, cancelled taskCancelled: Bool = false) {
        let now = Self.now()
        let done = state.withLock { state -> TaskRecord? in
            guard var entry = state.entries[id], !entry.record.status.isTerminal else { return nil }
            var record = entry.record
            switch outcome {
            case .returned(let value):
                record.status = .completed
                record.result = value.isNull ? JSONValue?.none : value.sortingKeys  // as it reads back
                record.progressPercent = 100
            case .threw(let error):
                if entry.stop == .shutdown {
                    record.status = .failed
                    record.error = Self.interruptedByShutdown
                } else if entry.stop == .cancelled || taskCancelled || error is CancellationError {
                    record.status = .cancelled
                    record.error = entry.stop == .cancelled ? "cancelled on request" : "cancelled"
                } else {
                    record.status = .failed
                    record.error = (error as? ServiceError)?.message ?? String(describing: error)
                }
            case .notStarted:
                if entry.stop == .shutdown {
                    record.status = .failed
                    record.error = Self.interruptedByShutdown
                } else {
                    record.status = .cancelled
                    record.error = "cancelled on request"
                }
            }
            record.completedAt = now
            entry.record = record
            entry.handle = nil
            entry.finishOrder = state.nextOrder
            state.nextOrder += 1
            state.entries[id] = entry
            let pruned = Self.prune(&state.entries, keeping: maxFinishedTasks)
            // Written (queued: the queue reads the record when it writes) and counted before the
            // watchers hear of the end, so that whoever saw it finds it on disk and in the metrics.
            persist(id)
            for prunedID in pruned { removeFile(of: prunedID) }
            metrics.taskFinished(type: record.taskType, status: record.status.rawValue)
            metrics.setTaskCounts(Self.counts(state.entries.values.lazy.map(\.record)))
            events.publish(record)
            return record
        }
        guard let record = done else { return }
        let seconds = record.startedAt.map { now.timeIntervalSince($0) } ?? 0
        logger.log(
            level: record.status == .failed ? .warning : .info, "task finished",
            metadata: [
                "task_id": "\(id)", "task_type": "\(record.taskType)", "status": "\(record.status.rawValue)",
                "seconds": "\(String(format: "%.3f", seconds))", "error": "\(record.error ?? "-")",
            ]
        )
    }

    // MARK: Progress

    /// Applies a progress report (see ``TaskProgress/report(percent:rowsProcessed:bytesProcessed:totalRows:totalBytes:message:metadata:)``).
    func report(
        _ id: String, percent: Double?, rowsProcessed: Int64?, bytesProcessed: Int64?, totalRows: Int64?, totalBytes: Int64?,
        message: String?, metadata: [String: JSONValue]? = nil
    ) {
        state.withLock { state in
            guard var entry = state.entries[id], !entry.record.status.isTerminal else { return }
            var record = entry.record
            if let percent, percent.isFinite {
                record.progressPercent = max(record.progressPercent, min(100, max(0, percent)))
            }
            if let rowsProcessed { record.rowsProcessed = rowsProcessed }
            if let bytesProcessed { record.bytesProcessed = bytesProcessed }
            if let totalRows { record.totalRows = totalRows }
            if let totalBytes { record.totalBytes = totalBytes }
            if let message { record.message = message }
            if let metadata { record.metadata.merge(metadata) { _, new in new } }
            guard record != entry.record else { return }
            entry.record = record
            let now = ContinuousClock.now
            if let last = entry.lastPersisted, now - last < persistInterval {
                // Written once the interval has passed (the latest record then), unless already planned.
                if !entry.flushScheduled {
                    entry.flushScheduled = true
                    persistLater(id, after: persistInterval - (now - last))
                }
            } else {
                entry.lastPersisted = now
                persist(id)
            }
            state.entries[id] = entry
            events.publish(record)
        }
    }

    /// Writes the task's record (the latest then) after `delay`.
    private func persistLater(_ id: String, after delay: Duration) {
        store.save(after: delay) { [self] in
            state.withLock { state -> TaskRecord? in
                state.entries[id]?.flushScheduled = false
                state.entries[id]?.lastPersisted = .now
                return state.entries[id]?.record
            }
        }
    }

    /// Whether the task was asked to stop (cancelled, or the server is shutting down).
    func isStopRequested(_ id: String) -> Bool {
        state.withLock { $0.entries[id]?.stop != nil }
    }

    // MARK: Reading

    /// The task `id`, if it is known (pending, running, or finished and not yet pruned).
    public func record(_ id: String) -> TaskRecord? {
        state.withLock { $0.entries[id]?.record }
    }

    /// Tasks, newest first.
    ///
    /// - Parameters:
    ///   - status: only tasks in this status.
    ///   - type: only tasks of this type.
    ///   - graphIDs: the graphs of the asking key's scope (``KeyScope/graphs``): `nil` for every
    ///     task; otherwise only the tasks of these graphs (a task without a graph is not shown).
    ///   - limit: at most this many.
    public func list(status: TaskStatus?, type: String?, graphIDs: Set<String>?, limit: Int) -> [TaskRecord] {
        query(status: status, type: type, graphIDs: graphIDs, limit: limit).tasks
    }

    /// ``list(status:type:graphIDs:limit:)`` and how many tasks matched before the limit.
    package func query(status: TaskStatus?, type: String?, graphIDs: Set<String>?, limit: Int) -> (tasks: [TaskRecord], total: Int) {
        let matching = state.withLock { state in
            state.entries.values.filter { entry in
                let record = entry.record
                return (status == nil || record.status == status) && (type == nil || record.taskType == type)
                    && record.isVisible(toGraphs: graphIDs)
            }
        }
        let sorted = matching.sorted { $0.order > $1.order }.map(\.record)
        return (Array(sorted.prefix(max(0, limit))), sorted.count)
    }

    /// Counts of every task, by status and by type.
    public func stats() -> TaskStats {
        stats(graphIDs: nil)
    }

    /// Counts of the tasks a key scoped to `graphIDs` sees (`nil`: every task).
    package func stats(graphIDs: Set<String>?) -> TaskStats {
        state.withLock { state in
            TaskStats(state.entries.values.lazy.map(\.record).filter { $0.isVisible(toGraphs: graphIDs) })
        }
    }

    /// The task's record now, then after every change; the stream finishes after the record
    /// with a terminal status (at once for a finished task). `nil` for an unknown task.
    ///
    /// A consumer that falls behind skips intermediate records (the latest 32 are buffered),
    /// never the terminal one. Ending the iteration (or cancelling its task) unregisters it.
    public func updates(_ id: String) -> AsyncStream<TaskRecord>? {
        // Under the lock: no change can be published between the record read and the subscription.
        state.withLock { state in state.entries[id].map { events.subscribe($0.record) } }
    }

    /// How many task files were written since start (for tests and diagnostics).
    var filesWritten: Int { store.filesWritten }

    /// How many ``updates(_:)`` streams of the task are open (for tests and diagnostics).
    func watcherCount(_ id: String) -> Int {
        events.count(id)
    }

    // MARK: Cancelling and shutting down

    /// Cancels a task.
    ///
    /// A pending task is `cancelled` at once (its work never runs). A running task's Swift task
    /// is cancelled, which interrupts its engine calls; it becomes `cancelled` when its work ends
    /// (watch ``updates(_:)``). A finished task is returned unchanged.
    ///
    /// - Returns: the record after the request, `nil` for an unknown task.
    @discardableResult
    public func cancel(_ id: String) -> TaskRecord? {
        let (record, handle, notStarted) = state.withLock { state -> (TaskRecord?, Task<Void, Never>?, Bool) in
            guard var entry = state.entries[id] else { return (nil, nil, false) }
            guard !entry.record.status.isTerminal else { return (entry.record, nil, false) }
            if entry.stop == nil { entry.stop = .cancelled }
            state.entries[id] = entry
            return (entry.record, entry.handle, entry.record.status == .pending)
        }
        guard let record, !record.status.isTerminal else { return record }
        logger.info("task cancellation requested", metadata: ["task_id": "\(id)", "task_type": "\(record.taskType)"])
        handle?.cancel()
        if notStarted { finish(id, .notStarted) }
        return self.record(id)
    }

    /// Cancels every pending and running task and waits up to ``shutdownGrace`` for them to end
    /// (`failed`, `interrupted by server shutdown`); a task still running then is recorded so
    /// anyway. Waits until every record is on disk. Later submissions fail at once. Idempotent.
    public func shutdown() async {
        let handles = state.withLock { state -> [Task<Void, Never>] in
            state.shuttingDown = true
            var handles: [Task<Void, Never>] = []
            for (id, entry) in state.entries where !entry.record.status.isTerminal {
                // A task whose cancellation was requested before stays a cancellation.
                if entry.stop == nil { state.entries[id]?.stop = .shutdown }
                if let handle = entry.handle { handles.append(handle) }
            }
            return handles
        }
        let unfinished = state.withLock { $0.entries.values.filter { !$0.record.status.isTerminal }.map(\.record.taskID) }
        if !unfinished.isEmpty {
            logger.info("shutting down: cancelling tasks", metadata: ["tasks": "\(unfinished.count)"])
        }
        for handle in handles { handle.cancel() }
        // Pending tasks whose work has not started end now.
        for id in unfinished where record(id)?.status == .pending { finish(id, .notStarted) }
        // Waited for in a task of its own: a caller that is itself cancelled (a service group being
        // cancelled rather than shut down) must still wait, not spin through cancelled sleeps.
        let deadline = ContinuousClock.now + shutdownGrace
        await Task { [self] in
            while ContinuousClock.now < deadline, state.withLock({ $0.entries.values.contains { !$0.record.status.isTerminal } }) {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }.value
        let stuck = state.withLock { $0.entries.values.filter { !$0.record.status.isTerminal }.map(\.record.taskID) }
        for id in stuck {
            logger.warning("task did not stop in time", metadata: ["task_id": "\(id)"])
            finish(id, .threw(CancellationError()))
        }
        await flush()
    }

    // MARK: Persistence

    /// Writes the task's current record (queued: the record written is the latest when the write runs).
    private func persist(_ id: String) {
        store.save { [self] in record(id) }
    }

    private func removeFile(of id: String) {
        store.remove(id)
    }

    /// Returns once every write requested so far is done.
    func flush() async {
        await store.flush()
    }

    // MARK: Helpers

    private func publishCounts() {
        metrics.setTaskCounts(state.withLock { Self.counts($0.entries.values.lazy.map(\.record)) })
    }

    private static func counts(_ records: some Sequence<TaskRecord>) -> [String: Int] {
        var counts: [String: Int] = [:]
        for record in records { counts[record.status.rawValue, default: 0] += 1 }
        return counts
    }

    /// Removes the finished tasks beyond `keeping`, those that finished first; returns their ids.
    private static func prune(_ entries: inout [String: Entry], keeping: Int) -> [String] {
        let finished = entries.values.filter(\.record.status.isTerminal)
        guard finished.count > keeping else { return [] }
        let oldest = finished.sorted { ($0.finishOrder ?? $0.order) < ($1.finishOrder ?? $1.order) }
            .prefix(finished.count - keeping).map(\.record.taskID)
        for id in oldest { entries[id] = nil }
        return Array(oldest)
    }

    /// Now, to the millisecond (what the JSON keeps), so a record read back equals the one written.
    static func now() -> Date {
        TaskTimestamp.rounded(Date())
    }
}

/// What a task's work uses to report progress and notice cancellation.
public final class TaskProgress: Sendable {
    /// The task's id.
    public let taskID: String
    private let manager: TaskManager

    init(taskID: String, manager: TaskManager) {
        self.taskID = taskID
        self.manager = manager
    }

    /// Updates the task's record and tells its watchers. `percent` is clamped to 0...100 and never
    /// decreases; `nil` values leave the field as it was. Written to disk at most once a second.
    /// `metadata` keys replace (or add to) the task's ``TaskRecord/metadata``, for what a phase
    /// of the work reports besides the fields (`phase`, `rows_per_second`, `eta_seconds`, …).
    /// Reports after the task ended are ignored. Cheap; callable from any thread.
    public func report(
        percent: Double?, rowsProcessed: Int64? = nil, bytesProcessed: Int64? = nil, totalRows: Int64? = nil,
        totalBytes: Int64? = nil, message: String? = nil, metadata: [String: JSONValue]? = nil
    ) {
        manager.report(
            taskID, percent: percent, rowsProcessed: rowsProcessed, bytesProcessed: bytesProcessed, totalRows: totalRows,
            totalBytes: totalBytes, message: message, metadata: metadata
        )
    }

    /// Whether the task was cancelled or the server is shutting down: the work should stop.
    public var isCancelled: Bool {
        manager.isStopRequested(taskID)
    }
}
