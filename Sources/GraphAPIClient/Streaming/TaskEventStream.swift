import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The events of `GET /tasks/{task_id}/monitor`, in order, as they arrive.
///
/// Iterating starts the request (iterating again follows the task again). The iteration ends
/// after the terminal event (`completed`, `failed` or `cancelled`); a stream that ends before it
/// fails with ``GraphAPIClientError/Kind/streamFailed``, an error answer (such as 404) with
/// ``GraphAPIClientError/Kind/server``. Leaving the loop early or cancelling the task closes the
/// connection; the task itself keeps running.
public struct TaskEventStream: AsyncSequence, Sendable {
    public typealias Element = TaskEvent

    /// The prepared HTTP request.
    let urlRequest: URLRequest

    /// Starts the request.
    public func makeAsyncIterator() -> Iterator {
        let (stream, continuation) = AsyncThrowingStream<TaskEvent, any Error>.makeStream()
        GraphAPIClient.startStreaming(
            urlRequest, delegate: TaskEventDelegate(continuation: continuation), queueName: "GraphAPIClient.TaskEventStream",
            continuation: continuation
        )
        return Iterator(base: stream.makeAsyncIterator())
    }

    /// Yields the events of one request.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<TaskEvent, any Error>.Iterator

        /// The next event, `nil` after the terminal one.
        /// - Throws: ``GraphAPIClientError``.
        public mutating func next() async throws -> TaskEvent? {
            try await base.next()
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

/// Receives one monitor stream on the session's serial delegate queue.
final class TaskEventDelegate: NSObject, URLSessionDataDelegate, Sendable {
    struct State {
        var parser = ServerSentEventParser()
        var errorBody: [UInt8] = []
        var events = 0
        /// The terminal event or a failure was delivered.
        var done = false
    }

    let continuation: AsyncThrowingStream<TaskEvent, any Error>.Continuation
    let state = Mutex(State())

    init(continuation: AsyncThrowingStream<TaskEvent, any Error>.Continuation) {
        self.continuation = continuation
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
                task = try JSONDecoder().decode(TaskInfo.self, from: Data(data.utf8))
            } catch {
                throw GraphAPIClientError(
                    kind: .invalidResponse, detail: "a '\(name)' event does not hold a task: \(GraphAPIClient.describe(error))"
                )
            }
        }
        return TaskEvent(name: name, data: json, task: task)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let status = (dataTask.response as? HTTPURLResponse)?.statusCode ?? 0
        var events: [TaskEvent] = []
        let outcome: Result<Bool, GraphAPIClientError> = state.withLock { state in
            guard !state.done else { return .success(false) }
            guard (200..<300).contains(status) else {
                let room = 64 * 1024 - state.errorBody.count
                if room > 0 { state.errorBody.append(contentsOf: data.prefix(room)) }
                return .success(false)
            }
            do throws(GraphAPIClientError) {
                for (name, text) in state.parser.append(data) {
                    let event = try Self.event(name: name, data: text)
                    events.append(event)
                    if event.isTerminal {
                        state.done = true
                        break
                    }
                }
                state.events += events.count
                return .success(state.done)
            } catch {
                state.done = true
                return .failure(error)
            }
        }
        for event in events { continuation.yield(event) }
        switch outcome {
        case .success(true):
            continuation.finish()
            dataTask.cancel()
        case .success(false):
            break
        case .failure(let error):
            continuation.finish(throwing: error)
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        defer { session.finishTasksAndInvalidate() }
        let response = task.response as? HTTPURLResponse
        let status = response?.statusCode ?? 0
        let (alreadyDone, errorBody, events) = state.withLock { state in
            defer { state.done = true }
            return (state.done, state.errorBody, state.events)
        }
        guard !alreadyDone else { return }
        if let error {
            continuation.finish(throwing: GraphAPIClientError.transport(error, of: task))
        } else if !(200..<300).contains(status) {
            continuation.finish(
                throwing: GraphAPIClientError.fromResponse(
                    status: status, body: errorBody, retryAfter: response?.value(forHTTPHeaderField: "Retry-After")
                )
            )
        } else {
            continuation.finish(
                throwing: GraphAPIClientError(
                    kind: .streamFailed, status: status,
                    detail: "the monitor ended after \(events) event\(events == 1 ? "" : "s") before the task finished"
                )
            )
        }
    }
}
