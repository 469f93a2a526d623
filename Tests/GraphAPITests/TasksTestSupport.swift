import Foundation
import GraphJSON
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// Shared pieces of the task tests.
enum TaskFixtures {
    /// Short timings: progress written at most every 100 ms, heartbeats every 200 ms.
    static let settings = TaskManager.Settings(
        maxFinishedTasks: 1_000, persistInterval: .milliseconds(100), shutdownGrace: .seconds(5),
        heartbeatInterval: .milliseconds(200), cancelWait: .seconds(5)
    )

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-tasks-\(UUID().uuidString)").path
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "tasks-test")
        logger.logLevel = .critical
        return logger
    }

    static func manager(
        directory: String, settings: TaskManager.Settings = TaskFixtures.settings, metrics: ServerMetrics = ServerMetrics()
    ) throws -> TaskManager {
        try TaskManager(directory: directory, logger: quietLogger(), metrics: metrics, settings: settings)
    }

    /// Work that runs until its task is cancelled (then throws `CancellationError`).
    static let untilCancelled: @Sendable (TaskProgress) async throws -> JSONValue = { _ in
        try await Task.sleep(for: .seconds(3_600))
        return .null
    }

    /// The task's terminal record; fails the test if it does not come within `seconds`.
    static func terminal(_ manager: TaskManager, _ id: String, seconds: Double = 10) async throws -> TaskRecord {
        let updates = try #require(manager.updates(id), "unknown task \(id)")
        return try #require(
            await TasksController.terminal(of: updates, within: .milliseconds(Int64(seconds * 1000))),
            "task \(id) did not finish within \(seconds) s"
        )
    }

    /// Waits until the task's status is `status`.
    static func waitFor(_ manager: TaskManager, _ id: String, status: TaskStatus, seconds: Double = 10) async throws {
        let reached = try await eventually(seconds: seconds) { manager.record(id)?.status == status }
        #expect(reached, "task \(id) is \(manager.record(id)?.status.rawValue ?? "unknown"), not \(status.rawValue)")
    }

    /// The record stored in `<directory>/<id>.json`.
    static func storedRecord(_ directory: String, _ id: String) throws -> TaskRecord {
        try JSONDecoder.iso8601.decode(TaskRecord.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/" + id + ".json")))
    }
}

/// A gate that task work waits on (not cancellable) until the test opens it.
final class TaskGate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// The three keys of the task tests' server: unrestricted, scoped to graph `a`, and read-only.
enum TasksTestKeys {
    static let adminKey = "tasks-admin-key"
    static let graphAKey = "tasks-graph-a-key"
    static let readOnlyKey = "tasks-read-only-key"
}

extension TestServer {
    /// Runs `body` with a server for the task tests: task timings of `settings`, the three
    /// ``TasksTestKeys``, two engine threads.
    static func withTasks<T>(
        settings: TaskManager.Settings = TaskFixtures.settings, configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        try await withServer(taskSettings: settings, configure: { configuration in
            configuration.apiKeys = [
                APIKey(secret: TasksTestKeys.adminKey), APIKey(secret: TasksTestKeys.graphAKey, scope: KeyScope(graphs: ["a"])),
                APIKey(secret: TasksTestKeys.readOnlyKey, scope: KeyScope(readOnly: true)),
            ]
            configuration.engineThreads = 2
            configuration.threadsPerQuery = 1
            configure(&configuration)
        }, body)
    }

    /// Submits a task of `graph` that finishes at once with `result` (or fails with `error`).
    @discardableResult
    func finishedTask(
        type: String = "copy", graph: String?, result: JSONValue = ["rows": 1], error: (any Error & Sendable)? = nil
    ) async throws -> TaskRecord {
        let record = try await tasks.submit(type: type, graphID: try graph.map { try GraphID(validating: $0) }, metadata: ["source": "test"]) { _ in
            if let error { throw error }
            return result
        }
        return try await TaskFixtures.terminal(tasks, record.taskID)
    }
}

/// A server-sent event as received.
struct ReceivedEvent: Sendable {
    var name: String
    var data: String

    func json() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any], "event data is not an object: \(data)")
    }
}

/// What ``SSEClient/get(port:path:key:timeoutSeconds:onEvent:)`` saw.
struct SSEAnswer: Sendable {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    var events: [ReceivedEvent]
    /// Whether the body ended (last chunk, or the whole `Content-Length`).
    var ended: Bool
    /// The de-chunked body.
    var body: String
}

/// A raw HTTP/1.1 client that reads a server-sent event stream as it arrives, on a connection of
/// its own, and can hang up in the middle.
enum SSEClient {
    /// Sends `GET path` and reads the answer; `onEvent` sees each event as soon as it is complete
    /// and returns whether to keep reading (`false` closes the connection at once).
    static func get(
        port: Int, path: String, key: String?, timeoutSeconds: Double = 20,
        onEvent: @escaping @Sendable (ReceivedEvent) async throws -> Bool = { _ in true }
    ) async throws -> SSEAnswer {
        try await withThrowingTaskGroup(of: SSEAnswer?.self) { group in
            group.addTask { try await read(port: port, path: path, key: key, onEvent: onEvent) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(timeoutSeconds * 1000)))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return try #require(first, "GET \(path): no complete answer within \(timeoutSeconds) s")
        }
    }

    private static func read(
        port: Int, path: String, key: String?, onEvent: @Sendable (ReceivedEvent) async throws -> Bool
    ) async throws -> SSEAnswer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        var answer = SSEAnswer(status: 0, headers: [:], events: [], ended: false, body: "")
        try await channel.executeThenClose { inbound, outbound in
            var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            if let key { request += "X-Graph-API-Key: \(key)\r\n" }
            try await outbound.write(ByteBuffer(string: request + "\r\n"))
            var raw: [UInt8] = []
            var position = 0
            var headersDone = false
            var chunked = false
            var contentLength: Int?
            var body: [UInt8] = []
            var pending = ""
            reading: for try await chunk in inbound {
                raw.append(contentsOf: chunk.readableBytesView)
                if !headersDone {
                    guard let end = find([13, 10, 13, 10], in: raw, from: 0) else { continue }
                    let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                    answer.status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
                    for line in lines.dropFirst() {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        answer.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    }
                    chunked = answer.headers["transfer-encoding"]?.lowercased().contains("chunked") == true
                    contentLength = answer.headers["content-length"].flatMap { Int($0) }
                    headersDone = true
                    position = end + 4
                }
                var fresh: [UInt8] = []
                if chunked {
                    while let lineEnd = find([13, 10], in: raw, from: position) {
                        let sizeText = String(decoding: raw[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                        guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { break reading }
                        if size == 0 {
                            answer.ended = true
                            break
                        }
                        guard raw.count >= lineEnd + 2 + size + 2 else { break }
                        fresh.append(contentsOf: raw[(lineEnd + 2)..<(lineEnd + 2 + size)])
                        position = lineEnd + 2 + size + 2
                    }
                } else {
                    fresh.append(contentsOf: raw[position...])
                    position = raw.count
                    if let contentLength, body.count + fresh.count >= contentLength { answer.ended = true }
                }
                body.append(contentsOf: fresh)
                pending += String(decoding: fresh, as: UTF8.self)
                while let range = pending.range(of: "\n\n") {
                    let block = String(pending[..<range.lowerBound])
                    pending = String(pending[range.upperBound...])
                    var event = ReceivedEvent(name: "", data: "")
                    for line in block.split(separator: "\n") {
                        if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                        if line.hasPrefix("data: ") { event.data += line.dropFirst(6) }
                    }
                    answer.events.append(event)
                    if try await !onEvent(event) { break reading }
                }
                if answer.ended { break }
            }
            answer.body = String(decoding: body, as: UTF8.self)
        }
        return answer
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
