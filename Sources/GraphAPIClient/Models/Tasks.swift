import GraphAPIContract
import GraphJSON

// The wire models of the task operations are the types generated from `openapi/openapi.json`
// (`Generated/`); these names are the client's for them. A task's `result` and `metadata` are
// GraphJSON's `JSONValue` and `JSONObject` (the document's `JSONValue` and `JSONObject` schemas,
// overridden in `openapi/openapi-generator-config.yaml`). `TaskEvent` stays hand-written: it is
// the model of the hand-written server-sent event stream.

/// One background task (copy, ingest, backup, restore): `GET /tasks/{task_id}/status`, an entry
/// of `GET /tasks`, and the data of the monitor's events.
public typealias TaskInfo = Components.Schemas.TaskRecord
/// `pending`, `running`, `completed`, `failed` or `cancelled`.
public typealias TaskStatus = Components.Schemas.TaskStatus
/// `202` answer of a request that starts a task (`POST /databases/{graph_id}/copy`, the
/// `?async=true` loads and ingests, `POST /databases/{graph_id}/restore`): follow it with
/// ``GraphAPIClient/monitorTask(_:)`` or ``GraphAPIClient/task(_:)``.
public typealias TaskAcceptedResponse = Components.Schemas.TaskAccepted
/// `GET /tasks`.
public typealias TaskListResponse = Components.Schemas.TaskList
/// `GET /tasks/stats`.
public typealias TaskStatsResponse = Components.Schemas.TaskStats

extension Components.Schemas.TaskStatus {
    /// Whether a task in this status has ended (`completed`, `failed` or `cancelled`).
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

extension Components.Schemas.TaskRecord {
    /// Whether the task has ended (`completed`, `failed` or `cancelled`).
    public var isFinished: Bool { status.isFinished }
}

extension Components.Schemas.TaskStats.ByStatusPayload {
    /// The number of tasks in `status`.
    public subscript(status: TaskStatus) -> Int {
        switch status {
        case .pending: pending
        case .running: running
        case .completed: completed
        case .failed: failed
        case .cancelled: cancelled
        }
    }
}

/// One server-sent event of `GET /tasks/{task_id}/monitor`.
public struct TaskEvent: Sendable, Hashable {
    /// `connected`, `progress`, `heartbeat`, then `completed`, `failed` or `cancelled`.
    public var name: String
    /// The event's data.
    public var data: JSONValue
    /// The task, for every event but `heartbeat`.
    public var task: TaskInfo?

    /// Creates an event.
    public init(name: String, data: JSONValue, task: TaskInfo?) {
        self.name = name
        self.data = data
        self.task = task
    }

    /// Whether this is the last event (`completed`, `failed` or `cancelled`).
    public var isTerminal: Bool { TaskStatus(rawValue: name)?.isFinished ?? false }
}
