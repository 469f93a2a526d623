import Synchronization

/// Hands every change of a task's record to those watching it (the SSE monitor), in the order
/// of the changes.
///
/// ``TaskManager`` publishes while holding its own lock, so watchers see the changes in the
/// order they were made; this type's lock is taken inside that one and never the other way
/// round (a stream's termination handler takes only this lock).
final class TaskEvents: Sendable {
    private typealias Watchers = [Int: AsyncStream<TaskRecord>.Continuation]
    private let watchers = Mutex<[String: Watchers]>([:])
    private let tokens = Atomic<Int>(0)

    /// A stream that starts with `current` and, unless it is terminal, goes on with every record
    /// published for the task until the terminal one. A consumer that falls behind skips
    /// intermediate records (the latest 32 are buffered), never the terminal one. Ending the
    /// iteration unregisters it.
    func subscribe(_ current: TaskRecord) -> AsyncStream<TaskRecord> {
        let id = current.taskID
        let (stream, continuation) = AsyncStream.makeStream(of: TaskRecord.self, bufferingPolicy: .bufferingNewest(32))
        continuation.yield(current)
        if current.status.isTerminal {
            continuation.finish()
            return stream
        }
        let token = tokens.add(1, ordering: .relaxed).newValue
        continuation.onTermination = { [weak self] _ in
            self?.watchers.withLock { watchers in
                watchers[id]?.removeValue(forKey: token)
                if watchers[id]?.isEmpty == true { watchers[id] = nil }
            }
        }
        watchers.withLock { $0[id, default: [:]][token] = continuation }
        return stream
    }

    /// Gives `record` to the task's watchers; a terminal record ends their streams.
    func publish(_ record: TaskRecord) {
        let ended = watchers.withLock { watchers -> [AsyncStream<TaskRecord>.Continuation] in
            guard let current = watchers[record.taskID] else { return [] }
            for watcher in current.values { watcher.yield(record) }
            guard record.status.isTerminal else { return [] }
            watchers[record.taskID] = nil
            return Array(current.values)
        }
        // Outside the lock: finishing a stream runs its termination handler, which takes it.
        for watcher in ended { watcher.finish() }
    }

    /// How many streams of the task are open (for tests and diagnostics).
    func count(_ id: String) -> Int {
        watchers.withLock { $0[id]?.count ?? 0 }
    }
}
