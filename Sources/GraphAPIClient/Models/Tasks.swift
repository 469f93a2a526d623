import GraphJSON

// Still hand-written beside `Components.Schemas.TaskRecord`, `TaskList`, `TaskStats` and
// `TaskAccepted`, which are due to replace them as `Databases.swift`'s did. `TaskEvent` stays: it is
// the model of the hand-written server-sent event stream.

/// One background task (copy, ingest, backup, restore): `GET /tasks/{task_id}/status`, an entry
/// of `GET /tasks`, and the data of the monitor's events.
public struct TaskInfo: Codable, Sendable, Hashable {
    /// The task's id (a UUID).
    public var taskID: String
    /// What it does: `copy`, `ingest`, `backup`, `restore`, …
    public var taskType: String
    /// The graph it works on, if any.
    public var graphID: String?
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    public var status: String
    /// 0 to 100.
    public var progressPercent: Double
    /// When it was submitted (ISO-8601 UTC).
    public var createdAt: String
    /// When its work started.
    public var startedAt: String?
    /// When it finished.
    public var completedAt: String?
    /// Why it failed or was cancelled.
    public var error: String?
    /// What its work returned (completed tasks).
    public var result: JSONValue?
    /// What the submitter recorded about it.
    public var metadata: JSONObject
    /// Rows handled so far.
    public var rowsProcessed: Int64?
    /// Bytes handled so far.
    public var bytesProcessed: Int64?
    /// Rows to handle in all, when known.
    public var totalRows: Int64?
    /// Bytes to handle in all, when known.
    public var totalBytes: Int64?
    /// The work's last progress message.
    public var message: String?

    /// The statuses a task ends in.
    public static let terminalStatuses: Set<String> = ["completed", "failed", "cancelled"]

    /// Whether the task has ended (`completed`, `failed` or `cancelled`).
    public var isFinished: Bool { Self.terminalStatuses.contains(status) }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id"
        case taskType = "task_type"
        case graphID = "graph_id"
        case status
        case progressPercent = "progress_percent"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case completedAt = "completed_at"
        case error, result, metadata
        case rowsProcessed = "rows_processed"
        case bytesProcessed = "bytes_processed"
        case totalRows = "total_rows"
        case totalBytes = "total_bytes"
        case message
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        taskID = try container.decode(String.self, forKey: .taskID)
        taskType = try container.decode(String.self, forKey: .taskType)
        graphID = try container.decodeIfPresent(String.self, forKey: .graphID)
        status = try container.decode(String.self, forKey: .status)
        progressPercent = try container.decodeIfPresent(Double.self, forKey: .progressPercent) ?? 0
        createdAt = try container.decode(String.self, forKey: .createdAt)
        startedAt = try container.decodeIfPresent(String.self, forKey: .startedAt)
        completedAt = try container.decodeIfPresent(String.self, forKey: .completedAt)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        result = try container.decodeIfPresent(JSONValue.self, forKey: .result).flatMap { $0.isNull ? nil : $0 }
        metadata = try container.decodeIfPresent(JSONObject.self, forKey: .metadata) ?? [:]
        rowsProcessed = try container.decodeIfPresent(Int64.self, forKey: .rowsProcessed)
        bytesProcessed = try container.decodeIfPresent(Int64.self, forKey: .bytesProcessed)
        totalRows = try container.decodeIfPresent(Int64.self, forKey: .totalRows)
        totalBytes = try container.decodeIfPresent(Int64.self, forKey: .totalBytes)
        message = try container.decodeIfPresent(String.self, forKey: .message)
    }
}

/// `202` answer of a request that starts a task (`POST /databases/{graph_id}/copy`): follow it
/// with ``GraphAPIClient/monitorTask(_:)`` or ``GraphAPIClient/task(_:)``.
public struct TaskAcceptedResponse: Codable, Sendable, Hashable {
    /// The task's id.
    public var taskID: String
    /// `pending`.
    public var status: String
    /// The path of its monitor (`/tasks/{task_id}/monitor`).
    public var monitorURL: String
    /// The path of its status (`/tasks/{task_id}/status`).
    public var statusURL: String

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id"
        case status
        case monitorURL = "monitor_url"
        case statusURL = "status_url"
    }
}

/// `GET /tasks`.
public struct TaskListResponse: Codable, Sendable, Hashable {
    /// The tasks, newest first (at most the `limit` asked for).
    public var tasks: [TaskInfo]
    /// Tasks matching the filters, before the limit.
    public var total: Int
}

/// `GET /tasks/stats`.
public struct TaskStatsResponse: Codable, Sendable, Hashable {
    /// Tasks kept (pending, running and recently finished).
    public var total: Int
    /// Tasks per status (every status present).
    public var byStatus: [String: Int]
    /// Tasks per task type.
    public var byType: [String: Int]

    enum CodingKeys: String, CodingKey {
        case total
        case byStatus = "by_status"
        case byType = "by_type"
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
    public var isTerminal: Bool { TaskInfo.terminalStatuses.contains(name) }
}
