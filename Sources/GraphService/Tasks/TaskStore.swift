import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The task records on disk: one file `<directory>/<task_id>.json` per task, replaced atomically
/// (written to a temporary file, synced, then renamed over the old one).
///
/// Writes and deletions run in order on a serial queue of their own, never on the cooperative
/// thread pool; a queued write reads the record it writes when its turn comes, so the last one
/// written is the latest state.
final class TaskStore: Sendable {
    /// The folder holding one JSON file per task.
    let directory: String
    private let logger: Logger
    /// Writes and deletes task files, in order.
    private let queue = DispatchQueue(label: "graph-api.tasks.persistence")
    private let filesWrittenCounter = Atomic<Int>(0)

    init(directory: String, logger: Logger) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.logger = logger
    }

    /// Creates the folder if needed and reads every task file back. Leftover temporary files (a
    /// write that never completed: the file it was to replace is intact) are removed; unreadable
    /// files and files not named after their task are skipped with a warning.
    func loadRecords() throws -> [TaskRecord] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var records: [TaskRecord] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            if name.hasPrefix("."), name.hasSuffix(".tmp") {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            guard name.hasSuffix(".json"), !name.hasPrefix(".") else { continue }
            let record: TaskRecord
            do {
                record = try JSONDecoder.iso8601.decode(TaskRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                logger.warning("ignoring unreadable task file", metadata: ["file": "\(path)", "error": "\(error)"])
                continue
            }
            guard name == record.taskID + ".json" else {
                logger.warning("ignoring task file whose name is not its task id", metadata: ["file": "\(path)"])
                continue
            }
            records.append(record)
        }
        return records
    }

    /// Queues a write of the record `latest` returns when the write's turn comes (none if it
    /// returns `nil`: the task is gone). A failed write is logged.
    func save(after delay: Duration = .zero, _ latest: @escaping @Sendable () -> TaskRecord?) {
        let work: @Sendable () -> Void = { [self] in
            if let record = latest() { writeLogging(record) }
        }
        if delay <= .zero {
            queue.async(execute: work)
        } else {
            let nanoseconds = Int(delay.components.seconds) * 1_000_000_000 + Int(delay.components.attoseconds / 1_000_000_000)
            queue.asyncAfter(deadline: .now() + .nanoseconds(max(0, nanoseconds)), execute: work)
        }
    }

    /// Writes `record` on the queue, after every write queued before it, and returns once it is on
    /// disk (synced and renamed into place).
    func writeNow(_ record: TaskRecord) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async { [self] in
                do {
                    try write(record)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Queues the removal of the task's file.
    func remove(_ id: String) {
        let path = directory + "/" + id + ".json"
        queue.async {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Returns once every write and removal queued so far is done.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { continuation.resume() }
        }
    }

    /// How many task files were written since start (for tests and diagnostics).
    var filesWritten: Int { filesWrittenCounter.load(ordering: .relaxed) }

    private func writeLogging(_ record: TaskRecord) {
        do {
            try write(record)
        } catch {
            logger.error("cannot write task file", metadata: ["task_id": "\(record.taskID)", "error": "\(error)"])
        }
    }

    /// Writes `record` now, on the caller's thread: a temporary file, synced, renamed over the task's file.
    func write(_ record: TaskRecord) throws {
        let path = directory + "/" + record.taskID + ".json"
        let temporary = directory + "/." + record.taskID + ".json.tmp"
        let data = record.jsonData
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw TaskFileError(path: temporary, operation: "open", code: errno) }
        var failure: TaskFileError?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = TaskFileError(path: temporary, operation: "write", code: errno)
                    return
                }
                offset += written
            }
            if fsync(descriptor) != 0 { failure = TaskFileError(path: temporary, operation: "fsync", code: errno) }
        }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw TaskFileError(path: path, operation: "rename", code: code)
        }
        filesWrittenCounter.add(1, ordering: .relaxed)
    }
}

/// `write(2)`: a method of ``TaskStore`` has the same name.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Darwin.write(descriptor, bytes, count)
    #endif
}

/// A task file could not be written.
struct TaskFileError: Error, CustomStringConvertible {
    var path: String
    var operation: String
    var code: Int32

    var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }

    /// The service's error for a task that could not be recorded: `disk_full` when the disk has
    /// no room left, `task_not_recorded` otherwise.
    var serviceError: ServiceError {
        if code == ENOSPC || code == EDQUOT {
            return ServiceError(.diskFull, "the data folder's disk is full: the task could not be recorded (\(operation) failed); free space and retry")
        }
        return ServiceError(.taskNotRecorded, "the task could not be recorded: \(description)")
    }
}
