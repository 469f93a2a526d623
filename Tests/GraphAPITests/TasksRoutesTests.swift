import Foundation
import GraphJSON
import GraphAPITesting
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// `GET /tasks`, `GET /tasks/stats`, `GET /tasks/{task_id}/status` and `DELETE /tasks/{task_id}`
/// through the real router: answers, filters, scope, cancellation and every error.
@Suite struct TasksRoutesTests {
    typealias Keys = TasksTestKeys

    struct Failure: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    static func tasks(_ response: TestServer.Response) throws -> [[String: Any]] {
        try #require(try response.object()["tasks"] as? [[String: Any]])
    }

    @Test func listIsNewestFirstWithTotalFiltersAndLimit() async throws {
        try await TestServer.withTasks { server in
            let first = try await server.finishedTask(type: "copy", graph: "a")
            try await Task.sleep(for: .milliseconds(5))
            let second = try await server.finishedTask(type: "ingest", graph: "b", error: Failure())
            try await Task.sleep(for: .milliseconds(5))
            let third = try await server.finishedTask(type: "copy", graph: nil)
            let client = server.client
            var response = try await client.send(.get, "/tasks", key: Keys.adminKey)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(try Self.tasks(response).map { $0["task_id"] as? String } == [third.taskID, second.taskID, first.taskID])
            #expect(try response.object()["total"] as? Int == 3)
            let listed = try #require(try Self.tasks(response).last)
            #expect(listed["status"] as? String == "completed")
            #expect(listed["task_type"] as? String == "copy")
            #expect(listed["graph_id"] as? String == "a")
            #expect(listed["progress_percent"] as? Double == 100)
            #expect((listed["result"] as? [String: Any])?["rows"] as? Int == 1)
            #expect((listed["metadata"] as? [String: Any])?["source"] as? String == "test")
            #expect((listed["created_at"] as? String)?.hasSuffix("Z") == true)

            response = try await client.send(.get, "/tasks?status=failed", key: Keys.adminKey)
            #expect(try Self.tasks(response).map { $0["task_id"] as? String } == [second.taskID])
            #expect(try Self.tasks(response).first?["error"] as? String == "boom")
            response = try await client.send(.get, "/tasks?task_type=copy", key: Keys.adminKey)
            #expect(try Self.tasks(response).map { $0["task_id"] as? String } == [third.taskID, first.taskID])
            response = try await client.send(.get, "/tasks?task_type=copy&status=completed&limit=1", key: Keys.adminKey)
            #expect(try Self.tasks(response).map { $0["task_id"] as? String } == [third.taskID])
            #expect(try response.object()["total"] as? Int == 2)
            response = try await client.send(.get, "/tasks?status=running", key: Keys.adminKey)
            #expect(try Self.tasks(response).isEmpty)
            #expect(try response.object()["total"] as? Int == 0)

            response = try await client.send(.get, "/tasks/stats", key: Keys.adminKey)
            #expect(response.status == .ok)
            let stats = try response.object()
            #expect(stats["total"] as? Int == 3)
            #expect(stats["by_status"] as? [String: Int] == ["pending": 0, "running": 0, "completed": 2, "failed": 1, "cancelled": 0])
            #expect(stats["by_type"] as? [String: Int] == ["copy": 2, "ingest": 1])

            response = try await client.send(.get, "/tasks/\(second.taskID)/status", key: Keys.adminKey)
            #expect(response.status == .ok)
            #expect(try response.object()["status"] as? String == "failed")
            // Upper-case ids name the same task.
            response = try await client.send(.get, "/tasks/\(second.taskID.uppercased())/status", key: Keys.adminKey)
            #expect(try response.object()["task_id"] as? String == second.taskID)
        }
    }

    @Test func badFiltersAre400() async throws {
        try await TestServer.withTasks { server in
            let client = server.client
            for (query, code) in [
                ("status=done", "invalid_status"), ("status=", "invalid_status"), ("limit=0", "invalid_limit"),
                ("limit=1001", "invalid_limit"), ("limit=ten", "invalid_limit"), ("task_type=copy%20all", "invalid_task_type"),
                ("task_type=", "invalid_task_type"),
            ] {
                let response = try await client.send(.get, "/tasks?\(query)", key: Keys.adminKey)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.errorCode == code, "\(query): \(String(buffer: response.body))")
            }
            let fine = try await client.send(.get, "/tasks?limit=1000&status=pending&task_type=copy_2-b", key: Keys.adminKey)
            #expect(fine.status == .ok)
        }
    }

    @Test func unknownAndMalformedTaskIds() async throws {
        try await TestServer.withTasks { server in
            let client = server.client
            let unknown = "3f0c8a52-1111-4d0e-9c53-6a1b2c3d4e5f"
            for (method, path) in [
                (HTTPRequest.Method.get, "/tasks/\(unknown)/status"), (.delete, "/tasks/\(unknown)"), (.get, "/tasks/\(unknown)/monitor"),
            ] {
                let response = try await client.send(method, path, key: Keys.adminKey)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.errorCode == "task_not_found", "\(method) \(path)")
                #expect(response.errorDetail.contains(unknown))
            }
            for (method, path) in [(HTTPRequest.Method.get, "/tasks/not-a-uuid/status"), (.delete, "/tasks/123"), (.get, "/tasks/x/monitor")] {
                let response = try await client.send(method, path, key: Keys.adminKey)
                #expect(response.status == .badRequest, "\(method) \(path)")
                #expect(response.errorCode == "invalid_task_id", "\(method) \(path)")
            }
            // No key: 401 like every other route.
            let anonymous = try await client.send(.get, "/tasks")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.errorCode == "unauthorized")
        }
    }

    @Test func aScopedKeySeesOnlyTheTasksOfItsGraphs() async throws {
        try await TestServer.withTasks { server in
            let inA = try await server.finishedTask(graph: "a")
            let inB = try await server.finishedTask(graph: "b")
            let global = try await server.finishedTask(type: "backup", graph: nil)
            let runningInB = try await server.tasks.submit(type: "copy", graphID: try GraphID(validating: "b"), metadata: [:], work: TaskFixtures.untilCancelled)
            let client = server.client
            var response = try await client.send(.get, "/tasks", key: Keys.graphAKey)
            #expect(try Self.tasks(response).map { $0["task_id"] as? String } == [inA.taskID])
            #expect(try response.object()["total"] as? Int == 1)
            response = try await client.send(.get, "/tasks/stats", key: Keys.graphAKey)
            #expect(try response.object()["total"] as? Int == 1)
            #expect(try response.object()["by_type"] as? [String: Int] == ["copy": 1])
            // Not even counted: the other tenant's running task and the graph-less one are in no figure.
            #expect(
                try response.object()["by_status"] as? [String: Int] == ["pending": 0, "running": 0, "completed": 1, "failed": 0, "cancelled": 0]
            )
            for id in [inB.taskID, global.taskID, runningInB.taskID] {
                response = try await client.send(.get, "/tasks/\(id)/status", key: Keys.graphAKey)
                #expect(response.status == .notFound)
                #expect(response.errorCode == "task_not_found")
            }
            // (Only finished tasks here: the router test client would wait for a running task's whole stream.)
            for id in [inB.taskID, global.taskID] {
                response = try await client.send(.get, "/tasks/\(id)/monitor", key: Keys.graphAKey)
                #expect(response.status == .notFound)
                #expect(response.errorCode == "task_not_found")
            }
            // Cancelling another tenant's task is 404 and leaves it running.
            response = try await client.send(.delete, "/tasks/\(runningInB.taskID)", key: Keys.graphAKey)
            #expect(response.status == .notFound)
            #expect(server.tasks.record(runningInB.taskID)?.status.isTerminal == false)
            response = try await client.send(.get, "/tasks/\(inA.taskID)/status", key: Keys.graphAKey)
            #expect(response.status == .ok)
            // An unscoped key sees everything.
            response = try await client.send(.get, "/tasks", key: Keys.readOnlyKey)
            #expect(try response.object()["total"] as? Int == 4)
        }
    }

    @Test func cancellingARunningTaskAnswersTheCancelledTask() async throws {
        try await TestServer.withTasks { server in
            let running = try await server.tasks.submit(type: "copy", graphID: try GraphID(validating: "a"), metadata: [:], work: TaskFixtures.untilCancelled)
            try await TaskFixtures.waitFor(server.tasks, running.taskID, status: .running)
            let client = server.client
            // A read-only key may look but not cancel.
            var response = try await client.send(.delete, "/tasks/\(running.taskID)", key: Keys.readOnlyKey)
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "read_only_key")
            #expect(server.tasks.record(running.taskID)?.status == .running)

            response = try await client.send(.delete, "/tasks/\(running.taskID)", key: Keys.graphAKey)
            #expect(response.status == .ok)
            let cancelled = try response.object()
            #expect(cancelled["status"] as? String == "cancelled")
            #expect(cancelled["error"] as? String == "cancelled on request")
            #expect(cancelled["completed_at"] as? String != nil)
            #expect(server.tasks.record(running.taskID)?.status == .cancelled)

            response = try await client.send(.delete, "/tasks/\(running.taskID)", key: Keys.adminKey)
            #expect(response.status == .conflict)
            #expect(response.errorCode == "task_finished")
            #expect(response.errorDetail.contains("cancelled"))
        }
    }

    @Test func cancellingAFinishedTaskIs409() async throws {
        try await TestServer.withTasks { server in
            let completed = try await server.finishedTask(graph: "a")
            let failed = try await server.finishedTask(graph: "a", error: Failure())
            let client = server.client
            for record in [completed, failed] {
                let response = try await client.send(.delete, "/tasks/\(record.taskID)", key: Keys.adminKey)
                #expect(response.status == .conflict)
                #expect(response.errorCode == "task_finished")
                #expect(server.tasks.record(record.taskID) == record)
            }
        }
    }

    @Test func aTaskStillStoppingAnswers202AndATaskThatFinishesFirstAnswers409() async throws {
        var settings = TaskFixtures.settings
        settings.cancelWait = .milliseconds(300)
        try await TestServer.withTasks(settings: settings) { server in
            // Work that notices the cancellation only when the gate opens.
            let slowGate = TaskGate()
            let slow = try await server.tasks.submit(type: "copy", graphID: nil, metadata: [:]) { progress in
                await slowGate.wait()
                if progress.isCancelled { throw CancellationError() }
                return .null
            }
            // Work that completes although it was asked to stop.
            let stubbornGate = TaskGate()
            let stubborn = try await server.tasks.submit(type: "copy", graphID: nil, metadata: [:]) { _ in
                await stubbornGate.wait()
                return "done anyway"
            }
            try await TaskFixtures.waitFor(server.tasks, slow.taskID, status: .running)
            try await TaskFixtures.waitFor(server.tasks, stubborn.taskID, status: .running)
            let client = server.client
            var response = try await client.send(.delete, "/tasks/\(slow.taskID)", key: Keys.adminKey)
            #expect(response.status == .accepted)
            #expect(try response.object()["status"] as? String == "running")
            slowGate.open()
            let slowEnd = try await TaskFixtures.terminal(server.tasks, slow.taskID)
            #expect(slowEnd.status == .cancelled)

            let opener = Task {
                try await Task.sleep(for: .milliseconds(100))
                stubbornGate.open()
            }
            response = try await client.send(.delete, "/tasks/\(stubborn.taskID)", key: Keys.adminKey)
            try await opener.value
            #expect(response.status == .conflict)
            #expect(response.errorCode == "task_finished")
            #expect(response.errorDetail.contains("completed"))
            #expect(server.tasks.record(stubborn.taskID)?.result == "done anyway")
        }
    }
}
