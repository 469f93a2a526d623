import Foundation
import GraphAPIContract
import GraphJSON
import Testing

@testable import GraphAPIClient

/// The task calls of the client library against a live in-process server, the monitor stream,
/// and the text the CLI shows for progress.
@Suite(.serialized) struct TasksClientTests {
    static func client(_ url: String, key: String? = LiveServer.apiKey) throws -> GraphAPIClient {
        GraphAPIClient(configuration: try .init(url: url, apiKey: key))
    }

    static let unknownTask = "3f0c8a52-1111-4d0e-9c53-6a1b2c3d4e5f"

    @Test func taskCallsRoundTrip() async throws {
        try await TaskTestServer.with { server in
            let client = try Self.client(server.url)
            let failed = try await server.submitFailing(graph: "g", message: "3 rows have no identifier")
            #expect(try await server.wait(failed, status: "failed"))
            let completed = try await server.submitProgressing(graph: nil, steps: 2, stepMilliseconds: 1)
            #expect(try await server.wait(completed, status: "completed"))
            let running = try await server.submitBlocking(graph: "g")
            #expect(try await server.wait(running, status: "running"))

            let list = try await client.listTasks()
            #expect(list.tasks.map(\.taskId) == [running, completed, failed])
            #expect(list.total == 3)
            let page = try await client.listTasks(status: "completed", type: "copy", limit: 1)
            #expect(page.tasks.map(\.taskId) == [completed])
            #expect(page.total == 1)
            #expect(try await client.listTasks(limit: 1).total == 3)

            let stats = try await client.taskStats()
            #expect(stats.total == 3)
            #expect(stats.byStatus == .init(pending: 0, running: 1, completed: 1, failed: 1, cancelled: 0))
            #expect(TaskStatus.allCases.map { stats.byStatus[$0] } == [0, 1, 1, 1, 0])
            #expect(stats.byType.additionalProperties == ["copy": 1, "ingest": 1, "backup": 1])

            let done = try await client.task(completed)
            #expect(done.status == .completed)
            #expect(done.isFinished)
            #expect(done.result == ["rows": 200])
            #expect(done.rowsProcessed == 200 && done.totalRows == 200)
            #expect(done.metadata["source"] == "test")
            #expect(done.graphId == nil)
            #expect(done.completedAt != nil)
            let failure = try await client.task(failed)
            #expect(failure.error == "3 rows have no identifier")
            #expect(failure.result == .null)
            #expect(failure.graphId == "g")

            let cancelled = try await client.cancelTask(running)
            #expect(cancelled.status == .cancelled)
            let again = await #expect(throws: GraphAPIClientError.self) { try await client.cancelTask(running) }
            #expect(again?.status == 409)
            #expect(again?.code == "task_finished")
            let missing = await #expect(throws: GraphAPIClientError.self) { try await client.task(Self.unknownTask) }
            #expect(missing?.isNotFound == true)
            #expect(missing?.code == "task_not_found")
            let bad = await #expect(throws: GraphAPIClientError.self) { try await client.listTasks(status: "bogus") }
            #expect(bad?.status == 400)
            #expect(bad?.code == "invalid_status")
            // A read-only key may not cancel.
            let another = try await server.submitBlocking(graph: nil)
            let readOnly = try Self.client(server.url, key: LiveServer.readOnlyKey)
            let refused = await #expect(throws: GraphAPIClientError.self) { try await readOnly.cancelTask(another) }
            #expect(refused?.isAccessDenied == true)
            #expect(refused?.code == "read_only_key")
            #expect(server.status(of: another) == "running")
        }
    }

    @Test func monitorStreamsTheEventsOfATaskUntilItEnds() async throws {
        try await TaskTestServer.with { server in
            let client = try Self.client(server.url)
            let id = try await server.submitProgressing(graph: "g", steps: 3, stepMilliseconds: 50, gated: true)
            var names: [String] = []
            var tasks: [TaskInfo] = []
            for try await event in client.monitorTask(id) {
                names.append(event.name)
                if let task = event.task { tasks.append(task) }
                if event.name == "connected" { server.openGate(id) }
            }
            #expect(names.first == "connected")
            #expect(names.last == "completed")
            #expect(names.filter { $0 == "progress" }.count >= 1, "\(names)")
            #expect(tasks.allSatisfy { $0.taskId == id })
            #expect(tasks.last?.result == ["rows": 300])
            #expect(tasks.last?.progressPercent == 100)
            #expect(tasks.map(\.progressPercent) == tasks.map(\.progressPercent).sorted())

            // A finished task: connected, then its end.
            let failed = try await server.submitFailing(graph: nil, message: "no such bucket")
            #expect(try await server.wait(failed, status: "failed"))
            var events: [TaskEvent] = []
            for try await event in client.monitorTask(failed) { events.append(event) }
            #expect(events.map(\.name) == ["connected", "failed"])
            #expect(events.last?.task?.error == "no such bucket")
            #expect(events.last?.isTerminal == true)

            let missing = await #expect(throws: GraphAPIClientError.self) {
                for try await _ in client.monitorTask(Self.unknownTask) {}
            }
            #expect(missing?.status == 404)
            #expect(missing?.code == "task_not_found")
        }
    }

    @Test func serverSentEventsAreParsedHoweverTheBytesArrive() {
        let text = "event: connected\r\ndata: {\"a\":1}\r\n\r\n: a comment\n\nevent: progress\ndata: {\"b\":\ndata: 2}\n\nid: 7\ndata: x\n\n"
        let expected = [("connected", "{\"a\":1}"), ("progress", "{\"b\":\n2}"), ("message", "x")]
        for pieceSize in [1, 2, 5, 13, text.utf8.count] {
            var parser = ServerSentEventParser()
            var events: [(name: String, data: String)] = []
            let bytes = Array(text.utf8)
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + pieceSize)
                events += parser.append(bytes[start..<end])
                start = end
            }
            #expect(events.map(\.name) == expected.map(\.0), "pieces of \(pieceSize)")
            #expect(events.map(\.data) == expected.map(\.1), "pieces of \(pieceSize)")
        }
        // An unfinished event is not delivered.
        var parser = ServerSentEventParser()
        #expect(parser.append(Array("event: completed\ndata: {}\n".utf8)).isEmpty)
        #expect(parser.append(Array("\n".utf8)).map(\.name) == ["completed"])
    }

    @Test func progressTextForTerminalsAndLogs() throws {
        let json = #"""
            {"task_id":"t","task_type":"copy","graph_id":null,"status":"running","progress_percent":40,
             "created_at":"2026-01-04T09:00:00.123Z","started_at":null,"completed_at":null,"error":null,"result":null,
             "metadata":{},"rows_processed":400,"bytes_processed":null,"total_rows":1000,"total_bytes":null,
             "message":"part 3\nof 5"}
            """#
        var task = try GraphAPIClient.contractDecoder().decode(TaskInfo.self, from: Data(json.utf8))
        #expect(TaskProgressText.bar(task, width: 10) == "[####------]   40.0%  running  rows 400/1000  part 3\\nof 5")
        #expect(TaskProgressText.line(task) == "running   40.0%  rows 400/1000  part 3\\nof 5")
        task.progressPercent = 250
        task.rowsProcessed = nil
        task.message = nil
        task.bytesProcessed = 2048
        #expect(TaskProgressText.bar(task, width: 4) == "[####]  100.0%  running  bytes 2048")
        task.progressPercent = .nan
        #expect(TaskProgressText.line(task) == "running    0.0%  bytes 2048")
        #expect(!task.isFinished)
    }
}
