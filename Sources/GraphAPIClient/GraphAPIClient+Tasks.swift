import Foundation


extension GraphAPIRequest {
    /// `GET /tasks[?status=&task_type=&limit=]`.
    public static func listTasks(status: String? = nil, type: String? = nil, limit: Int? = nil) -> GraphAPIRequest {
        var items: [QueryItem] = []
        if let status { items.append(QueryItem(name: "status", value: status)) }
        if let type { items.append(QueryItem(name: "task_type", value: type)) }
        if let limit { items.append(QueryItem(name: "limit", value: String(limit))) }
        return GraphAPIRequest(method: "GET", pathSegments: ["tasks"], queryItems: items)
    }

    /// `GET /tasks/stats`.
    public static var taskStats: GraphAPIRequest { GraphAPIRequest(method: "GET", pathSegments: ["tasks", "stats"]) }

    /// `GET /tasks/{task_id}/status`.
    public static func taskStatus(_ taskID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["tasks", taskID, "status"])
    }

    /// `DELETE /tasks/{task_id}`.
    public static func cancelTask(_ taskID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "DELETE", pathSegments: ["tasks", taskID])
    }

    /// `GET /tasks/{task_id}/monitor`, answered with server-sent events.
    public static func monitorTask(_ taskID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["tasks", taskID, "monitor"], accept: "text/event-stream")
    }
}

extension GraphAPIClient {
    /// `GET /tasks`: the tasks the key may see, newest first.
    ///
    /// - Parameters:
    ///   - status: only tasks in this status (`pending`, `running`, `completed`, `failed`, `cancelled`).
    ///   - type: only tasks of this type (`copy`, `ingest`, `backup`, `restore`, …).
    ///   - limit: at most this many (1...1,000; the server's default is 100).
    public func listTasks(status: String? = nil, type: String? = nil, limit: Int? = nil) async throws -> TaskListResponse {
        try await decoded(TaskListResponse.self, .listTasks(status: status, type: type, limit: limit))
    }

    /// `GET /tasks/stats`: task counts by status and by type.
    public func taskStats() async throws -> TaskStatsResponse {
        try await decoded(TaskStatsResponse.self, .taskStats)
    }

    /// `GET /tasks/{task_id}/status`.
    public func task(_ taskID: String) async throws -> TaskInfo {
        try await decoded(TaskInfo.self, .taskStatus(taskID))
    }

    /// `DELETE /tasks/{task_id}`: cancels a pending or running task. The answer is the task once it
    /// stopped (`cancelled`), or while it is still stopping (`running`, after a few seconds). A
    /// task that already finished is an error (409, `task_finished`).
    public func cancelTask(_ taskID: String) async throws -> TaskInfo {
        try await decoded(TaskInfo.self, .cancelTask(taskID))
    }

    /// `GET /tasks/{task_id}/monitor`: the task's events until it ends (see ``TaskEventStream``).
    ///
    /// The server sends a heartbeat at least every 15 s, so the stream waits for the next byte up
    /// to the client's request timeout (at least 60 s) however long the task runs.
    public func monitorTask(_ taskID: String) -> TaskEventStream {
        var request = GraphAPIRequest.monitorTask(taskID)
        request.timeoutSeconds = max(configuration.requestTimeoutSeconds, 60)
        return TaskEventStream(client: self, request: request)
    }
}
