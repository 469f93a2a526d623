import Foundation
import GraphJSON

/// Where a background task is in its life: `pending` → `running` → one of the terminal
/// statuses `completed`, `failed` or `cancelled`.
public enum TaskStatus: String, Codable, Sendable, CaseIterable {
    /// Submitted, not started yet.
    case pending
    /// Its work is running.
    case running
    /// Its work returned; ``TaskRecord/result`` holds what it returned.
    case completed
    /// Its work threw, or the server stopped while it ran; ``TaskRecord/error`` says why.
    case failed
    /// Cancelled on request (`DELETE /tasks/{task_id}`).
    case cancelled

    /// Whether the task has ended (it never changes again).
    public var isTerminal: Bool {
        switch self {
        case .pending, .running: false
        case .completed, .failed, .cancelled: true
        }
    }
}

/// One background task as the API reports it (`GET /tasks/{task_id}/status`) and as it is kept on
/// disk (`<data-dir>/tasks/<task_id>.json`).
///
/// JSON keys are snake_case and every key is always written (`null` when there is no value), so
/// the shape never changes with the status. Timestamps are ISO-8601 UTC with milliseconds.
public struct TaskRecord: Codable, Sendable, Equatable {
    /// The task's id: a lower-case UUID.
    public var taskID: String
    /// What the task does: `copy`, `ingest`, `backup`, `restore`, …
    public var taskType: String
    /// The graph the task works on, if any. A key scoped to some graphs sees only their tasks;
    /// tasks without a graph are visible to unscoped keys only.
    public var graphID: String?
    /// Where the task is.
    public var status: TaskStatus
    /// 0 to 100; never decreases. 100 once completed.
    public var progressPercent: Double
    /// When the task was submitted.
    public var createdAt: Date
    /// When its work started.
    public var startedAt: Date?
    /// When it reached its terminal status.
    public var completedAt: Date?
    /// Why it failed (or was cancelled, when the work said so).
    public var error: String?
    /// What its work returned (completed tasks only).
    public var result: JSONValue?
    /// What the submitter recorded about the task (source, table, options, …).
    public var metadata: [String: JSONValue]
    /// Rows handled so far, when the work reports them.
    public var rowsProcessed: Int64?
    /// Bytes handled so far, when the work reports them.
    public var bytesProcessed: Int64?
    /// Rows to handle in all, when known.
    public var totalRows: Int64?
    /// Bytes to handle in all, when known.
    public var totalBytes: Int64?
    /// The work's last progress message.
    public var message: String?

    /// Creates a record.
    public init(
        taskID: String, taskType: String, graphID: String?, status: TaskStatus = .pending, progressPercent: Double = 0,
        createdAt: Date, startedAt: Date? = nil, completedAt: Date? = nil, error: String? = nil, result: JSONValue? = nil,
        metadata: [String: JSONValue] = [:], rowsProcessed: Int64? = nil, bytesProcessed: Int64? = nil,
        totalRows: Int64? = nil, totalBytes: Int64? = nil, message: String? = nil
    ) {
        self.taskID = taskID
        self.taskType = taskType
        self.graphID = graphID
        self.status = status
        self.progressPercent = progressPercent
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.error = error
        self.result = result
        self.metadata = metadata
        self.rowsProcessed = rowsProcessed
        self.bytesProcessed = bytesProcessed
        self.totalRows = totalRows
        self.totalBytes = totalBytes
        self.message = message
    }

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
        status = try container.decode(TaskStatus.self, forKey: .status)
        progressPercent = try container.decodeIfPresent(Double.self, forKey: .progressPercent) ?? 0
        guard let createdAt = try Self.date(container, .createdAt) else {
            throw DecodingError.valueNotFound(
                Date.self, .init(codingPath: container.codingPath + [CodingKeys.createdAt], debugDescription: "created_at is missing")
            )
        }
        self.createdAt = createdAt
        startedAt = try Self.date(container, .startedAt)
        completedAt = try Self.date(container, .completedAt)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        // A `null` result is no result.
        result = try container.decodeIfPresent(JSONValue.self, forKey: .result).flatMap { $0.isNull ? JSONValue?.none : $0 }
        metadata = try container.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:]
        rowsProcessed = try container.decodeIfPresent(Int64.self, forKey: .rowsProcessed)
        bytesProcessed = try container.decodeIfPresent(Int64.self, forKey: .bytesProcessed)
        totalRows = try container.decodeIfPresent(Int64.self, forKey: .totalRows)
        totalBytes = try container.decodeIfPresent(Int64.self, forKey: .totalBytes)
        message = try container.decodeIfPresent(String.self, forKey: .message)
    }

    /// The timestamp at `key` (an ISO-8601 string), `nil` when absent or `null`.
    private static func date(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Date? {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let date = TaskTimestamp.date(from: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an ISO-8601 timestamp: \(text)")
        }
        return date
    }

    /// Writes every key; a missing value is `null`. Timestamps are ISO-8601 strings whatever the
    /// encoder's date strategy.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(taskID, forKey: .taskID)
        try container.encode(taskType, forKey: .taskType)
        try container.encode(graphID, forKey: .graphID)
        try container.encode(status, forKey: .status)
        try container.encode(progressPercent, forKey: .progressPercent)
        try container.encode(TaskTimestamp.string(from: createdAt), forKey: .createdAt)
        try container.encode(startedAt.map(TaskTimestamp.string(from:)), forKey: .startedAt)
        try container.encode(completedAt.map(TaskTimestamp.string(from:)), forKey: .completedAt)
        try container.encode(error, forKey: .error)
        try container.encode(result ?? .null, forKey: .result)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(rowsProcessed, forKey: .rowsProcessed)
        try container.encode(bytesProcessed, forKey: .bytesProcessed)
        try container.encode(totalRows, forKey: .totalRows)
        try container.encode(totalBytes, forKey: .totalBytes)
        try container.encode(message, forKey: .message)
    }

    /// Whether a key of `scope` may see this task: every task for an unscoped key; for a key
    /// scoped to some graphs, the tasks of those graphs only.
    public func isVisible(to scope: KeyScope) -> Bool {
        isVisible(toGraphs: scope.graphs)
    }

    /// ``isVisible(to:)`` for a scope's graph set (`nil`: every graph).
    func isVisible(toGraphs graphs: Set<String>?) -> Bool {
        guard let graphs else { return true }
        guard let graphID else { return false }
        return graphs.contains(graphID)
    }

    /// The record as JSON text (one line, keys sorted).
    package var jsonData: Data {
        // Encoding a record cannot fail: every value is a string, a finite number or null
        // (non-finite doubles in `result` are written as null).
        (try? JSONEncoder.iso8601.encode(self)) ?? Data("{}".utf8)
    }
}

/// `GET /tasks/stats`: how many tasks there are, by status and by type.
public struct TaskStats: Codable, Sendable, Equatable {
    /// Every task kept (running, pending and the finished ones still on record).
    public var total: Int
    /// Tasks per status; every status is present (0 when none).
    public var byStatus: [String: Int]
    /// Tasks per task type.
    public var byType: [String: Int]

    /// Creates statistics.
    public init(total: Int, byStatus: [String: Int], byType: [String: Int]) {
        self.total = total
        self.byStatus = byStatus
        self.byType = byType
    }

    enum CodingKeys: String, CodingKey {
        case total
        case byStatus = "by_status"
        case byType = "by_type"
    }

    /// The statistics of `records`.
    init(_ records: some Sequence<TaskRecord>) {
        var byStatus = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0.rawValue, 0) })
        var byType: [String: Int] = [:]
        var total = 0
        for record in records {
            total += 1
            byStatus[record.status.rawValue, default: 0] += 1
            byType[record.taskType, default: 0] += 1
        }
        self.init(total: total, byStatus: byStatus, byType: byType)
    }
}

/// Timestamps of task records, exact to the millisecond both ways: a record read back from its
/// file equals the one written.
///
/// ``ISO8601Timestamp`` formats the binary `Date` with truncation, so a time such as `…00.001`
/// (stored as `…00.000999…`) would be written `…00.000Z`; here the milliseconds are rounded
/// first, and parsed times are rounded back to whole milliseconds.
package enum TaskTimestamp {
    /// `2026-01-04T09:00:00.123Z`, rounded to the millisecond.
    package static func string(from date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (milliseconds / 1000).rounded(.down)
        let fraction = Int(milliseconds - seconds * 1000)
        let whole = Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))  // …:00Z
        return String(whole.dropLast()) + "." + String(repeating: "0", count: fraction < 10 ? 2 : fraction < 100 ? 1 : 0) + String(fraction) + "Z"
    }

    /// Parses an ISO-8601 timestamp (with or without fraction), rounded to the millisecond.
    static func date(from text: String) -> Date? {
        ISO8601Timestamp.date(from: text).map(rounded)
    }

    /// `date` rounded to the millisecond.
    static func rounded(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}
