import Foundation
import GraphJSON
import GraphAPITesting
import Hummingbird
import Logging
import Synchronization

@testable import GraphAPI
@testable import GraphService

/// A real server in this process whose task manager the client tests reach, to submit tasks whose
/// work they control. Kept in its own file, like ``LiveServer``: `GraphAPI` and `GraphAPIClient`
/// both have a `JSONValue`; only plain Swift types cross to the tests.
final class TaskTestServer: Sendable {
    /// The server's base URL.
    let url: String
    private let tasks: TaskManager
    private let gates = Mutex<[String: AsyncStream<Void>.Continuation]>([:])

    private init(url: String, tasks: TaskManager) {
        self.url = url
        self.tasks = tasks
    }

    /// Runs `body` with a running server (keys of ``LiveServer``), then stops it.
    static func with<Value: Sendable>(_ body: @Sendable (TaskTestServer) async throws -> Value) async throws -> Value {
        try await TestServer.withServer(logLevel: .critical, configure: { configuration in
            configuration.apiKeys = [
                APIKey(secret: LiveServer.apiKey), APIKey(secret: LiveServer.readOnlyKey, scope: KeyScope(readOnly: true)),
            ]
            configuration.maxDatabaseSizeBytes = 1 << 30
            configuration.threadsPerQuery = 1
            configuration.engineThreads = 2
        }) { server in
            let handle = TaskTestServer(url: "http://127.0.0.1:\(server.port)", tasks: server.tasks)
            defer { handle.openAllGates() }
            return try await body(handle)
        }
    }

    private func gate(for id: String) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        gates.withLock { $0[id] = continuation }
        return stream
    }

    /// Lets the work of a task submitted with `gated: true` start.
    func openGate(_ id: String) {
        gates.withLock { $0.removeValue(forKey: id) }?.finish()
    }

    private func openAllGates() {
        for gate in gates.withLock({ state in defer { state = [:] }; return Array(state.values) }) { gate.finish() }
    }

    /// Submits a `copy` task that reports `steps` progress steps `stepMilliseconds` apart (rows
    /// `100 × step` of `100 × steps`), then completes with `{"rows": 100 × steps}`. With `gated`,
    /// the work waits for ``openGate(_:)`` first.
    func submitProgressing(graph: String?, steps: Int, stepMilliseconds: Int, gated: Bool = false) async throws -> String {
        let id = UUID().uuidString.lowercased()
        let gate = gated ? self.gate(for: id) : nil
        let record = try await tasks.submit(type: "copy", graphID: try graph.map { try GraphID(validating: $0) }, metadata: ["source": "test"]) {
            progress in
            if let gate {
                for await _ in gate {}
            }
            for step in 1...steps {
                try await Task.sleep(for: .milliseconds(stepMilliseconds))
                progress.report(
                    percent: Double(step) * 100 / Double(steps), rowsProcessed: Int64(step * 100), totalRows: Int64(steps * 100),
                    message: "step \(step) of \(steps)"
                )
            }
            return ["rows": .int(Int64(steps * 100))]
        }
        if gated {
            // The gate was made under a temporary id: move it to the task's.
            gates.withLock { gates in gates[record.taskID] = gates.removeValue(forKey: id) }
        }
        return record.taskID
    }

    /// Submits a task that runs until it is cancelled.
    func submitBlocking(type: String = "backup", graph: String?) async throws -> String {
        try await tasks.submit(type: type, graphID: try graph.map { try GraphID(validating: $0) }, metadata: [:]) { _ in
            try await Task.sleep(for: .seconds(3_600))
            return .null
        }.taskID
    }

    /// Submits a task that fails at once with `message`.
    func submitFailing(graph: String?, message: String) async throws -> String {
        try await tasks.submit(type: "ingest", graphID: try graph.map { try GraphID(validating: $0) }, metadata: [:]) { _ in
            throw ServiceError(.ingestFailed, message)
        }.taskID
    }

    /// The task's status (`nil` for an unknown task).
    func status(of id: String) -> String? {
        tasks.record(id)?.status.rawValue
    }

    /// Cancels the task directly (not over HTTP).
    func cancel(_ id: String) {
        tasks.cancel(id)
    }

    /// Waits until the task is in `status`; `false` if it was not within `seconds`.
    func wait(_ id: String, status: String, seconds: Double = 10) async throws -> Bool {
        try await poll(seconds: seconds) { self.tasks.record(id)?.status.rawValue == status }
    }

    /// Waits until someone monitors the task; `false` if nobody did within `seconds`.
    func waitForWatcher(_ id: String, seconds: Double = 20) async throws -> Bool {
        try await poll(seconds: seconds) { self.tasks.watcherCount(id) > 0 }
    }

    private func poll(seconds: Double, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
