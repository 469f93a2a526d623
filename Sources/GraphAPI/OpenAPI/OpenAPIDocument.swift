import GraphService

/// The OpenAPI 3.1 description of the server, served at `GET /openapi.json` and rendered at
/// `GET /docs`.
///
/// ``operations`` documents every route; the test suite checks that the router has exactly the
/// routes documented here, so a route added without documentation fails the build's tests.
/// ``document(routes:)`` keeps the operations of the routes a router really has, so the served
/// document never lists a route the server lacks.
enum OpenAPIDocument {
    /// The OpenAPI version of the document.
    static let openAPIVersion = "3.1.0"

    /// A route: lower-case HTTP method and path template (`/databases/{graph_id}`).
    struct Route: Hashable, Sendable, Comparable, CustomStringConvertible {
        var method: String
        var path: String

        init(method: String, path: String) {
            self.method = method.lowercased()
            self.path = path
        }

        var description: String { "\(method.uppercased()) \(path)" }

        static func < (lhs: Route, rhs: Route) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
    }

    /// One documented operation.
    struct Operation: Sendable {
        var route: Route
        var object: OrderedJSON
    }

    /// The whole document, with the operations of `routes` only (`nil`: every documented one).
    static func document(routes: Set<Route>? = nil) -> OrderedJSON {
        var paths: [(key: String, value: OrderedJSON)] = []
        for operation in operations where routes?.contains(operation.route) ?? true {
            let path = operation.route.path
            if let index = paths.firstIndex(where: { $0.key == path }) {
                paths[index].value = paths[index].value.merging(.object([(operation.route.method, operation.object)]))
            } else {
                var item: [(key: String, value: OrderedJSON)] = []
                if path.contains("{graph_id}") { item.append(("parameters", [["$ref": "#/components/parameters/GraphID"]])) }
                item.append((operation.route.method, operation.object))
                paths.append((path, .object(item)))
            }
        }
        return [
            "openapi": .string(openAPIVersion),
            "info": info,
            "servers": [["url": "/", "description": "This server."]],
            "tags": tags,
            "security": [["ApiKeyHeader": []], ["BearerAuth": []]],
            "paths": .object(paths),
            "components": components,
        ]
    }

    /// Every documented route.
    static var routes: Set<Route> { Set(operations.map(\.route)) }

    // MARK: Info

    static let info: OrderedJSON = [
        "title": "Graph API",
        "version": .string(GraphAPIVersion.string),
        "summary": "A multi-tenant HTTP server for LadybugDB graph databases, with DuckDB staging.",
        "description": """
        Each tenant (graph) is an embedded LadybugDB database with its own DuckDB staging file.

        **Authentication.** Send the key in `X-Graph-API-Key: <key>` or `Authorization: Bearer <key>`. \
        Only `/health`, `/status`, `/openapi.json` and `/docs` answer without one. A valid key is always \
        accepted. A missing or wrong key is answered `429` with `Retry-After` (instead of `401`) once its \
        address has had ten failed attempts within five minutes (code `too_many_failed_authentications`), \
        or the node as many as `--max-auth-failures-per-minute` from all addresses within a minute (code \
        `too_many_failed_authentications_node`), until the window passes. A key may be scoped to some \
        graphs and to read-only use; a graph outside its scope is `404`.

        **Errors.** Every error is `{"detail": "<message>", "code": "<stable_code>"}` with the status of \
        the contract: 400 malformed input, 401 missing/wrong key, 403 not allowed, 404 unknown, 408 query \
        timeout, 409 conflict, 413 body too large, 422 body does not match the schema, 429 failed authentications throttled, 503 \
        admission or busy (always with `Retry-After`), 507 node at capacity.

        **Tracing.** Every response has an `X-Request-ID` header; a request may send its own (1-128 \
        characters of `[A-Za-z0-9._:-]`), which is then used in logs and echoed back.

        Identifiers: `graph_id` matches `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`. Timestamps are ISO-8601 UTC.
        """,
        "license": ["name": "Proprietary"],
    ]

    static let tags: OrderedJSON = [
        ["name": "Operations", "description": "Health, status, node information, metrics and this description."],
        ["name": "Databases", "description": "Creating, listing, inspecting and deleting graphs; their schema and metrics."],
        ["name": "Cypher queries", "description": "Running Cypher with bound parameters: JSON, NDJSON or server-sent events."],
        stagingTag,
        tasksTag,
    ]

    // MARK: Operations

    static let operations: [Operation] = operationsOperations + databaseOperations + queryOperations + stagingOperations + taskOperations

    private typealias Op = OpenAPIOperation
    private typealias S = OpenAPISchema

    static let operationsOperations: [Operation] = [
        Operation(
            route: Route(method: "get", path: "/health"),
            object: Op.make(
                id: "getHealth", tag: "Operations", summary: "Liveness",
                description: "Answers promptly without touching any engine, even while long queries or ingests run. "
                    + "`503` with `status: unhealthy` when the data directory is unusable.",
                isPublic: true,
                responses: [
                    ("200", Op.json("The server is healthy.", S.ref("Health"))),
                    ("503", Op.json("The data directory is unusable (`status: unhealthy`).", S.ref("Health"))),
                ]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/status"),
            object: Op.make(
                id: "getStatus", tag: "Operations", summary: "Node status",
                description: "Node type, tier, database counts, memory and uptime. Opens no database.",
                isPublic: true,
                responses: [("200", Op.json("The node's status.", S.ref("Status")))]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/info"),
            object: Op.make(
                id: "getInfo", tag: "Operations", summary: "Node information",
                description: "The node's stable id (kept in `<data-dir>/node-id`), type, tier, versions, capacity, "
                    + "active connections, queue depth and the effective configuration. Never a secret: of the API "
                    + "keys only their number is reported. A key scoped to some graphs is not told what counts other "
                    + "tenants or their work: `capacity`, `active_connections`, `queue_depth` and "
                    + "`configuration.authentication` are left out for it.",
                responses: [("200", Op.json("The node's information.", S.ref("Info")))]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/metrics"),
            object: Op.make(
                id: "getMetrics", tag: "Operations", summary: "Prometheus metrics",
                description: """
                    The Prometheus text exposition (format 0.0.4). Every metric starts with `graph_api_`: \
                    `http_requests_total` and `http_request_duration_seconds` by `method`, `route` (the route \
                    template, e.g. `/databases/{graph_id}/query`, or `unmatched`) and `status`; `http_errors_total` \
                    by route, status and code; `http_requests_in_flight`; `queries_total`, \
                    `query_duration_seconds`, `query_rows_total` and `query_errors_total` by graph; \
                    `rows_streamed_total`; `queries_abandoned_total` (queries stopped because their client went \
                    away); `admission_rejections_total` by reason; `ingest_rows_total` by outcome; \
                    `tasks` by status and `tasks_finished_total` by type and status; the gauges `databases`, \
                    `max_databases`, `open_databases`, `max_open_databases`, `connections_leased`, \
                    `connection_waiters`, `resident_memory_bytes`, `uptime_seconds`; and `build_info`. \
                    Metrics of libraries recorded through swift-metrics appear as well. For operators: the labels \
                    name every graph of the node, so a key scoped to some graphs gets `403` `key_not_operator`.
                    """,
                responses: [
                    (
                        "200",
                        Op.content(
                            "Metrics in the Prometheus text format.",
                            ["text/plain": ["schema": S.string("Prometheus text exposition format, version 0.0.4.")]]
                        )
                    )
                ],
                errors: [(403, Op.codes("key_not_operator") + " The key is scoped to some graphs; `/metrics` needs one that is not.")]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/openapi.json"),
            object: Op.make(
                id: "getOpenAPI", tag: "Operations", summary: "This OpenAPI document",
                description: "The OpenAPI 3.1 description of every route of this server.",
                isPublic: true,
                responses: [("200", Op.json("The OpenAPI document.", ["type": "object", "description": "An OpenAPI 3.1 document."]))]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/docs"),
            object: Op.make(
                id: "getDocs", tag: "Operations", summary: "Human-readable API documentation",
                description: "An HTML page rendering this document: routes, parameters, bodies and responses. "
                    + "Self-contained: it loads no script, style or font from anywhere.",
                isPublic: true,
                responses: [("200", Op.content("The documentation page.", ["text/html": ["schema": S.string("An HTML page.")]]))]
            )
        ),
    ]

    static let databaseOperations: [Operation] = [
        Operation(
            route: Route(method: "post", path: "/databases"),
            object: Op.make(
                id: "createDatabase", tag: "Databases", summary: "Create a database",
                description: """
                    Creates a graph and installs its schema: `entity` (the default), `shared` (requires \
                    `repository_name`; `sec` installs the SEC repository schema, any other name the entity \
                    schema) or `custom` (requires `custom_schema_ddl`, applied atomically: on a failing statement \
                    nothing is created). Audit-logged.
                    """,
                requestBody: Op.body("The database to create.", S.ref("CreateDatabaseRequest")),
                responses: [("201", Op.json("The database was created.", S.ref("CreateDatabaseResponse")))],
                errors: [
                    (
                        400,
                        Op.codes(
                            "invalid_graph_id", "invalid_json", "repository_name_required", "custom_schema_ddl_required",
                            "unexpected_custom_schema_ddl", "schema_error", "invalid_ddl", "not_a_schema_statement"
                        )
                    ),
                    (403, Op.codes("read_only_key", "read_only_node", "graph_not_in_scope")),
                    (409, Op.codes("database_exists")),
                    (413, Op.codes("payload_too_large")),
                    (422, Op.codes("validation_error")),
                    (503, Op.codes("shutting_down")),
                    (507, Op.codes("node_at_capacity")),
                ]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/databases"),
            object: Op.make(
                id: "listDatabases", tag: "Databases", summary: "List databases",
                description: "Every graph the key may see, with sizes and the node's capacity. Reads folders and "
                    + "metadata only: listing never opens a database. `node_capacity` counts every tenant's graphs, "
                    + "so it is left out for a key scoped to some graphs.",
                responses: [("200", Op.json("The databases.", S.ref("DatabaseList")))]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/databases/{graph_id}"),
            object: Op.make(
                id: "getDatabase", tag: "Databases", summary: "Database information",
                description: "The summary plus health and node/relationship counts (this opens the database). A "
                    + "database that exists but cannot be read is reported with `is_healthy: false` and `error`.",
                responses: [("200", Op.json("The database.", S.ref("DatabaseInfo")))],
                errors: [
                    (400, Op.codes("invalid_graph_id")),
                    (404, Op.codes("database_not_found")),
                    (503, Op.codes("database_busy", "too_many_open_databases", "interrupted", "shutting_down")),
                ]
            )
        ),
        Operation(
            route: Route(method: "delete", path: "/databases/{graph_id}"),
            object: Op.make(
                id: "deleteDatabase", tag: "Databases", summary: "Delete a database",
                description: "Interrupts running queries, then removes the graph, its write-ahead log, its staging "
                    + "data and its metadata. Audit-logged.",
                responses: [("200", Op.json("The database was deleted.", S.ref("DeleteDatabaseResponse")))],
                errors: [
                    (400, Op.codes("invalid_graph_id")),
                    (403, Op.codes("read_only_key", "read_only_node")),
                    (404, Op.codes("database_not_found")),
                ]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/databases/{graph_id}/schema"),
            object: Op.make(
                id: "getDatabaseSchema", tag: "Databases", summary: "Read the schema",
                description: "Node tables with their primary key and typed properties; relationship tables with "
                    + "their FROM/TO node tables and properties.",
                responses: [("200", Op.json("The schema.", S.ref("GraphSchema")))],
                errors: [
                    (400, Op.codes("invalid_graph_id", "engine_error")),
                    (404, Op.codes("database_not_found")),
                    (503, Op.codes("database_busy", "too_many_open_databases", "interrupted", "shutting_down")),
                ]
            )
        ),
        Operation(
            route: Route(method: "post", path: "/databases/{graph_id}/schema"),
            object: Op.make(
                id: "changeDatabaseSchema", tag: "Databases", summary: "Change the schema",
                description: "Runs schema statements (CREATE NODE/REL TABLE, ALTER TABLE, CREATE INDEX, COMMENT ON) in "
                    + "one transaction: all are applied or none. Any other statement is refused with `400` before "
                    + "anything runs, decided on the engine's own parse of each statement (`CREATE TABLE ... AS` and "
                    + "`WITH` options other than `storage_direction` included). Audit-logged.",
                requestBody: Op.body("The schema statements.", S.ref("SchemaChangeRequest")),
                responses: [("200", Op.json("Every statement was applied.", S.ref("SchemaChangeResponse")))],
                errors: [
                    (400, Op.codes("invalid_graph_id", "invalid_json", "invalid_ddl", "not_a_schema_statement", "schema_error")),
                    (403, Op.codes("read_only_key", "read_only_node", "read_only_database")),
                    (404, Op.codes("database_not_found")),
                    (413, Op.codes("payload_too_large")),
                    (422, Op.codes("validation_error")),
                    (503, Op.codes("database_busy", "write_conflict", "too_many_open_databases", "interrupted", "shutting_down")),
                ]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/databases/{graph_id}/metrics"),
            object: Op.make(
                id: "getDatabaseMetrics", tag: "Databases", summary: "Database metrics",
                description: "Size, node and relationship counts, rows per table, queries run since the server "
                    + "started and the last modification of the data files.",
                responses: [("200", Op.json("The database's metrics.", S.ref("DatabaseMetrics")))],
                errors: [
                    (400, Op.codes("invalid_graph_id", "engine_error")),
                    (404, Op.codes("database_not_found")),
                    (503, Op.codes("database_busy", "too_many_open_databases", "interrupted", "shutting_down")),
                ]
            )
        ),
    ]

    static let queryOperations: [Operation] = [
        Operation(
            route: Route(method: "post", path: "/databases/{graph_id}/query"),
            object: Op.make(
                id: "queryDatabase", tag: "Cypher queries", summary: "Run a Cypher query",
                description: """
                    Runs one Cypher statement; parameters are bound through a prepared statement, never spliced \
                    into the text (JSON integers → INT64, other numbers → DOUBLE, strings, booleans, null, lists, \
                    maps).

                    **Answer formats.** By default one JSON document (`QueryResult`) with at most `max_rows` rows \
                    (`truncated: true` when more existed). `?streaming=true` or `Accept: application/x-ndjson` \
                    streams NDJSON: one `QueryChunk` per line, `columns` on the first, the last always with \
                    `is_last_chunk: true`, `execution_time_ms` and `database`; no row cap. `Accept: \
                    text/event-stream` streams server-sent events `columns`, `chunk` (a `QueryChunk`), then \
                    `complete` (`QueryComplete`) or `error` (`StreamError`). `?streaming=false` forces one JSON \
                    document.

                    Everything that can be known before the first byte (bad id, unknown database, parse or bind \
                    error, forbidden statement, admission, timeout) is an ordinary HTTP error. A failure after the \
                    first byte ends the stream with one `StreamError` line or `error` event. A client that \
                    disconnects interrupts the engine query. Statements that write are refused with `403` on \
                    read-only databases, nodes and keys (decided by the engine's classification of the prepared \
                    statement) and are audit-logged.

                    **What may run** is decided on the engine's own parse of the text, before anything is bound, \
                    whatever whitespace, comments or case surround it: anything that reaches files, other \
                    databases, extensions or settings of the server — `COPY`, `LOAD FROM`, `IMPORT`/`EXPORT \
                    DATABASE`, `ATTACH`, `DETACH`, `USE`, `INSTALL`, `LOAD EXTENSION`, `CREATE GRAPH`, settings \
                    (`CALL name = value`; use the `timeout` field), table functions other than the catalog ones \
                    (`show_tables`, `table_info`, `show_connection`, `show_indexes`, `show_sequences`, \
                    `show_macros`, `show_functions`, `current_setting`, `db_version`, ...), `CREATE TABLE ... \
                    WITH` options other than `storage_direction`, nested in `EXPLAIN`/`PROFILE` or `CREATE TABLE \
                    ... AS` too — is refused with `403 forbidden_statement`. `BEGIN`, `COMMIT` and `ROLLBACK` are \
                    refused with `400 transaction_statement_not_supported` (every request is its own \
                    transaction), several statements with `400 multiple_statements`. `CHECKPOINT` and `ANALYZE` \
                    are maintenance statements: they run as writes, and read-only keys, graphs and nodes refuse \
                    them.
                    """,
                parameters: [
                    Op.query(
                        "streaming",
                        "`true` streams NDJSON (unless `Accept: text/event-stream` asks for server-sent events); "
                            + "`false` forces one JSON document. Also accepts `1`/`0`, `yes`/`no`.",
                        ["type": "boolean"]
                    ),
                    Op.query(
                        "chunk_size", "Rows per streamed chunk; the default comes from the configuration (the tier's).",
                        S.integer("Rows per chunk.", minimum: 1, maximum: 10_000)
                    ),
                ],
                requestBody: Op.body("The statement, its parameters and its timeout.", S.ref("QueryRequest")),
                responses: [
                    (
                        "200",
                        Op.content(
                            "The result, in the format asked for.",
                            [
                                "application/json": ["schema": S.ref("QueryResult")],
                                "application/x-ndjson": [
                                    "schema": [
                                        "description": .string(
                                            "One JSON object per line: `QueryChunk`s, the last with `is_last_chunk: true`; "
                                                + "or, after a failure mid-stream, a final `StreamError`."
                                        ),
                                        "oneOf": [S.ref("QueryChunk"), S.ref("StreamError")],
                                    ] as OrderedJSON
                                ] as OrderedJSON,
                                "text/event-stream": [
                                    "schema": S.string(
                                        "Server-sent events: `event: columns` (`{\"columns\": [..]}`), `event: chunk` "
                                            + "(a `QueryChunk`) per chunk, then `event: complete` (a `QueryComplete`) or "
                                            + "`event: error` (a `StreamError`)."
                                    )
                                ] as OrderedJSON,
                            ]
                        )
                    )
                ],
                errors: [
                    (
                        400,
                        Op.codes(
                            "invalid_graph_id", "invalid_json", "invalid_streaming", "invalid_chunk_size", "database_mismatch",
                            "cypher_syntax_error", "cypher_binding_error", "query_failed", "transaction_statement_not_supported",
                            "multiple_statements"
                        )
                    ),
                    (403, Op.codes("read_only_key", "read_only_node", "read_only_database", "forbidden_statement")),
                    (404, Op.codes("database_not_found")),
                    (408, Op.codes("query_timeout")),
                    (413, Op.codes("payload_too_large")),
                    (422, Op.codes("validation_error")),
                    (
                        503,
                        Op.codes(
                            "query_queue_full", "memory_pressure", "database_busy", "too_many_open_databases", "query_interrupted",
                            "database_closed", "write_conflict", "shutting_down"
                        )
                    ),
                ]
            )
        )
    ]

    // MARK: Components

    static let components: OrderedJSON = [
        "securitySchemes": [
            "ApiKeyHeader": [
                "type": "apiKey", "in": "header", "name": "X-Graph-API-Key",
                "description": "An API key from GRAPH_API_KEY, GRAPH_API_KEYS or the scoped keys file.",
            ],
            "BearerAuth": ["type": "http", "scheme": "bearer", "description": "The same API key as `Authorization: Bearer <key>`."],
        ],
        "parameters": [
            "GraphID": [
                "name": "graph_id", "in": "path", "required": true, "description": "The graph's id.",
                "schema": S.string("A graph id.", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", example: "acme_graph"),
            ],
            "RequestID": [
                "name": "X-Request-ID", "in": "header", "required": false,
                "description": .string(
                    "The client's own request id, used in the server's logs and echoed back; ignored "
                        + "unless 1-128 characters of `[A-Za-z0-9._:-]`."
                ),
                "schema": S.string("A request id.", pattern: "^[A-Za-z0-9._:-]{1,128}$"),
            ],
        ],
        "headers": [
            "RequestID": [
                "description": "The request's id (the client's own when it sent a valid one), also in the server's logs as `request_id`.",
                "schema": ["type": "string"],
            ],
            "RetryAfter": ["description": "Seconds to wait before retrying.", "schema": ["type": "integer", "minimum": 0]],
            "WWWAuthenticate": ["description": "`Bearer`.", "schema": ["type": "string"]],
        ],
        "schemas": schemas,
    ]

    static let schemas: OrderedJSON = .object(operationsSchemas + databaseSchemas + querySchemas + stagingSchemas + taskSchemas)

    static let operationsSchemas: [(key: String, value: OrderedJSON)] = [
        (
            "Error",
            S.object(
                "Every error answer.",
                properties: [
                    ("detail", S.string("A human-readable message.")),
                    ("code", S.string("A stable machine-readable code, e.g. `database_not_found`.")),
                ],
                required: ["detail", "code"]
            )
        ),
        (
            "Health",
            S.object(
                "Liveness.",
                properties: [
                    (
                        "status",
                        S.string("`healthy`, or `unhealthy` when the data directory is unusable.", values: ["healthy", "unhealthy"])
                    ),
                    ("uptime_seconds", S.number("Seconds since the server started.")),
                    ("version", S.string("The server's version.")),
                ],
                required: ["status", "uptime_seconds", "version"]
            )
        ),
        (
            "Status",
            S.object(
                "The node's status.",
                properties: [
                    ("status", S.string("`healthy` or `unhealthy`.", values: ["healthy", "unhealthy"])),
                    ("node_type", S.ref("NodeType")),
                    ("tier", S.ref("Tier")),
                    ("databases", S.integer("Graphs on this node.", minimum: 0)),
                    ("max_databases", S.integer("Graphs this node may hold.", minimum: 0)),
                    ("open_databases", S.integer("Graphs open now.", minimum: 0)),
                    ("memory_usage_mb", S.number("Resident memory of the server process, in MiB.")),
                    ("uptime_seconds", S.number("Seconds since the server started.")),
                    ("version", S.string("The server's version.")),
                ],
                required: [
                    "status", "node_type", "tier", "databases", "max_databases", "open_databases", "memory_usage_mb",
                    "uptime_seconds", "version",
                ]
            )
        ),
        ("NodeType", S.string("The node's role.", values: NodeType.allCases.map(\.rawValue))),
        ("Tier", S.string("The node's sizing preset.", values: Tier.allCases.map(\.rawValue))),
        ("Environment", S.string("Deployment mode.", values: DeploymentEnvironment.allCases.map(\.rawValue))),
        (
            "Info",
            S.object(
                "What this node is, how full and how busy it is, and its configuration (no secrets).",
                properties: [
                    ("node_id", S.string("Stable id of the node (a UUID kept in `<data-dir>/node-id`).", format: "uuid")),
                    ("node_id_persisted", S.boolean("Whether the id is stored (false only if the data folder is not writable).")),
                    ("node_type", S.ref("NodeType")),
                    ("tier", S.ref("Tier")),
                    ("read_only", S.boolean("Whether every database of the node is read-only (`shared_replica`).")),
                    ("environment", S.ref("Environment")),
                    ("version", S.string("The server's version.")),
                    (
                        "engines",
                        S.object(
                            "Engine versions.",
                            properties: [
                                ("ladybug", S.string("LadybugDB version.")),
                                ("ladybug_storage_version", S.integer("Storage format version of LadybugDB database files.")),
                                ("duckdb", S.string("DuckDB version.")),
                            ],
                            required: ["ladybug", "ladybug_storage_version", "duckdb"]
                        )
                    ),
                    ("started_at", S.string("When the server started.", format: "date-time")),
                    ("uptime_seconds", S.number("Seconds since the server started.")),
                    (
                        "capacity",
                        S.object(
                            "Databases against the node's limits (left out for a key scoped to some graphs).",
                            properties: [
                                ("max_databases", S.integer("Graphs this node may hold.", minimum: 0)),
                                ("current_databases", S.integer("Graphs on this node.", minimum: 0)),
                                ("capacity_remaining", S.integer("Graphs that may still be created.", minimum: 0)),
                                ("open_databases", S.integer("Graphs open now.", minimum: 0)),
                                ("max_open_databases", S.integer("Graphs that may be open at once.", minimum: 1)),
                            ],
                            required: ["max_databases", "current_databases", "capacity_remaining", "open_databases", "max_open_databases"]
                        )
                    ),
                    (
                        "active_connections",
                        S.integer("Engine connections leased by requests now (left out for a key scoped to some graphs).", minimum: 0)
                    ),
                    (
                        "queue_depth",
                        S.integer("Requests waiting for an engine connection now (left out for a key scoped to some graphs).", minimum: 0)
                    ),
                    ("configuration", S.ref("EffectiveConfiguration")),
                ],
                required: [
                    "node_id", "node_id_persisted", "node_type", "tier", "read_only", "environment", "version", "engines",
                    "started_at", "uptime_seconds", "configuration",
                ]
            )
        ),
        (
            "EffectiveConfiguration",
            S.object(
                "The settings the server runs with, after flags, environment and tier defaults. Never a key.",
                properties: [
                    ("host", S.string("Address bound.")),
                    ("port", S.integer("Port configured (0: a free one was picked).", minimum: 0, maximum: 65535)),
                    ("data_dir", S.string("Folder holding every graph's files.")),
                    ("import_dir", S.string("Local files are ingested only from below this folder.")),
                    ("node_type", S.ref("NodeType")),
                    ("tier", S.ref("Tier")),
                    ("environment", S.ref("Environment")),
                    ("max_databases", S.integer("Graphs this node may hold.", minimum: 1)),
                    ("max_open_databases", S.integer("Graphs kept open at once.", minimum: 1)),
                    ("memory_per_database_bytes", S.integer("Buffer pool of each open database.", minimum: 0)),
                    ("max_database_size_bytes", S.integer("Address space reserved per database.", minimum: 0)),
                    ("threads_per_query", S.integer("Engine threads per query.", minimum: 1)),
                    ("connections_per_database", S.integer("Connections (concurrent queries) per open database.", minimum: 1)),
                    ("connection_wait_ms", S.integer("How long a request waits for a connection before `503`.", minimum: 0)),
                    ("idle_timeout_seconds", S.integer("An open database unused this long is closed.", minimum: 1)),
                    (
                        "connection_idle_timeout_seconds",
                        S.integer("A kept-alive connection with no request in progress and nothing being sent is closed after this long.", minimum: 1)
                    ),
                    (
                        "request_head_timeout_seconds",
                        S.integer("A connection that does not send a whole request head within this long is closed.", minimum: 1)
                    ),
                    ("engine_threads", S.integer("Threads running blocking engine calls.", minimum: 1)),
                    ("max_body_bytes", S.integer("Largest request body (`413` beyond).", minimum: 1)),
                    ("max_rows", S.integer("Rows of a non-streaming query answer at most.", minimum: 1)),
                    ("chunk_size", S.integer("Rows per streamed chunk by default.", minimum: 1, maximum: 10_000)),
                    ("default_query_timeout_seconds", S.number("Query timeout when the request gives none.")),
                    ("max_query_timeout_seconds", S.number("Largest timeout a request may ask for.")),
                    ("max_queued_queries", S.integer("Queries that may wait for a connection across the node.", minimum: 1)),
                    ("query_memory_limit_bytes", S.integer("New queries are refused above this resident memory.", minimum: 0)),
                    (
                        "authentication",
                        S.object(
                            "How requests are authenticated: counts only (left out for a key scoped to some graphs).",
                            properties: [
                                ("required", S.boolean("Whether a key is required (false: the server runs open, development only).")),
                                (
                                    "max_failures_per_address",
                                    S.integer("Failed authentications from one address within its window before it is throttled.", minimum: 1)
                                ),
                                ("address_window_seconds", S.integer("The window of `max_failures_per_address`.", minimum: 1)),
                                (
                                    "max_failures_node_wide",
                                    S.integer("Failed authentications from all addresses within their window before the node throttles.", minimum: 1)
                                ),
                                ("node_window_seconds", S.integer("The window of `max_failures_node_wide`.", minimum: 1)),
                                ("api_keys_configured", S.integer("Keys accepted.", minimum: 0)),
                                ("scoped_api_keys", S.integer("Keys limited to some graphs.", minimum: 0)),
                                ("read_only_api_keys", S.integer("Keys limited to read-only use.", minimum: 0)),
                            ],
                            required: [
                                "required", "max_failures_per_address", "address_window_seconds", "max_failures_node_wide",
                                "node_window_seconds", "api_keys_configured", "scoped_api_keys", "read_only_api_keys",
                            ]
                        )
                    ),
                ],
                required: [
                    "host", "port", "data_dir", "import_dir", "node_type", "tier", "environment", "max_databases",
                    "max_open_databases", "memory_per_database_bytes", "max_database_size_bytes", "threads_per_query",
                    "connections_per_database", "connection_wait_ms", "idle_timeout_seconds", "connection_idle_timeout_seconds",
                    "request_head_timeout_seconds", "engine_threads", "max_body_bytes",
                    "max_rows", "chunk_size", "default_query_timeout_seconds", "max_query_timeout_seconds", "max_queued_queries",
                    "query_memory_limit_bytes",
                ]
            )
        ),
    ]

    static let databaseSchemas: [(key: String, value: OrderedJSON)] = [
        ("SchemaType", S.string("The schema installed at creation.", values: ["entity", "shared", "custom"])),
        (
            "CreateDatabaseRequest",
            S.object(
                "A database to create.",
                properties: [
                    ("graph_id", S.string("The new graph's id.", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", example: "acme_graph")),
                    ("schema_type", S.ref("SchemaType").merging(["default": "entity"])),
                    ("repository_name", S.string("Required with `shared` (`sec` installs the SEC schema).", nullable: true)),
                    ("custom_schema_ddl", S.string("Required with `custom`: schema statements separated by `;`.", nullable: true)),
                    ("read_only", S.boolean("Refuse every write to this graph.", defaultValue: false)),
                ],
                required: ["graph_id"]
            )
        ),
        (
            "CreateDatabaseResponse",
            S.object(
                "A database was created.",
                properties: [
                    ("status", S.string("Always `success`.", values: ["success"])),
                    ("graph_id", S.string("The graph's id.")),
                    ("schema_type", S.ref("SchemaType")),
                    ("schema_applied", S.boolean("Always true: the schema is installed atomically.", constant: true)),
                    ("execution_time_ms", S.number("Milliseconds the creation took.")),
                ],
                required: ["status", "graph_id", "schema_type", "schema_applied", "execution_time_ms"]
            )
        ),
        ("DatabaseSummary", databaseSummary),
        (
            "DatabaseInfo",
            [
                "description": "A database's summary plus what needs the open database.",
                "allOf": [
                    S.ref("DatabaseSummary"),
                    [
                        "type": "object",
                        "properties": [
                            "is_healthy": S.boolean("Whether the database could be opened and read."),
                            "node_count": S.integer("Nodes in every node table (null when unhealthy).", minimum: 0, nullable: true),
                            "relationship_count": S.integer(
                                "Relationships in every relationship table (null when unhealthy).", minimum: 0, nullable: true
                            ),
                            "error": S.string("Why the database is not healthy (only when it is not)."),
                        ],
                        "required": ["is_healthy", "node_count", "relationship_count"],
                    ],
                ],
                "unevaluatedProperties": false,
            ]
        ),
        (
            "DatabaseList",
            S.object(
                "The databases the key may see.",
                properties: [
                    ("databases", S.array(S.ref("DatabaseSummary"), "One entry per graph, by id.")),
                    ("total_databases", S.integer("Entries in `databases`.", minimum: 0)),
                    ("total_size_bytes", S.integer("Bytes of every listed database.", minimum: 0)),
                    (
                        "node_capacity",
                        S.object(
                            "The node's capacity (left out for a key scoped to some graphs).",
                            properties: [
                                ("max_databases", S.integer("Graphs this node may hold.", minimum: 0)),
                                ("current_databases", S.integer("Graphs on this node (all of them, not only the key's).", minimum: 0)),
                                ("capacity_remaining", S.integer("Graphs that may still be created.", minimum: 0)),
                                ("utilization_percent", S.number("current / max, in percent.")),
                            ],
                            required: ["max_databases", "current_databases", "capacity_remaining", "utilization_percent"]
                        )
                    ),
                ],
                required: ["databases", "total_databases", "total_size_bytes"]
            )
        ),
        (
            "DeleteDatabaseResponse",
            S.object(
                "A database was deleted.",
                properties: [("status", S.string("Always `success`.", values: ["success"])), ("message", S.string("What was deleted."))],
                required: ["status", "message"]
            )
        ),
        (
            "Property",
            S.object(
                "A column of a table.",
                properties: [("name", S.string("Column name.")), ("type", S.string("Engine type, e.g. `STRING`, `INT64`."))],
                required: ["name", "type"]
            )
        ),
        (
            "NodeTable",
            S.object(
                "A node table.",
                properties: [
                    ("name", S.string("Table name.")),
                    ("primary_key", S.string("Primary key column.", nullable: true)),
                    ("properties", S.array(S.ref("Property"), "Columns, in order.")),
                    ("comment", S.string("The table's comment.", nullable: true)),
                ],
                required: ["name", "primary_key", "properties", "comment"]
            )
        ),
        (
            "RelTable",
            S.object(
                "A relationship table.",
                properties: [
                    ("name", S.string("Table name.")),
                    ("from", S.string("FROM node table of the first connection.", nullable: true)),
                    ("to", S.string("TO node table of the first connection.", nullable: true)),
                    (
                        "connections",
                        S.array(
                            S.object(
                                "A FROM/TO pair.",
                                properties: [("from", S.string("FROM node table.")), ("to", S.string("TO node table."))],
                                required: ["from", "to"]
                            ),
                            "Every FROM/TO pair the table connects."
                        )
                    ),
                    ("properties", S.array(S.ref("Property"), "Columns, in order.")),
                    ("comment", S.string("The table's comment.", nullable: true)),
                ],
                required: ["name", "from", "to", "connections", "properties", "comment"]
            )
        ),
        (
            "GraphSchema",
            S.object(
                "A graph's schema.",
                properties: [
                    ("database", S.string("The graph's id.")),
                    ("node_tables", S.array(S.ref("NodeTable"), "Node tables.")),
                    ("rel_tables", S.array(S.ref("RelTable"), "Relationship tables.")),
                ],
                required: ["database", "node_tables", "rel_tables"]
            )
        ),
        (
            "SchemaChangeRequest",
            S.object(
                "Schema statements to apply atomically.",
                properties: [
                    (
                        "ddl",
                        S.string(
                            "CREATE NODE/REL TABLE, ALTER TABLE, CREATE INDEX or COMMENT ON statements separated by `;`.",
                            example: "CREATE NODE TABLE Person(id STRING, PRIMARY KEY(id));"
                        )
                    )
                ],
                required: ["ddl"]
            )
        ),
        (
            "SchemaChangeResponse",
            S.object(
                "Every statement was applied.",
                properties: [
                    ("status", S.string("Always `success`.", values: ["success"])),
                    ("graph_id", S.string("The graph's id.")),
                    ("statements_executed", S.integer("Statements applied.", minimum: 0)),
                    ("execution_time_ms", S.number("Milliseconds the change took.")),
                ],
                required: ["status", "graph_id", "statements_executed", "execution_time_ms"]
            )
        ),
        (
            "DatabaseMetrics",
            S.object(
                "A graph's metrics.",
                properties: [
                    ("graph_id", S.string("The graph's id.")),
                    ("size_bytes", S.integer("Bytes of every file of the database.", minimum: 0)),
                    ("node_count", S.integer("Nodes in every node table.", minimum: 0)),
                    ("relationship_count", S.integer("Relationships in every relationship table.", minimum: 0)),
                    (
                        "tables",
                        [
                            "type": "object", "description": "Rows per table, by table name.",
                            "additionalProperties": ["type": "integer", "minimum": 0],
                        ]
                    ),
                    ("query_count", S.integer("Queries run on the graph since the server started.", minimum: 0)),
                    ("last_modified", S.string("Last modification of the data files.", format: "date-time", nullable: true)),
                ],
                required: ["graph_id", "size_bytes", "node_count", "relationship_count", "tables", "query_count", "last_modified"]
            )
        ),
    ]

    static let databaseSummary: OrderedJSON = S.object(
        "What listing reports about one graph, read from its files only.",
        properties: [
            ("graph_id", S.string("The graph's id.")),
            ("schema_type", S.ref("SchemaType")),
            ("repository_name", S.string("The shared repository's name.", nullable: true)),
            ("read_only", S.boolean("Whether writes to the graph are refused.")),
            ("created_at", S.string("When the graph was created.", format: "date-time")),
            ("last_accessed", S.string("When the graph was last used.", format: "date-time", nullable: true)),
            ("size_bytes", S.integer("Bytes of every file of the database (engine files, WAL, staging).", minimum: 0)),
            ("is_open", S.boolean("Whether the database is open now.")),
        ],
        required: ["graph_id", "schema_type", "repository_name", "read_only", "created_at", "last_accessed", "size_bytes", "is_open"],
        additionalProperties: true
    )

    static let querySchemas: [(key: String, value: OrderedJSON)] = [
        (
            "QueryRequest",
            S.object(
                "A Cypher statement to run.",
                properties: [
                    ("cypher", S.string("One Cypher statement.", example: "MATCH (p:Person) WHERE p.age > $min RETURN p.name")),
                    (
                        "parameters",
                        [
                            "type": ["object", "null"], "description": "Values of the statement's `$parameters`, by name.",
                            "additionalProperties": true,
                        ]
                    ),
                    (
                        "timeout",
                        S.number(
                            "Timeout in seconds (default and maximum from the configuration); the engine query is "
                                + "interrupted when it passes (`408`).",
                            exclusiveMinimum: 0, nullable: true
                        )
                    ),
                    ("database", S.string("If given, must equal the path's `graph_id` (`400 database_mismatch`).", nullable: true)),
                ],
                required: ["cypher"]
            )
        ),
        (
            "QueryResult",
            S.object(
                "A whole result as one JSON document.",
                properties: [
                    ("columns", S.array(S.string("A column name."), "Column names, in order.")),
                    ("data", S.array(["type": "object", "description": "A row: column name → value."], "Rows, at most `max_rows`.")),
                    ("row_count", S.integer("Rows in `data`.", minimum: 0)),
                    ("execution_time_ms", S.number("Milliseconds from admission to the answer.")),
                    ("database", S.string("The graph's id.")),
                    ("truncated", S.boolean("Whether more rows existed than `max_rows`.")),
                ],
                required: ["columns", "data", "row_count", "execution_time_ms", "database", "truncated"]
            )
        ),
        (
            "QueryChunk",
            S.object(
                "One NDJSON line, or the data of one `chunk` event.",
                properties: [
                    ("chunk_index", S.integer("0 for the first chunk.", minimum: 0)),
                    ("columns", S.array(S.string("A column name."), "Column names (first chunk only).")),
                    ("data", S.array(["type": "object", "description": "A row: column name → value."], "Rows of this chunk.")),
                    ("row_count", S.integer("Rows in this chunk.", minimum: 0)),
                    ("total_rows_sent", S.integer("Rows sent so far, this chunk included.", minimum: 0)),
                    ("is_last_chunk", S.boolean("True on the last chunk only (also for an empty result).")),
                    ("execution_time_ms", S.number("Milliseconds from admission to the last chunk (last chunk only).")),
                    ("database", S.string("The graph's id (last chunk only).")),
                ],
                required: ["chunk_index", "data", "row_count", "total_rows_sent", "is_last_chunk"]
            )
        ),
        (
            "QueryComplete",
            S.object(
                "The data of the `complete` event ending a server-sent event stream.",
                properties: [
                    ("total_rows_sent", S.integer("Rows sent.", minimum: 0)),
                    ("chunk_count", S.integer("`chunk` events sent.", minimum: 1)),
                    ("execution_time_ms", S.number("Milliseconds from admission to the end.")),
                    ("database", S.string("The graph's id.")),
                ],
                required: ["total_rows_sent", "chunk_count", "execution_time_ms", "database"]
            )
        ),
        (
            "StreamError",
            S.object(
                "The last NDJSON line, or the data of the `error` event, when a stream fails after its first byte.",
                properties: [
                    ("error", S.string("A human-readable message.")),
                    ("code", S.string("A stable machine-readable code.")),
                    ("is_last_chunk", S.boolean("Always true.", constant: true)),
                ],
                required: ["error", "code", "is_last_chunk"]
            )
        ),
    ]
}
