import GraphService

/// The operations and schemas of the `Tasks` area (``TasksController``).
extension OpenAPIDocument {
    private typealias Op = OpenAPIOperation
    private typealias S = OpenAPISchema

    static let tasksTag: OrderedJSON = [
        "name": "Tasks",
        "description": "Long operations (copy, ingest, backup, restore) running in the background: status, cancellation, live progress.",
    ]

    /// The `task_id` path parameter.
    private static let taskIDParameter: OrderedJSON = [
        "name": "task_id", "in": "path", "required": true, "description": "The task's id (a UUID).",
        "schema": S.string("A task id.", format: "uuid", example: "0b6f1f5e-6a3c-4b8e-9a51-2f1d3c4b5a69"),
    ]

    static let taskOperations: [Operation] = [
        Operation(
            route: Route(method: "get", path: "/tasks"),
            object: Op.make(
                id: "listTasks", tag: "Tasks", summary: "List tasks",
                description: """
                    The tasks the key may see, newest first: pending, running and the last finished ones (the \
                    1,000 most recently finished are kept, across restarts). A key scoped to some graphs sees \
                    only their tasks. `total` counts every matching task; `tasks` holds at most `limit`.
                    """,
                parameters: [
                    Op.query("status", "Only tasks in this status.", S.ref("TaskStatus")),
                    Op.query(
                        "task_type", "Only tasks of this type (`copy`, `ingest`, `backup`, `restore`, …).",
                        S.string("A task type.", pattern: "^[A-Za-z0-9_-]{1,64}$")
                    ),
                    Op.query(
                        "limit", "At most this many tasks (default 100).",
                        S.integer("Tasks to return at most.", minimum: 1, maximum: TasksController.maxLimit)
                    ),
                ],
                responses: [("200", Op.json("The tasks.", S.ref("TaskList")))],
                errors: [(400, Op.codes("invalid_status", "invalid_task_type", "invalid_limit"))]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/tasks/stats"),
            object: Op.make(
                id: "getTaskStats", tag: "Tasks", summary: "Task counts",
                description: "How many tasks the key may see, by status and by type.",
                responses: [("200", Op.json("The counts.", S.ref("TaskStats")))]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/tasks/{task_id}/status"),
            object: Op.make(
                id: "getTaskStatus", tag: "Tasks", summary: "A task's status",
                description: "The task's status, progress, timestamps, error or result, and metadata.",
                parameters: [taskIDParameter],
                responses: [("200", Op.json("The task.", S.ref("TaskRecord")))],
                errors: [
                    (400, Op.codes("invalid_task_id")),
                    (404, "An unknown task, or one outside the key's scope. " + Op.codes("task_not_found")),
                ]
            )
        ),
        Operation(
            route: Route(method: "delete", path: "/tasks/{task_id}"),
            object: Op.make(
                id: "cancelTask", tag: "Tasks", summary: "Cancel a task",
                description: """
                    Cancels a pending or running task: a pending one never starts; a running one is \
                    interrupted (its engine calls too). The answer waits a few seconds for the task to stop: \
                    `200` with the `cancelled` task, or `202` with the task while it is still stopping (follow \
                    it with `GET /tasks/{task_id}/status` or the monitor). A task that already finished — or \
                    finished before the cancellation reached it — is `409`. Audit-logged.
                    """,
                parameters: [taskIDParameter],
                responses: [
                    ("200", Op.json("The task was cancelled.", S.ref("TaskRecord"))),
                    ("202", Op.json("Cancellation was requested; the task is still stopping.", S.ref("TaskRecord"))),
                ],
                errors: [
                    (400, Op.codes("invalid_task_id")),
                    (403, Op.codes("read_only_key")),
                    (404, "An unknown task, or one outside the key's scope. " + Op.codes("task_not_found")),
                    (409, "The task already finished. " + Op.codes("task_finished")),
                ]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/tasks/{task_id}/monitor"),
            object: Op.make(
                id: "monitorTask", tag: "Tasks", summary: "Follow a task (server-sent events)",
                description: """
                    Server-sent events, each `event: <name>` and `data: <JSON>`: `connected` (the task as it \
                    is), `progress` (the task after each change; a slow reader skips intermediate ones), \
                    `heartbeat` (`TaskHeartbeat`, at least every 15 s), then exactly one of `completed`, \
                    `failed` or `cancelled` with the final task, and the stream ends. A finished task gets \
                    `connected`, then its terminal event. Closing the connection stops the monitor, not the \
                    task.
                    """,
                parameters: [taskIDParameter],
                responses: [
                    (
                        "200",
                        Op.content(
                            "The task's events.",
                            [
                                "text/event-stream": [
                                    "schema": S.string(
                                        "Server-sent events: `connected`, `progress`… (a `TaskRecord` each), `heartbeat` "
                                            + "(a `TaskHeartbeat`), then `completed`, `failed` or `cancelled` (a `TaskRecord`)."
                                    )
                                ] as OrderedJSON
                            ]
                        )
                    )
                ],
                errors: [
                    (400, Op.codes("invalid_task_id")),
                    (404, "An unknown task, or one outside the key's scope. " + Op.codes("task_not_found")),
                ]
            )
        ),
    ]

    static let taskSchemas: [(key: String, value: OrderedJSON)] = [
        ("TaskStatus", S.string("Where a task is.", values: TaskStatus.allCases.map(\.rawValue))),
        (
            "TaskRecord",
            S.object(
                "A background task. Every key is always present (`null` when there is no value).",
                properties: [
                    ("task_id", S.string("The task's id.", format: "uuid")),
                    ("task_type", S.string("What the task does: `copy`, `ingest`, `backup`, `restore`, …")),
                    ("graph_id", S.string("The graph the task works on.", nullable: true)),
                    ("status", S.ref("TaskStatus")),
                    ("progress_percent", ["type": "number", "minimum": 0, "maximum": 100, "description": "0 to 100; never decreases."]),
                    ("created_at", S.string("When the task was submitted.", format: "date-time")),
                    ("started_at", S.string("When its work started.", format: "date-time", nullable: true)),
                    ("completed_at", S.string("When it finished.", format: "date-time", nullable: true)),
                    (
                        "error",
                        S.string(
                            "Why it failed or was cancelled; `interrupted by restart` for a task that was running when "
                                + "the server died, `interrupted by server shutdown` when the server stopped.",
                            nullable: true
                        )
                    ),
                    ("result", ["description": "What the work returned (completed tasks); any JSON value, or null."]),
                    (
                        "metadata",
                        ["type": "object", "description": "What the submitter recorded about the task.", "additionalProperties": true]
                    ),
                    ("rows_processed", S.integer("Rows handled so far.", minimum: 0, nullable: true)),
                    ("bytes_processed", S.integer("Bytes handled so far.", minimum: 0, nullable: true)),
                    ("total_rows", S.integer("Rows to handle in all, when known.", minimum: 0, nullable: true)),
                    ("total_bytes", S.integer("Bytes to handle in all, when known.", minimum: 0, nullable: true)),
                    ("message", S.string("The work's last progress message.", nullable: true)),
                ],
                required: [
                    "task_id", "task_type", "graph_id", "status", "progress_percent", "created_at", "started_at", "completed_at",
                    "error", "result", "metadata", "rows_processed", "bytes_processed", "total_rows", "total_bytes", "message",
                ]
            )
        ),
        (
            "TaskList",
            S.object(
                "Tasks, newest first.",
                properties: [
                    ("tasks", S.array(S.ref("TaskRecord"), "At most `limit` tasks.")),
                    ("total", S.integer("Tasks matching the filters (before `limit`).", minimum: 0)),
                ],
                required: ["tasks", "total"]
            )
        ),
        (
            "TaskStats",
            S.object(
                "Task counts.",
                properties: [
                    ("total", S.integer("Tasks kept (pending, running and recently finished).", minimum: 0)),
                    (
                        "by_status",
                        S.object(
                            "Tasks per status.",
                            properties: TaskStatus.allCases.map { ($0.rawValue, S.integer("Tasks \($0.rawValue).", minimum: 0)) },
                            required: TaskStatus.allCases.map(\.rawValue)
                        )
                    ),
                    (
                        "by_type",
                        [
                            "type": "object", "description": "Tasks per task type.",
                            "additionalProperties": ["type": "integer", "minimum": 0],
                        ]
                    ),
                ],
                required: ["total", "by_status", "by_type"]
            )
        ),
        (
            "TaskHeartbeat",
            S.object(
                "The data of a `heartbeat` event of the task monitor.",
                properties: [
                    ("task_id", S.string("The task's id.", format: "uuid")),
                    ("status", S.ref("TaskStatus")),
                    ("progress_percent", ["type": "number", "minimum": 0, "maximum": 100, "description": "The task's progress."]),
                    ("timestamp", S.string("When the heartbeat was sent.", format: "date-time")),
                ],
                required: ["task_id", "status", "progress_percent", "timestamp"]
            )
        ),
    ]
}
