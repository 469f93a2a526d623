import GraphService
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The `Tasks` area of the API: the background tasks of ``TaskManager``.
///
/// - `GET /tasks?status=&task_type=&limit=` → `{"tasks": [..], "total": n}`, newest first;
///   `total` counts every matching task, `tasks` holds at most `limit` (1...1,000, default 100).
/// - `GET /tasks/stats` → counts by status and by type.
/// - `GET /tasks/{task_id}/status` → the task.
/// - `DELETE /tasks/{task_id}` → cancels a pending or running task (a key that may write only).
/// - `GET /tasks/{task_id}/monitor` → server-sent events (``TaskMonitor``).
///
/// A key scoped to some graphs sees only their tasks; another task is `404`, exactly as an
/// unknown one, so it learns nothing about other tenants. Tasks without a graph are visible to
/// unscoped keys only.
struct TasksController: Sendable {
    let tasks: TaskManager

    /// `limit` when the request gives none.
    static let defaultLimit = 100
    /// Largest `limit`.
    static let maxLimit = 1_000

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        router.get("/tasks") { request, context in try self.list(request, context: context) }
        router.get("/tasks/stats") { _, context in try self.stats(context: context) }
        router.get("/tasks/:task_id/status") { _, context in try self.status(context: context) }
        router.delete("/tasks/:task_id") { _, context in try await self.cancel(context: context) }
        router.get("/tasks/:task_id/monitor") { request, context in try self.monitor(request, context: context) }
    }

    // MARK: GET /tasks

    struct TaskList: Encodable {
        var tasks: [TaskRecord]
        var total: Int
    }

    func list(_ request: Request, context: GraphAPIRequestContext) throws -> Response {
        let scope = try Self.scope(of: context)
        let query = request.uri.queryParameters
        var status: TaskStatus?
        if let raw = query["status"] {
            guard let value = TaskStatus(rawValue: String(raw)) else {
                throw APIError(.invalidStatus, "invalid status '\(raw.prefix(32))': expected one of "
                        + TaskStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            status = value
        }
        var type: String?
        if let raw = query["task_type"] {
            guard Self.isTaskType(raw) else {
                throw APIError(.invalidTaskType, "invalid task_type '\(raw.prefix(32))': expected 1 to 64 letters, digits, '_' or '-'")
            }
            type = String(raw)
        }
        var limit = Self.defaultLimit
        if let raw = query["limit"] {
            guard let value = Int(String(raw)), (1...Self.maxLimit).contains(value) else {
                throw APIError(.invalidLimit, "invalid limit '\(raw.prefix(32))': expected a whole number in 1...\(Self.maxLimit)")
            }
            limit = value
        }
        let (records, total) = tasks.query(status: status, type: type, graphIDs: scope.graphs, limit: limit)
        return Self.json(TaskList(tasks: records, total: total))
    }

    static func isTaskType(_ text: Substring) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    // MARK: GET /tasks/stats

    func stats(context: GraphAPIRequestContext) throws -> Response {
        let scope = try Self.scope(of: context)
        return Self.json(tasks.stats(graphIDs: scope.graphs))
    }

    // MARK: GET /tasks/{task_id}/status

    func status(context: GraphAPIRequestContext) throws -> Response {
        Self.json(try visibleTask(context).record)
    }

    // MARK: DELETE /tasks/{task_id}

    /// Cancels the task, then waits up to ``TaskManager/cancelWait`` for it to stop: `200` with
    /// the `cancelled` record; `202` with the record if it is still stopping; `409` if it had
    /// finished (also when it completed before the cancellation reached it).
    func cancel(context: GraphAPIRequestContext) async throws -> Response {
        let (record, scope) = try visibleTask(context)
        if scope.readOnly {
            throw APIError(.readOnlyKey, "this API key is read-only")
        }
        guard !record.status.isTerminal else { throw Self.finished(record) }
        // Watch before cancelling, so that the terminal record cannot be missed.
        let updates = tasks.updates(record.taskID)
        guard let requested = tasks.cancel(record.taskID) else { throw Self.notFound(record.taskID) }
        context.logger.notice(
            "audit: task cancelled",
            metadata: [
                "audit": "cancel_task", "task_id": "\(record.taskID)", "task_type": "\(record.taskType)",
                "graph_id": "\(record.graphID ?? "-")", "client": "\(context.clientAddress)",
            ]
        )
        var final = requested
        if !final.status.isTerminal, let updates {
            final = await Self.terminal(of: updates, within: tasks.cancelWait) ?? tasks.record(record.taskID) ?? requested
        }
        switch final.status {
        case .cancelled: return Self.json(final)
        case .pending, .running: return Self.json(final, status: .accepted)
        case .completed, .failed: throw Self.finished(final)
        }
    }

    /// The first terminal record of `updates`, or `nil` if none came within `timeout`.
    static func terminal(of updates: AsyncStream<TaskRecord>, within timeout: Duration) async -> TaskRecord? {
        await withTaskGroup(of: TaskRecord?.self) { group in
            group.addTask {
                for await record in updates where record.status.isTerminal { return record }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    // MARK: GET /tasks/{task_id}/monitor

    func monitor(_ request: Request, context: GraphAPIRequestContext) throws -> Response {
        let (record, _) = try visibleTask(context)
        guard let updates = tasks.updates(record.taskID) else { throw Self.notFound(record.taskID) }
        let monitor = TaskMonitor(updates: updates, heartbeatInterval: tasks.heartbeatInterval, logger: context.logger)
        return Response(
            status: .ok,
            headers: [.contentType: TaskMonitor.contentType, .cacheControl: "no-cache"],
            body: monitor.body(request: request)
        )
    }

    // MARK: Helpers

    static func scope(of context: GraphAPIRequestContext) throws(APIError) -> KeyScope {
        guard let scope = context.scope else {
            throw APIError(.unauthorized, "missing or invalid API key")
        }
        return scope
    }

    /// The task of the path, if the key may see it: `400` for an id that is not a UUID, `404` for
    /// an unknown task or one outside the key's scope.
    func visibleTask(_ context: GraphAPIRequestContext) throws -> (record: TaskRecord, scope: KeyScope) {
        let scope = try Self.scope(of: context)
        let raw = context.parameters.get("task_id") ?? ""
        guard let uuid = UUID(uuidString: raw) else {
            throw APIError(.invalidTaskID, "invalid task id '\(raw.prefix(64))': expected a UUID")
        }
        let id = uuid.uuidString.lowercased()
        guard let record = tasks.record(id), record.isVisible(to: scope) else { throw Self.notFound(id) }
        return (record, scope)
    }

    static func notFound(_ id: String) -> ServiceError {
        ServiceError(.taskNotFound, "task '\(id)' not found")
    }

    static func finished(_ record: TaskRecord) -> ServiceError {
        ServiceError(.taskFinished, "task '\(record.taskID)' already finished (\(record.status.rawValue)); only pending or running tasks can be cancelled")
    }

    /// A JSON answer (ISO-8601 timestamps, keys sorted).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder.iso8601.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
