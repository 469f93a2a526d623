import Foundation
import GraphJSON
import NIOCore

/// The events of `GET /tasks/{task_id}/monitor`, in order, as they arrive.
///
/// Iterating starts the request (iterating again follows the task again). The iteration ends
/// after the terminal event (`completed`, `failed` or `cancelled`); a stream that ends before it
/// fails with ``GraphAPIClientError/Kind/streamFailed``, an error answer (such as 404) with
/// ``GraphAPIClientError/Kind/server``. Leaving the loop early or cancelling the task closes the
/// connection; the task itself keeps running. Waiting for the next event uses no CPU: the
/// iteration sleeps on the connection.
public struct TaskEventStream: AsyncSequence, Sendable {
    public typealias Element = TaskEvent

    let client: GraphAPIClient
    let request: GraphAPIRequest

    /// Starts the request at the first ``Iterator/next()``.
    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, request: request)
    }

    /// Yields the events of one request.
    public struct Iterator: AsyncIteratorProtocol {
        let client: GraphAPIClient
        let request: GraphAPIRequest
        var body: StreamedBody?
        var parser = ServerSentEventParser()
        var pending: [TaskEvent] = []
        var events = 0
        var done = false

        init(client: GraphAPIClient, request: GraphAPIRequest) {
            self.client = client
            self.request = request
        }

        /// The next event, `nil` after the terminal one.
        /// - Throws: ``GraphAPIClientError``.
        public mutating func next() async throws -> TaskEvent? {
            guard !done else { return nil }
            do {
                return try await nextEvent()
            } catch {
                done = true
                await body?.close()
                throw error
            }
        }

        private mutating func nextEvent() async throws -> TaskEvent? {
            let idle = request.timeoutSeconds ?? client.configuration.requestTimeoutSeconds
            if body == nil { body = try await StreamedBody.open(request, client: client) }
            while true {
                if !pending.isEmpty {
                    let event = pending.removeFirst()
                    if event.isTerminal {
                        done = true
                        await body?.close()
                    }
                    return event
                }
                guard let buffer = try await body?.next(client: client, idleSeconds: idle) else {
                    throw GraphAPIClientError(
                        kind: .streamFailed, status: 200,
                        detail: "the monitor ended after \(events) event\(events == 1 ? "" : "s") before the task finished"
                    )
                }
                for (name, text) in parser.append(buffer.readableBytesView) {
                    let event = try Self.event(name: name, data: text)
                    pending.append(event)
                    events += 1
                    if event.isTerminal { break }
                }
            }
        }

        /// An event from its name and data text.
        static func event(name: String, data: String) throws(GraphAPIClientError) -> TaskEvent {
            let json: JSONValue
            do {
                json = try JSONValue(parsing: data)
            } catch {
                throw GraphAPIClientError(kind: .invalidResponse, detail: "the data of a '\(name)' event is not JSON: \(error)")
            }
            var task: TaskInfo?
            if name != "heartbeat" {
                do {
                    task = try GraphAPIClient.contractDecoder().decode(TaskInfo.self, from: Data(data.utf8))
                } catch {
                    throw GraphAPIClientError(
                        kind: .invalidResponse, detail: "a '\(name)' event does not hold a task: \(GraphAPIClient.describe(error))"
                    )
                }
            }
            return TaskEvent(name: name, data: json, task: task)
        }
    }
}

/// Cuts a server-sent event stream into events, however its bytes are split: `event:` and `data:`
/// lines (several `data:` lines joined by `\n`), an empty line ends an event; comments (`:`) and
/// other fields are ignored.
struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var name = ""
    private var data: [String] = []

    /// Feeds bytes; returns the events they completed, as (name, data).
    mutating func append(_ bytes: some Sequence<UInt8>) -> [(name: String, data: String)] {
        var events: [(name: String, data: String)] = []
        for byte in bytes {
            guard byte == 0x0A else {
                line.append(byte)
                continue
            }
            if line.last == 0x0D { line.removeLast() }
            let text = String(decoding: line, as: UTF8.self)
            line.removeAll(keepingCapacity: true)
            if text.isEmpty {
                if !data.isEmpty || !name.isEmpty { events.append((name.isEmpty ? "message" : name, data.joined(separator: "\n"))) }
                name = ""
                data = []
            } else if text.hasPrefix(":") {
                continue
            } else {
                let (field, value) = Self.field(text)
                if field == "event" { name = value }
                if field == "data" { data.append(value) }
            }
        }
        return events
    }

    private static func field(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
