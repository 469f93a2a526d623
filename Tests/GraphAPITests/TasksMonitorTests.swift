import Foundation
import GraphJSON
import GraphAPITesting
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// `GET /tasks/{task_id}/monitor` on a live server, read as the events arrive; and the task
/// answers checked against the OpenAPI document.
@Suite struct TasksMonitorTests {
    typealias Keys = TasksTestKeys

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the bucket is gone" }
    }

    static func terminalNames(_ events: [ReceivedEvent]) -> [String] {
        events.map(\.name).filter { ["completed", "failed", "cancelled"].contains($0) }
    }

    @Test func monitorSendsConnectedProgressHeartbeatsThenCompleted() async throws {
        try await TestServer.withTasks { server in
            let start = TaskGate()
            let submitted = try await server.tasks.submit(type: "copy", graphID: try GraphID(validating: "a"), metadata: ["table": "Entity"]) { progress in
                await start.wait()
                for step in 1...3 {
                    // Slower than the heartbeat interval (200 ms), so heartbeats come between.
                    try await Task.sleep(for: .milliseconds(450))
                    progress.report(percent: Double(step) * 25, rowsProcessed: Int64(step) * 100, message: "step \(step)")
                }
                return ["rows": 300]
            }
            let port = server.port
            let answer = try await SSEClient.get(port: port, path: "/tasks/\(submitted.taskID)/monitor", key: Keys.graphAKey) { event in
                if event.name == "connected" { start.open() }
                return true
            }
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "text/event-stream; charset=utf-8")
            #expect(answer.headers["cache-control"] == "no-cache")
            #expect(answer.ended)
            let names = answer.events.map(\.name)
            #expect(names.first == "connected")
            #expect(names.last == "completed")
            #expect(Self.terminalNames(answer.events) == ["completed"])
            #expect(names.filter { $0 == "heartbeat" }.count >= 2, "\(names)")
            let progress = try answer.events.filter { $0.name == "progress" }.map { try $0.json() }
            #expect(progress.compactMap { $0["progress_percent"] as? Double }.contains(75), "\(names)")
            #expect(progress.compactMap { $0["message"] as? String }.contains("step 3"))
            // Progress never goes back.
            let percents = progress.compactMap { $0["progress_percent"] as? Double }
            #expect(percents == percents.sorted())
            let connected = try #require(try answer.events.first?.json())
            #expect(connected["task_id"] as? String == submitted.taskID)
            #expect(["pending", "running"].contains(connected["status"] as? String))
            let heartbeat = try #require(try answer.events.first { $0.name == "heartbeat" }?.json())
            #expect(heartbeat["task_id"] as? String == submitted.taskID)
            #expect(heartbeat["timestamp"] as? String != nil)
            let completed = try #require(try answer.events.last?.json())
            #expect(completed["status"] as? String == "completed")
            #expect((completed["result"] as? [String: Any])?["rows"] as? Int == 300)
            #expect(completed["progress_percent"] as? Double == 100)
            #expect(answer.body.hasSuffix("\n\n"))
            #expect(server.tasks.watcherCount(submitted.taskID) == 0)
        }
    }

    @Test func monitorOfAFinishedTaskSendsConnectedThenItsEnd() async throws {
        try await TestServer.withTasks { server in
            let failed = try await server.finishedTask(graph: "a", error: Failure())
            let completed = try await server.finishedTask(graph: nil)
            let port = server.port
            var answer = try await SSEClient.get(port: port, path: "/tasks/\(failed.taskID)/monitor", key: Keys.adminKey)
            #expect(answer.events.map(\.name) == ["connected", "failed"])
            #expect(try answer.events.last?.json()["error"] as? String == "the bucket is gone")
            #expect(answer.ended)
            answer = try await SSEClient.get(port: port, path: "/tasks/\(completed.taskID)/monitor", key: Keys.adminKey)
            #expect(answer.events.map(\.name) == ["connected", "completed"])
            // Errors known before the stream starts are ordinary answers.
            answer = try await SSEClient.get(port: port, path: "/tasks/\(completed.taskID)/monitor", key: Keys.graphAKey)
            #expect(answer.status == 404)
            #expect(answer.body.contains("task_not_found"))
            answer = try await SSEClient.get(port: port, path: "/tasks/\(completed.taskID)/monitor", key: nil)
            #expect(answer.status == 401)
        }
    }

    @Test func monitorEndsWithCancelledAfterDelete() async throws {
        try await TestServer.withTasks { server in
            let running = try await server.tasks.submit(type: "ingest", graphID: try GraphID(validating: "a"), metadata: [:]) { progress in
                progress.report(percent: 5, message: "waiting")
                try await Task.sleep(for: .seconds(3_600))
                return .null
            }
            try await TaskFixtures.waitFor(server.tasks, running.taskID, status: .running)
            let port = server.port
            let deleteStatus = ObservabilityBox<Int?>(nil)
            let answer = try await SSEClient.get(port: port, path: "/tasks/\(running.taskID)/monitor", key: Keys.adminKey) { event in
                if event.name == "connected" {
                    // Cancel on another connection while the monitor is open.
                    let status = try await server.withClient { client in
                        try await client.executeRequest(
                            uri: "/tasks/\(running.taskID)", method: .delete, headers: [HTTPField.Name("X-Graph-API-Key")!: Keys.adminKey]
                        ).status.code
                    }
                    deleteStatus.withLock { $0 = status }
                }
                return true
            }
            #expect(deleteStatus.withLock { $0 } == 200)
            #expect(answer.events.first?.name == "connected")
            #expect(answer.events.last?.name == "cancelled")
            #expect(Self.terminalNames(answer.events) == ["cancelled"])
            #expect(try answer.events.last?.json()["status"] as? String == "cancelled")
            #expect(answer.ended)
        }
    }

    @Test func aClientThatHangsUpEndsTheMonitorNotTheTask() async throws {
        try await TestServer.withTasks { server in
            let running = try await server.tasks.submit(type: "copy", graphID: nil, metadata: [:], work: TaskFixtures.untilCancelled)
            try await TaskFixtures.waitFor(server.tasks, running.taskID, status: .running)
            let port = server.port
            let answer = try await SSEClient.get(port: port, path: "/tasks/\(running.taskID)/monitor", key: Keys.adminKey) { event in
                #expect(server.tasks.watcherCount(running.taskID) == 1)
                return event.name != "heartbeat"  // hang up after the first heartbeat
            }
            #expect(answer.events.map(\.name) == ["connected", "heartbeat"])
            #expect(!answer.ended)
            #expect(try await eventually(seconds: 5) { server.tasks.watcherCount(running.taskID) == 0 })
            #expect(server.tasks.record(running.taskID)?.status == .running)
            // Several monitors at once, all gone after their clients.
            async let first = SSEClient.get(port: port, path: "/tasks/\(running.taskID)/monitor", key: Keys.adminKey) { $0.name != "heartbeat" }
            async let second = SSEClient.get(port: port, path: "/tasks/\(running.taskID)/monitor", key: Keys.adminKey) { $0.name != "heartbeat" }
            _ = try await (first, second)
            #expect(try await eventually(seconds: 5) { server.tasks.watcherCount(running.taskID) == 0 })
        }
    }

    /// Real task answers validated against the schemas of the served OpenAPI document.
    @Test func taskAnswersMatchTheOpenAPIDocument() async throws {
        try await TestServer.withTasks { server in
            let completed = try await server.finishedTask(graph: "a", result: ["rows": 3, "nested": ["x": [1, 2.5, "y"]]])
            let failed = try await server.finishedTask(type: "ingest", graph: nil, error: Failure())
            let running = try await server.tasks.submit(type: "backup", graphID: nil, metadata: ["compression": true]) { progress in
                progress.report(percent: 12.5, rowsProcessed: 10, bytesProcessed: 2048, totalRows: 80, totalBytes: 16384, message: "copying")
                try await Task.sleep(for: .seconds(3_600))
                return .null
            }
            try await TaskFixtures.waitFor(server.tasks, running.taskID, status: .running)
            let cases = ObservabilityBox<[String]>([])
            @Sendable func record(_ method: String, _ path: String, _ status: Int, _ instance: String) {
                cases.withLock {
                    $0.append(#"{"method":"\#(method)","path":"\#(path)","status":\#(status),"media":"application/json","instance":\#(instance)}"#)
                }
            }
            @Sendable func component(_ name: String, _ instance: String) {
                cases.withLock { $0.append(#"{"schema":"\#(name)","instance":\#(instance)}"#) }
            }
            let documentFile = server.directory + "-doc.json"
            let casesFile = server.directory + "-cases.json"
            let scriptFile = server.directory + "-validate.py"
            defer {
                for file in [documentFile, casesFile, scriptFile] { try? FileManager.default.removeItem(atPath: file) }
            }
            let client = server.client
            let port = server.port
            let admin: HTTPFields = [HTTPField.Name("X-Graph-API-Key")!: Keys.adminKey]
            for (uri, path, status) in [
                ("/tasks", "/tasks", 200), ("/tasks?limit=2", "/tasks", 200), ("/tasks?status=nope", "/tasks", 400),
                ("/tasks/stats", "/tasks/stats", 200), ("/tasks/\(completed.taskID)/status", "/tasks/{task_id}/status", 200),
                ("/tasks/\(failed.taskID)/status", "/tasks/{task_id}/status", 200),
                ("/tasks/\(running.taskID)/status", "/tasks/{task_id}/status", 200),
                ("/tasks/3f0c8a52-1111-4d0e-9c53-6a1b2c3d4e5f/status", "/tasks/{task_id}/status", 404),
                ("/tasks/nope/status", "/tasks/{task_id}/status", 400),
            ] {
                let response = try await client.executeRequest(uri: uri, method: .get, headers: admin, body: nil)
                #expect(Int(response.status.code) == status, "\(uri)")
                record("get", path, status, String(buffer: response.body))
            }
            let events = try await SSEClient.get(port: port, path: "/tasks/\(running.taskID)/monitor", key: Keys.adminKey) {
                $0.name != "heartbeat"
            }
            for event in events.events {
                component(event.name == "heartbeat" ? "TaskHeartbeat" : "TaskRecord", event.data)
            }
            let document = try await server.withClient { other in
                try await other.executeRequest(uri: "/openapi.json", method: .get).text
            }
            try Data(document.utf8).write(to: URL(fileURLWithPath: documentFile))
            for (id, status) in [(running.taskID, 200), (completed.taskID, 409)] {
                let response = try await server.withClient { other in
                    try await other.executeRequest(uri: "/tasks/\(id)", method: .delete, headers: admin)
                }
                #expect(Int(response.status.code) == status)
                record("delete", "/tasks/{task_id}", status, response.text)
            }
            let all = cases.withLock { $0 }
            #expect(all.count >= 13)
            try Data(("[" + all.joined(separator: ",\n") + "]").utf8).write(to: URL(fileURLWithPath: casesFile))
            try Data(OpenAPIResponseConformanceTests.validator.utf8).write(to: URL(fileURLWithPath: scriptFile))
            let result = try runPython([scriptFile, documentFile, casesFile])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("validated \(all.count)"))
        }
    }
}
