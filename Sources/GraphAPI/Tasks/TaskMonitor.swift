import GraphService
import Foundation
import GraphEngine
import Hummingbird
import Logging
import NIOCore

/// The server-sent events of `GET /tasks/{task_id}/monitor`.
///
/// Events, each `event: <name>\ndata: <json>\n\n`:
/// - `connected` first, with the task's record as it is;
/// - `progress` with the record after each change;
/// - `heartbeat` (`{"task_id", "status", "progress_percent", "timestamp"}`) every
///   ``TaskManager/heartbeatInterval`` (15 s), so proxies keep the connection and clients notice
///   a dead one;
/// - exactly one terminal event, `completed`, `failed` or `cancelled`, with the final record; then
///   the stream ends. A task that already finished gets `connected`, then its terminal event.
///
/// Each event is written with an awaited `write`, so a slow client is not buffered for: its
/// intermediate records are skipped (the task's ``TaskManager/updates(_:)`` stream keeps only
/// the newest), never the terminal one. A client that disconnects (its inbound side closes, or a
/// write fails) ends the monitor at once and unregisters it from the task.
struct TaskMonitor: Sendable {
    static let contentType = "text/event-stream; charset=utf-8"

    let updates: AsyncStream<TaskRecord>
    let heartbeatInterval: Duration
    let logger: Logger

    /// What the writer loop waits for.
    enum Event: Sendable {
        case record(TaskRecord)
        case heartbeat
    }

    /// The response body; `request`'s inbound side is watched so that a disconnect cancels it.
    func body(request: Request) -> ResponseBody {
        ResponseBody { writer in
            do {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    try await self.write(to: &writer)
                }
            } catch {
                logger.debug("task monitor ended early", metadata: ["error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        }
    }

    /// Writes events until the terminal one (or until cancelled).
    func write(to writer: inout any ResponseBodyWriter) async throws {
        // At most a few events wait: records are coalesced by the updates stream, heartbeats are
        // one per interval, and the terminal record is the last one yielded before `finish`.
        let (events, sink) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(8))
        let (updates, interval) = (self.updates, heartbeatInterval)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await record in updates { sink.yield(.record(record)) }
                sink.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    sink.yield(.heartbeat)
                }
            }
            var last: TaskRecord?
            for await event in events {
                var buffer = ByteBuffer()
                switch event {
                case .heartbeat:
                    guard let last else { continue }
                    Self.writeHeartbeat(last, into: &buffer)
                case .record(let record):
                    if last == nil {
                        Self.writeEvent("connected", record, into: &buffer)
                    } else if record != last, !record.status.isTerminal {
                        Self.writeEvent("progress", record, into: &buffer)
                    }
                    if record.status.isTerminal { Self.writeEvent(record.status.rawValue, record, into: &buffer) }
                    last = record
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
                if last?.status.isTerminal == true { break }
            }
            group.cancelAll()
            if last?.status.isTerminal != true { throw CancellationError() }
        }
    }

    static func writeEvent(_ name: String, _ record: TaskRecord, into buffer: inout ByteBuffer) {
        buffer.writeString("event: \(name)\ndata: ")
        buffer.writeBytes(record.jsonData)
        buffer.writeStaticString("\n\n")
    }

    static func writeHeartbeat(_ record: TaskRecord, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("event: heartbeat\ndata: {\"task_id\":")
        buffer.writeJSONString(record.taskID)
        buffer.writeStaticString(",\"status\":")
        buffer.writeJSONString(record.status.rawValue)
        buffer.writeStaticString(",\"progress_percent\":")
        buffer.writeString(record.progressPercent.isFinite ? "\(record.progressPercent)" : "0")
        buffer.writeStaticString(",\"timestamp\":")
        buffer.writeJSONString(TaskTimestamp.string(from: Date()))
        buffer.writeStaticString("}\n\n")
    }
}
