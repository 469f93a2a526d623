import Foundation
import GraphJSON
import Testing

@testable import GraphAPIClient

/// `graph-api tasks …` run as a subprocess against a live in-process server.
@Suite(.serialized) struct TasksCLITests {
    static func graphAPI(_ url: String, _ arguments: [String], key: String? = LiveServer.apiKey) async throws -> CLIProcess.Outcome {
        var environment = ["GRAPH_API_URL": url]
        if let key { environment["GRAPH_API_KEY"] = key }
        return try await CLIProcess.run(arguments, environment: environment)
    }

    @Test func listStatusAndCancel() async throws {
        try await TaskTestServer.with { server in
            let failed = try await server.submitFailing(graph: "g", message: "bad rows")
            #expect(try await server.wait(failed, status: "failed"))
            let running = try await server.submitBlocking(graph: nil)
            #expect(try await server.wait(running, status: "running"))

            var run = try await Self.graphAPI(server.url, ["tasks", "list"])
            #expect(run.status == 0, "\(run)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix(" task_id ") == true, "\(run)")
            #expect(lines.contains { $0.contains(running) && $0.contains("| backup |") && $0.contains("| running |") }, "\(run)")
            #expect(lines.contains { $0.contains(failed) && $0.contains("| ingest |") && $0.contains("bad rows") }, "\(run)")
            #expect(lines.last == "(2 of 2 tasks)", "\(run)")

            run = try await Self.graphAPI(server.url, ["tasks", "list", "--status", "failed", "--json"])
            #expect(run.status == 0, "\(run)")
            let list = try JSONValue(parsing: run.stdout)
            #expect(list["total"] == 1)
            #expect(list["tasks"]?.arrayValue?.first?["task_id"]?.stringValue == failed)

            run = try await Self.graphAPI(server.url, ["tasks", "list", "--type", "backup", "--limit", "1"])
            #expect(run.stdout.contains(running) && !run.stdout.contains(failed), "\(run)")

            run = try await Self.graphAPI(server.url, ["tasks", "status", failed])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("status:       failed\n"), "\(run)")
            #expect(run.stdout.contains("error:        bad rows\n"), "\(run)")
            #expect(run.stdout.contains("graph_id:     g\n"), "\(run)")

            run = try await Self.graphAPI(server.url, ["tasks", "cancel", running])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "cancelled task \(running) (backup)\n", "\(run)")
            #expect(server.status(of: running) == "cancelled")
            run = try await Self.graphAPI(server.url, ["tasks", "cancel", running])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: task_finished, HTTP 409"), "\(run)")

            run = try await Self.graphAPI(server.url, ["tasks", "status", "3f0c8a52-1111-4d0e-9c53-6a1b2c3d4e5f"])
            #expect(run.status == 4, "\(run)")
            #expect(run.stderr.contains("task_not_found"), "\(run)")
            run = try await Self.graphAPI(server.url, ["tasks", "list", "--status", "done"])
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("invalid --status 'done'"), "\(run)")
            run = try await Self.graphAPI(server.url, ["tasks", "list"], key: "wrong-key")
            #expect(run.status == 3, "\(run)")
        }
    }

    @Test func watchFollowsATaskToItsEnd() async throws {
        try await TaskTestServer.with { server in
            let id = try await server.submitProgressing(graph: "g", steps: 4, stepMilliseconds: 100, gated: true)
            async let watching = Self.graphAPI(server.url, ["tasks", "watch", id])
            #expect(try await server.waitForWatcher(id))
            server.openGate(id)
            let run = try await watching
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout) == ["rows": 400], "\(run)")
            // Standard error is not a terminal here: one plain line per change, no control characters.
            let lines = run.stderr.split(separator: "\n").map(String.init)
            #expect(!run.stderr.contains("\u{1B}"), "\(run)")
            #expect(lines.first?.hasPrefix("pending") == true || lines.first?.hasPrefix("running") == true, "\(run)")
            #expect(lines.contains("running   50.0%  rows 200/400  step 2 of 4"), "\(run)")
            #expect(lines.last == "completed  100.0%  rows 400/400  step 4 of 4", "\(run)")

            // --json: every event as one JSON line.
            let json = try await Self.graphAPI(server.url, ["tasks", "watch", id, "--json"])
            #expect(json.status == 0, "\(json)")
            let events = try json.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            #expect(events.map { $0["event"]?.stringValue } == ["connected", "completed"], "\(json)")
            #expect(events.last?["data"]?["result"] == ["rows": 400])
        }
    }

    @Test func watchExitsWithTheErrorOfAFailedOrCancelledTask() async throws {
        try await TaskTestServer.with { server in
            let failed = try await server.submitFailing(graph: nil, message: "the bucket is gone")
            #expect(try await server.wait(failed, status: "failed"))
            var run = try await Self.graphAPI(server.url, ["tasks", "watch", failed])
            #expect(run.status == 1, "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(run.stderr.contains("Error: task \(failed) failed: the bucket is gone\n"), "\(run)")

            let running = try await server.submitBlocking(graph: nil)
            async let watching = Self.graphAPI(server.url, ["tasks", "watch", running])
            #expect(try await server.waitForWatcher(running))
            server.cancel(running)
            run = try await watching
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("Error: task \(running) cancelled: cancelled on request\n"), "\(run)")

            run = try await Self.graphAPI(server.url, ["tasks", "watch", "3f0c8a52-1111-4d0e-9c53-6a1b2c3d4e5f"])
            #expect(run.status == 4, "\(run)")
            #expect(run.stderr.contains("task_not_found"), "\(run)")
        }
    }
}
