import Foundation
import GraphJSON
import GraphAPITesting
import Prometheus
import Testing

@testable import GraphAPI
@testable import GraphService

/// The task store and runner on its own: transitions, progress, persistence, restart, pruning,
/// shutdown and the watchers of a task.
@Suite struct TaskManagerTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "the source went away" }
    }

    @Test func completedTaskKeepsItsResultProgressAndTimestamps() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metrics = ServerMetrics()
        let manager = try TaskFixtures.manager(directory: directory, metrics: metrics)
        let graph = try GraphID(validating: "sales")
        let submitted = try await manager.submit(type: "copy", graphID: graph, metadata: ["table": "Entity"]) { progress in
            progress.report(percent: 40, rowsProcessed: 400, bytesProcessed: 4096, totalRows: 1000, totalBytes: 10240, message: "copying")
            return ["rows_copied": 1000, "table": "Entity"]
        }
        #expect(submitted.status == .pending)
        #expect(submitted.graphID == "sales")
        #expect(submitted.taskID == submitted.taskID.lowercased())
        #expect(UUID(uuidString: submitted.taskID) != nil)
        let done = try await TaskFixtures.terminal(manager, submitted.taskID)
        #expect(done.status == .completed)
        #expect(done.result == ["rows_copied": 1000, "table": "Entity"])
        #expect(done.progressPercent == 100)
        #expect(done.rowsProcessed == 400)
        #expect(done.bytesProcessed == 4096)
        #expect(done.totalRows == 1000)
        #expect(done.totalBytes == 10240)
        #expect(done.message == "copying")
        #expect(done.error == nil)
        #expect(done.metadata == ["table": "Entity"])
        let started = try #require(done.startedAt)
        let completed = try #require(done.completedAt)
        #expect(done.createdAt <= started && started <= completed)
        await manager.flush()
        #expect(try TaskFixtures.storedRecord(directory, done.taskID) == done)
        let text = metrics.registry.emitToString()
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks_finished_total", [("type", "copy"), ("status", "completed")]) == 1)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "completed")]) == 1)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "running")]) == 0)
        await manager.shutdown()
    }

    @Test func failedTaskKeepsTheErrorDetail() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metrics = ServerMetrics()
        let manager = try TaskFixtures.manager(directory: directory, metrics: metrics)
        let apiFailure = try await manager.submit(type: "ingest", graphID: nil, metadata: [:]) { _ in
            throw ServiceError(.ingestRowsRejected, "3 rows have no identifier")
        }
        let otherFailure = try await manager.submit(type: "ingest", graphID: nil, metadata: [:]) { _ in throw Failure() }
        let api = try await TaskFixtures.terminal(manager, apiFailure.taskID)
        #expect(api.status == .failed)
        #expect(api.error == "3 rows have no identifier")
        #expect(api.result == nil)
        #expect(api.completedAt != nil)
        let other = try await TaskFixtures.terminal(manager, otherFailure.taskID)
        #expect(other.status == .failed)
        #expect(other.error == "the source went away")
        #expect(other.progressPercent == 0)
        let text = metrics.registry.emitToString()
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks_finished_total", [("type", "ingest"), ("status", "failed")]) == 2)
        await manager.shutdown()
    }

    @Test func cancellingARunningTaskInterruptsItsWork() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try TaskFixtures.manager(directory: directory)
        let sawCancellation = ObservabilityBox(false)
        let submitted = try await manager.submit(type: "backup", graphID: nil, metadata: [:]) { progress in
            progress.report(percent: 10)
            do {
                try await Task.sleep(for: .seconds(3_600))
            } catch {
                sawCancellation.withLock { $0 = progress.isCancelled }
                throw error
            }
            return .null
        }
        try await TaskFixtures.waitFor(manager, submitted.taskID, status: .running)
        let started = ContinuousClock.now
        let requested = try #require(manager.cancel(submitted.taskID))
        #expect(!requested.status.isTerminal || requested.status == .cancelled)
        let done = try await TaskFixtures.terminal(manager, submitted.taskID)
        // The work would sleep an hour: a bound a loaded machine keeps.
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(done.status == .cancelled)
        #expect(done.error == "cancelled on request")
        #expect(done.progressPercent == 10)
        #expect(sawCancellation.withLock { $0 })
        // A finished task is returned as it is.
        #expect(manager.cancel(submitted.taskID) == done)
        #expect(manager.cancel("00000000-0000-0000-0000-000000000000") == nil)
        await manager.shutdown()
    }

    @Test func aCancelledTaskWhoseWorkThrowsAnotherErrorIsCancelled() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try TaskFixtures.manager(directory: directory)
        let submitted = try await manager.submit(type: "copy", graphID: nil, metadata: [:]) { _ in
            // Work that turns the interruption into an error of its own, as an engine call does.
            do {
                try await Task.sleep(for: .seconds(3_600))
            } catch {
                throw Failure()
            }
            return .null
        }
        try await TaskFixtures.waitFor(manager, submitted.taskID, status: .running)
        manager.cancel(submitted.taskID)
        let done = try await TaskFixtures.terminal(manager, submitted.taskID)
        #expect(done.status == .cancelled)

        // Work that throws CancellationError by itself ends cancelled too.
        let unprompted = try await manager.submit(type: "copy", graphID: nil, metadata: [:]) { _ in throw CancellationError() }
        let second = try await TaskFixtures.terminal(manager, unprompted.taskID)
        #expect(second.status == .cancelled)
        #expect(second.error == "cancelled")
        await manager.shutdown()
    }

    @Test func progressIsClampedAndNeverGoesBack() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try TaskFixtures.manager(directory: directory)
        let gate = TaskGate()
        let seen = ObservabilityBox<[Double]>([])
        let submitted = try await manager.submit(type: "copy", graphID: nil, metadata: [:]) { progress in
            for percent in [50, 30, -5, .nan, .infinity, 70, 150, 99] as [Double] {
                progress.report(percent: percent)
                let now = manager.record(progress.taskID)?.progressPercent ?? -1
                seen.withLock { $0.append(now) }
            }
            progress.report(percent: nil, rowsProcessed: 7)
            await gate.wait()
            throw Failure()
        }
        try await TaskFixtures.waitFor(manager, submitted.taskID, status: .running)
        #expect(try await eventually(seconds: 5) { manager.record(submitted.taskID)?.rowsProcessed == 7 })
        #expect(seen.withLock { $0 } == [50, 50, 50, 50, 50, 70, 100, 100])
        gate.open()
        let done = try await TaskFixtures.terminal(manager, submitted.taskID)
        #expect(done.status == .failed)
        #expect(done.progressPercent == 100)  // a failed task keeps its last progress
        // Reports after the end change nothing.
        TaskProgress(taskID: submitted.taskID, manager: manager).report(percent: 100, message: "late")
        #expect(manager.record(submitted.taskID)?.message == nil)
        await manager.shutdown()
    }

    @Test func progressIsWrittenAtMostOncePerIntervalButTheLatestIsWritten() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = TaskFixtures.settings
        settings.persistInterval = .milliseconds(300)
        let manager = try TaskFixtures.manager(directory: directory, settings: settings)
        let gate = TaskGate()
        let reported = TaskGate()
        let submitted = try await manager.submit(type: "copy", graphID: nil, metadata: [:]) { progress in
            for step in 1...200 { progress.report(percent: Double(step) / 2, rowsProcessed: Int64(step)) }
            reported.open()
            await gate.wait()
            return .null
        }
        await reported.wait()
        // The latest report reaches the file once the interval has passed, without another report…
        #expect(try await eventually(seconds: 5) { (try? TaskFixtures.storedRecord(directory, submitted.taskID))?.rowsProcessed == 200 })
        await manager.flush()
        // …and 200 reports within one interval made only a few writes: submitted, started, one delayed.
        #expect(manager.filesWritten <= 4, "\(manager.filesWritten) writes")
        #expect(try TaskFixtures.storedRecord(directory, submitted.taskID).progressPercent == 100)
        gate.open()
        let done = try await TaskFixtures.terminal(manager, submitted.taskID)
        await manager.flush()
        // The end is always written.
        #expect(try TaskFixtures.storedRecord(directory, submitted.taskID) == done)
        #expect(done.result == nil)
        await manager.shutdown()
    }

    @Test func tasksSurviveARestartAndInterruptedOnesAreFailed() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TaskFixtures.manager(directory: directory)
        let finished = try await first.submit(type: "copy", graphID: try GraphID(validating: "g1"), metadata: ["source": "s3://b/x.parquet"]) { _ in
            ["rows": 12]
        }
        let finishedRecord = try await TaskFixtures.terminal(first, finished.taskID)
        let blocked = try await first.submit(type: "backup", graphID: try GraphID(validating: "g2"), metadata: [:]) { progress in
            progress.report(percent: 25, message: "half way to half way")
            try await Task.sleep(for: .seconds(3_600))
            return .null
        }
        try await TaskFixtures.waitFor(first, blocked.taskID, status: .running)
        // The report reaches the file once the progress interval has passed (a delayed write).
        #expect(try await eventually(seconds: 5) { (try? TaskFixtures.storedRecord(directory, blocked.taskID))?.progressPercent == 25 })
        #expect(try TaskFixtures.storedRecord(directory, blocked.taskID).status == .running)
        // A write that never completed is left over, as after a crash.
        try Data("{\"partial".utf8).write(to: URL(fileURLWithPath: directory + "/.\(blocked.taskID).json.tmp"))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: directory + "/garbage.json"))

        // A second manager on the same folder, as after a crash of the first.
        let metrics = ServerMetrics()
        let second = try TaskFixtures.manager(directory: directory, metrics: metrics)
        let interrupted = try #require(second.record(blocked.taskID))
        #expect(interrupted.status == .failed)
        #expect(interrupted.error == "interrupted by restart")
        #expect(interrupted.completedAt != nil)
        #expect(interrupted.progressPercent == 25)
        #expect(interrupted.message == "half way to half way")
        #expect(interrupted.graphID == "g2")
        #expect(try TaskFixtures.storedRecord(directory, blocked.taskID) == interrupted)
        #expect(second.record(finished.taskID) == finishedRecord)
        #expect(second.stats().total == 2)
        #expect(!FileManager.default.fileExists(atPath: directory + "/.\(blocked.taskID).json.tmp"))
        let text = metrics.registry.emitToString()
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks_finished_total", [("type", "backup"), ("status", "failed")]) == 1)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "failed")]) == 1)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "completed")]) == 1)

        // The first manager's task is still running in this process: stop it.
        await first.shutdown()
        await second.shutdown()
    }

    @Test func onlyTheNewestFinishedTasksAreKept() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = TaskFixtures.settings
        settings.maxFinishedTasks = 3
        let manager = try TaskFixtures.manager(directory: directory, settings: settings)
        let running = try await manager.submit(type: "backup", graphID: nil, metadata: [:], work: TaskFixtures.untilCancelled)
        var ids: [String] = []
        for index in 0..<5 {
            let record = try await manager.submit(type: "copy", graphID: nil, metadata: ["index": .int(Int64(index))]) { _ in .null }
            _ = try await TaskFixtures.terminal(manager, record.taskID)
            ids.append(record.taskID)
        }
        await manager.flush()
        let kept = manager.list(status: .completed, type: nil, graphIDs: nil, limit: 100).map(\.taskID)
        #expect(kept == Array(ids.suffix(3).reversed()))
        #expect(manager.record(ids[0]) == nil)
        #expect(manager.record(running.taskID)?.status == .running)  // unfinished tasks are never pruned
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set((ids.suffix(3) + [running.taskID]).map { $0 + ".json" }))
        await manager.shutdown()
        // Loading applies the same limit.
        let reloaded = try TaskFixtures.manager(directory: directory, settings: settings)
        #expect(reloaded.stats().total == 3)
        #expect(reloaded.record(ids[2]) == nil)
        #expect(reloaded.record(running.taskID)?.error == "interrupted by server shutdown")
        await reloaded.shutdown()
    }

    @Test func shutdownStopsRunningTasksAndRefusesNewOnes() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try TaskFixtures.manager(directory: directory)
        let running = try await manager.submit(type: "restore", graphID: nil, metadata: [:], work: TaskFixtures.untilCancelled)
        try await TaskFixtures.waitFor(manager, running.taskID, status: .running)
        await manager.shutdown()
        let stopped = try #require(manager.record(running.taskID))
        #expect(stopped.status == .failed)
        #expect(stopped.error == "interrupted by server shutdown")
        #expect(try TaskFixtures.storedRecord(directory, running.taskID) == stopped)
        let late = try await manager.submit(type: "copy", graphID: nil, metadata: [:]) { _ in
            Issue.record("work of a task submitted after shutdown ran")
            return .null
        }
        #expect(late.status == .failed)
        #expect(late.error == "server is shutting down")
        try await Task.sleep(for: .milliseconds(100))
        #expect(manager.record(late.taskID)?.status == .failed)
        await manager.shutdown()  // again: nothing left to do
    }

    @Test func aTaskThatIgnoresShutdownIsRecordedAsInterrupted() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = TaskFixtures.settings
        settings.shutdownGrace = .milliseconds(200)
        let manager = try TaskFixtures.manager(directory: directory, settings: settings)
        let gate = TaskGate()
        let stubborn = try await manager.submit(type: "copy", graphID: nil, metadata: [:]) { _ in
            await gate.wait()
            return "finished anyway"
        }
        try await TaskFixtures.waitFor(manager, stubborn.taskID, status: .running)
        await manager.shutdown()
        #expect(manager.record(stubborn.taskID)?.status == .failed)
        #expect(manager.record(stubborn.taskID)?.error == "interrupted by server shutdown")
        gate.open()
        try await Task.sleep(for: .milliseconds(100))
        #expect(manager.record(stubborn.taskID)?.status == .failed)  // the record does not change after its end
    }

    @Test func updatesYieldTheCurrentRecordThenEveryChangeThenFinish() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try TaskFixtures.manager(directory: directory)
        #expect(manager.updates("00000000-0000-0000-0000-000000000000") == nil)
        let gate = TaskGate()
        let step = TaskGate()
        let submitted = try await manager.submit(type: "copy", graphID: nil, metadata: [:]) { progress in
            await gate.wait()
            progress.report(percent: 50)
            await step.wait()
            return "ok"
        }
        try await TaskFixtures.waitFor(manager, submitted.taskID, status: .running)
        let updates = try #require(manager.updates(submitted.taskID))
        #expect(manager.watcherCount(submitted.taskID) == 1)
        var seen: [(TaskStatus, Double)] = []
        for await record in updates {
            seen.append((record.status, record.progressPercent))
            if seen.count == 1 { gate.open() }
            if record.progressPercent == 50 { step.open() }
        }
        #expect(seen.map(\.0) == [.running, .running, .completed])
        #expect(seen.map(\.1) == [0, 50, 100])
        #expect(manager.watcherCount(submitted.taskID) == 0)
        // A finished task: its record, then the end.
        var after: [TaskStatus] = []
        for await record in try #require(manager.updates(submitted.taskID)) { after.append(record.status) }
        #expect(after == [.completed])
        await manager.shutdown()
    }

    @Test func aWatcherThatLeavesIsUnregistered() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try TaskFixtures.manager(directory: directory)
        let submitted = try await manager.submit(type: "copy", graphID: nil, metadata: [:], work: TaskFixtures.untilCancelled)
        let updates = try #require(manager.updates(submitted.taskID))
        let watcher = Task {
            for await _ in updates {}
        }
        #expect(manager.watcherCount(submitted.taskID) == 1)
        watcher.cancel()
        await watcher.value
        #expect(try await eventually(seconds: 5) { manager.watcherCount(submitted.taskID) == 0 })
        await manager.shutdown()
    }

    @Test func listFiltersByStatusTypeAndScopeNewestFirst() async throws {
        let directory = TaskFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try TaskFixtures.manager(directory: directory)
        let a = try GraphID(validating: "a")
        let b = try GraphID(validating: "b")
        var ids: [String] = []
        for (type, graph, fails) in [("copy", a, false), ("ingest", b, false), ("copy", nil, true), ("backup", a, true)] as [(String, GraphID?, Bool)] {
            let record = try await manager.submit(type: type, graphID: graph, metadata: [:]) { _ in
                if fails { throw Failure() }
                return .null
            }
            _ = try await TaskFixtures.terminal(manager, record.taskID)
            ids.append(record.taskID)
            try await Task.sleep(for: .milliseconds(5))  // distinct creation times
        }
        #expect(manager.list(status: nil, type: nil, graphIDs: nil, limit: 100).map(\.taskID) == ids.reversed())
        #expect(manager.list(status: .failed, type: nil, graphIDs: nil, limit: 100).map(\.taskID) == [ids[3], ids[2]])
        #expect(manager.list(status: nil, type: "copy", graphIDs: nil, limit: 100).map(\.taskID) == [ids[2], ids[0]])
        #expect(manager.list(status: nil, type: nil, graphIDs: ["a"], limit: 100).map(\.taskID) == [ids[3], ids[0]])
        #expect(manager.list(status: nil, type: nil, graphIDs: [], limit: 100).isEmpty)
        #expect(manager.list(status: nil, type: nil, graphIDs: nil, limit: 2).map(\.taskID) == [ids[3], ids[2]])
        let page = manager.query(status: nil, type: nil, graphIDs: nil, limit: 1)
        #expect(page.tasks.count == 1 && page.total == 4)
        let stats = manager.stats()
        #expect(stats.total == 4)
        #expect(stats.byStatus == ["pending": 0, "running": 0, "completed": 2, "failed": 2, "cancelled": 0])
        #expect(stats.byType == ["copy": 2, "ingest": 1, "backup": 1])
        #expect(manager.stats(graphIDs: ["b"]).byType == ["ingest": 1])
        await manager.shutdown()
    }

    @Test func recordJSONAlwaysHasEveryKey() throws {
        let created = Date(timeIntervalSince1970: 1_767_517_200.123)
        let record = TaskRecord(taskID: "id", taskType: "copy", graphID: nil, createdAt: created)
        let object = try #require(JSONSerialization.jsonObject(with: record.jsonData) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "task_id", "task_type", "graph_id", "status", "progress_percent", "created_at", "started_at", "completed_at",
                "error", "result", "metadata", "rows_processed", "bytes_processed", "total_rows", "total_bytes", "message",
            ]
        )
        #expect(object["created_at"] as? String == "2026-01-04T09:00:00.123Z")
        #expect(object["result"] is NSNull && object["started_at"] is NSNull && object["graph_id"] is NSNull)
        #expect(object["status"] as? String == "pending")
        let decoded = try JSONDecoder.iso8601.decode(TaskRecord.self, from: record.jsonData)
        #expect(decoded.taskID == "id" && decoded.result == nil && decoded.startedAt == nil)
        #expect(abs(decoded.createdAt.timeIntervalSince(created)) < 0.001)
        #expect(throws: DecodingError.self) {
            try JSONDecoder.iso8601.decode(TaskRecord.self, from: Data(#"{"task_id":"x","task_type":"copy","status":"pending"}"#.utf8))
        }
    }

    @Test func taskValuesArePlainJSONWithExactNumbers() throws {
        let value: JSONValue = ["n": 3, "x": 1.5, "s": "t", "b": true, "none": .null, "list": [1, "two"], "inf": .double(.infinity)]
        let text = String(decoding: try JSONEncoder.iso8601.encode(value), as: UTF8.self)
        #expect(text == #"{"b":true,"inf":null,"list":[1,"two"],"n":3,"none":null,"s":"t","x":1.5}"#)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(decoded["n"] == .int(3))
        #expect(decoded["x"] == .double(1.5))
        #expect(decoded["b"] == .bool(true))
        #expect(decoded["list"] == [1, "two"])
        #expect(decoded["none"] == .null)
        #expect(decoded["s"]?.stringValue == "t")
        #expect(decoded["n"]?.numberValue?.int64Value == 3)
        // Numbers keep their digits: no 2^53 rounding of a large integer, no reformatting.
        let big = try JSONValue(parsing: "[9007199254740993, 1e300, false, 0]")
        #expect(big.arrayValue?.map(\.description) == ["9007199254740993", "1e300", "false", "0"])
    }
}
