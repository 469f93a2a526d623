import GraphService

/// The operations and schemas of the staging area (``StagingController``).
extension OpenAPIDocument {
    private typealias Op = OpenAPIOperation
    private typealias S = OpenAPISchema

    static let stagingTag: OrderedJSON = [
        "name": "Staging",
        "description": .string(
            "DuckDB staging tables per graph: loading Parquet/CSV from S3 or the import directory, read-only SQL over them, "
                + "validated ingest into the graph, and background COPY."
        ),
    ]

    private static let tableParameter: OrderedJSON = [
        "name": "table_name", "in": "path", "required": true, "description": "The staging table's name.",
        "schema": S.string("A table name.", pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$"),
    ]

    private static let fileParameter: OrderedJSON = [
        "name": "file_id", "in": "path", "required": true, "description": "The id of one source file (see `file_id_map`).",
        "schema": S.string("A file id.", pattern: "^[A-Za-z0-9._-]{1,128}$"),
    ]

    private static let busy = Op.codes("database_busy", "too_many_open_databases", "shutting_down")

    private static let ingestOperation = Op.make(
        id: "ingestStagingTable", tag: "Staging", summary: "Ingest a staging table into the graph",
        description: """
            Copies the staged table into the graph table of the same name (exact, else case-insensitive). First \
            validates: every staged column must be a property of the graph table with a compatible type, and every \
            value must convert (`400 ingest_validation_failed` lists every mismatch). Then finds the rows the graph \
            would reject — node keys already present, keys repeated in the data, relationships whose endpoints are \
            missing — and fails with `400 ingest_rows_rejected` giving their count and examples, copying nothing; \
            with `ignore_errors: true` exactly those rows are skipped and reported in `rows_skipped` and \
            `warnings`. Relationships already in the graph (same src and dst) are always skipped, so ingesting a \
            table twice never doubles an edge. DuckDB writes the rows as Parquet in the graph's folder (graph \
            property order, FROM/TO keys first, DECIMAL as DOUBLE) and the engine COPYs it in one transaction. \
            `rebuild: true` builds a new graph from the current schema and every staged table beside the live one \
            and swaps it in atomically: queries see the old graph until the new one is complete (writes made \
            outside staging are not carried over). Ingests of one graph run one at a time; queries keep running. \
            Audit-logged.
            """,
        parameters: [tableParameter],
        requestBody: Op.body("Options.", S.ref("IngestRequest")),
        responses: [("200", Op.json("The rows were copied.", S.ref("IngestResponse")))],
        errors: [
            (
                400,
                Op.codes(
                    "invalid_graph_id", "invalid_table_name", "invalid_json", "invalid_file_id", "graph_table_not_found",
                    "ingest_validation_failed", "ingest_rows_rejected", "ingest_failed"
                )
            ),
            (403, Op.codes("read_only_key", "read_only_node", "read_only_database")),
            (404, Op.codes("database_not_found", "table_not_found")),
            (413, Op.codes("payload_too_large")),
            (422, Op.codes("validation_error")),
            (503, busy),
        ]
    )

    static let stagingOperations: [Operation] = [
        Operation(
            route: Route(method: "post", path: "/databases/{graph_id}/tables"),
            object: Op.make(
                id: "createStagingTable", tag: "Staging", summary: "Create a staging table from files",
                description: """
                    Loads Parquet or CSV (`format`, else from the extension) from `s3://bucket/prefix/*.parquet` globs \
                    (httpfs; credentials from `s3_credentials`, else the server's `AWS_*` environment) or from paths \
                    below the import directory (relative to it or absolute; `..` and symbolic links may not lead \
                    out: `403`), one source or a list. Node-shaped data (with `identifier`) is deduplicated on it \
                    and rows without one are dropped; relationship-shaped data (with `from` and `to`) is stored as \
                    `src, dst, ...` and deduplicated on the pair. Every row gets a `file_id` (from `file_id_map`, \
                    else the file's name). Replaces a table of the same name atomically. Audit-logged.
                    """,
                requestBody: Op.body("The table and its sources.", S.ref("CreateStagingTableRequest")),
                responses: [("201", Op.json("The table was created.", S.ref("CreateStagingTableResponse")))],
                errors: [
                    (
                        400,
                        Op.codes(
                            "invalid_graph_id", "invalid_table_name", "invalid_json", "invalid_source", "source_not_found",
                            "unknown_format", "invalid_file_id", "missing_s3_credentials", "invalid_s3_credentials", "source_error",
                            "invalid_columns", "sql_failed"
                        )
                    ),
                    (403, Op.codes("read_only_key", "read_only_node", "read_only_database", "source_outside_import_dir")),
                    (404, Op.codes("database_not_found")),
                    (413, Op.codes("payload_too_large")),
                    (422, Op.codes("validation_error")),
                    (503, Op.codes("staging_out_of_memory", "shutting_down")),
                ]
            )
        ),
        Operation(
            route: Route(method: "get", path: "/databases/{graph_id}/tables"),
            object: Op.make(
                id: "listStagingTables", tag: "Staging", summary: "List staging tables",
                description: "Every staged table with its row count, storage size, sources, format, shape and columns.",
                responses: [("200", Op.json("The tables.", S.array(S.ref("StagingTable"), "The staged tables, by name.")))],
                errors: [(400, Op.codes("invalid_graph_id")), (404, Op.codes("database_not_found"))]
            )
        ),
        Operation(
            route: Route(method: "post", path: "/databases/{graph_id}/tables/query"),
            object: Op.make(
                id: "queryStagingTables", tag: "Staging", summary: "Run read-only SQL over staging tables",
                description: """
                    One `SELECT` or `WITH` statement (positional parameters `?`/`$1` bound, never spliced) in a \
                    read-only transaction on a DuckDB instance locked down for good: no writes, `ATTACH`, `COPY`, \
                    `INSTALL`/`LOAD`, settings, network or files outside the graph's own staging folder. Anything \
                    else is `403 forbidden_statement`; several statements are `400 multiple_statements`. JSON by \
                    default (`rows` as arrays, at most `max_rows`, `truncated` when more existed); NDJSON and \
                    server-sent events as for Cypher (`?streaming`, `Accept`, `?chunk_size`), at most \
                    `staging_max_stream_rows` rows. A query past its `timeout` is interrupted (`408`).
                    """,
                parameters: [
                    Op.query("streaming", "`true` streams NDJSON; `false` forces one JSON document.", ["type": "boolean"]),
                    Op.query("chunk_size", "Rows per streamed chunk.", S.integer("Rows per chunk.", minimum: 1, maximum: 10_000)),
                ],
                requestBody: Op.body("The statement.", S.ref("StagingQueryRequest")),
                responses: [
                    (
                        "200",
                        Op.content(
                            "The result, in the format asked for.",
                            [
                                "application/json": ["schema": S.ref("StagingQueryResult")],
                                "application/x-ndjson": ["schema": S.string("One chunk object per line, framed as for Cypher.")] as OrderedJSON,
                                "text/event-stream": ["schema": S.string("Events `columns`, `chunk`…, `complete`.")] as OrderedJSON,
                            ]
                        )
                    )
                ],
                errors: [
                    (
                        400,
                        Op.codes(
                            "invalid_graph_id", "invalid_json", "invalid_streaming", "invalid_chunk_size", "multiple_statements",
                            "sql_syntax_error", "sql_binding_error", "sql_failed"
                        )
                    ),
                    (403, Op.codes("forbidden_statement")),
                    (404, Op.codes("database_not_found")),
                    (408, Op.codes("query_timeout")),
                    (413, Op.codes("payload_too_large")),
                    (422, Op.codes("validation_error")),
                    (503, Op.codes("staging_out_of_memory", "shutting_down")),
                ]
            )
        ),
        Operation(
            route: Route(method: "delete", path: "/databases/{graph_id}/tables/{table_name}"),
            object: Op.make(
                id: "deleteStagingTable", tag: "Staging", summary: "Delete a staging table",
                description: "Drops the staged table. Audit-logged.",
                parameters: [tableParameter],
                responses: [("200", Op.json("The table was deleted.", S.ref("StagingDeleteResponse")))],
                errors: [
                    (400, Op.codes("invalid_graph_id", "invalid_table_name")),
                    (403, Op.codes("read_only_key", "read_only_node", "read_only_database")),
                    (404, Op.codes("database_not_found", "table_not_found")),
                ]
            )
        ),
        Operation(
            route: Route(method: "delete", path: "/databases/{graph_id}/tables/{table_name}/files/{file_id}"),
            object: Op.make(
                id: "deleteStagingFile", tag: "Staging", summary: "Delete the rows of one source file",
                description: "Deletes the staged rows whose `file_id` is the given one. Audit-logged.",
                parameters: [tableParameter, fileParameter],
                responses: [("200", Op.json("The rows were deleted.", S.ref("StagingDeleteResponse")))],
                errors: [
                    (400, Op.codes("invalid_graph_id", "invalid_table_name", "invalid_file_id", "no_file_ids")),
                    (403, Op.codes("read_only_key", "read_only_node", "read_only_database")),
                    (404, Op.codes("database_not_found", "table_not_found", "file_not_found")),
                ]
            )
        ),
        Operation(route: Route(method: "post", path: "/databases/{graph_id}/tables/{table_name}/ingest"), object: ingestOperation),
        Operation(
            route: Route(method: "post", path: "/databases/{graph_id}/copy"),
            object: Op.make(
                id: "copyIntoGraph", tag: "Staging", summary: "COPY files straight into a graph table (background task)",
                description: """
                    Starts a `copy` task (see Tasks) that loads Parquet or CSV from `s3://` globs or paths below the                     import directory into the graph table `table_name`. Local files without `ignore_errors` go                     straight to the engine's COPY; `s3://` sources are downloaded into the graph's folder first.                     The engine copies in one transaction: a failure or a cancellation (`DELETE /tasks/{task_id}`)                     leaves the table as it was. With `ignore_errors: true` the rows the graph would reject                     (duplicate or present keys, missing endpoints) are skipped and counted in the task's result; no                     valid row is dropped. Copies and ingests of one graph run one at a time. Progress is reported                     by phase. Audit-logged.
                    """,
                requestBody: Op.body("The sources and the target table.", S.ref("CopyRequest")),
                responses: [("202", Op.json("The task was accepted.", S.ref("TaskAccepted")))],
                errors: [
                    (
                        400,
                        Op.codes(
                            "invalid_graph_id", "invalid_table_name", "invalid_json", "invalid_source", "source_not_found",
                            "unknown_format", "missing_s3_credentials", "invalid_s3_credentials"
                        )
                    ),
                    (403, Op.codes("read_only_key", "read_only_node", "read_only_database", "source_outside_import_dir")),
                    (404, Op.codes("database_not_found")),
                    (413, Op.codes("payload_too_large")),
                    (422, Op.codes("validation_error")),
                ]
            )
        ),
        Operation(
            route: Route(method: "post", path: "/databases/{graph_id}/tables/{table_name}/materialize"),
            object: ingestOperation.merging(["operationId": "materializeStagingTable", "summary": "Ingest (alias of /ingest)"])
        ),
    ]

    static let stagingSchemas: [(key: String, value: OrderedJSON)] = [
        (
            "CopyRequest",
            S.object(
                "A background COPY. Give `source` or `s3_pattern`.",
                properties: [
                    ("table_name", S.string("The graph table to copy into.", pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$")),
                    ("source", ["description": "A path below the import directory or an `s3://` URL (globs allowed), or a list.", "oneOf": [S.string("One source."), S.array(S.string("A source."), "Several sources.")]]),
                    ("s3_pattern", ["description": "Same as `source`.", "oneOf": [S.string("One source."), S.array(S.string("A source."), "Several sources.")]]),
                    ("format", ["type": "string", "enum": ["parquet", "csv"], "description": "The files' format; inferred from the extension when absent."]),
                    ("ignore_errors", S.boolean("Skip (and count) exactly the rows the graph would reject.", defaultValue: false)),
                    ("s3_credentials", S.ref("S3Credentials")),
                ],
                required: ["table_name"]
            )
        ),
        (
            "TaskAccepted",
            S.object(
                "A background task was started.",
                properties: [
                    ("task_id", S.string("The task's id.", format: "uuid")),
                    ("status", S.string("`pending`.")),
                    ("monitor_url", S.string("Server-sent events of the task's progress.")),
                    ("status_url", S.string("The task's record.")),
                ],
                required: ["task_id", "status", "monitor_url", "status_url"]
            )
        ),
        (
            "CreateStagingTableRequest",
            S.object(
                "A staging table and its sources. Give `source` or `s3_pattern`.",
                properties: [
                    ("table_name", S.string("The table's name.", pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$")),
                    ("source", ["description": "A path below the import directory or an `s3://` URL (globs allowed), or a list of them.", "oneOf": [S.string("One source."), S.array(S.string("A source."), "Several sources.")]]),
                    ("s3_pattern", ["description": "Same as `source` (the original service's name).", "oneOf": [S.string("One source."), S.array(S.string("A source."), "Several sources.")]]),
                    ("format", ["type": "string", "enum": ["parquet", "csv"], "description": "The files' format; inferred from the extension when absent."]),
                    ("file_id_map", ["type": "object", "additionalProperties": S.string("A file id."), "description": "Source file path → file id."]),
                    ("s3_credentials", S.ref("S3Credentials")),
                ],
                required: ["table_name"]
            )
        ),
        (
            "S3Credentials",
            S.object(
                "Credentials for `s3://` sources; never stored or logged.",
                properties: [
                    ("aws_access_key_id", S.string("Access key id.")),
                    ("aws_secret_access_key", S.string("Secret access key.")),
                    ("aws_session_token", S.string("Session token of temporary credentials.", nullable: true)),
                    ("region", S.string("Region (default us-east-1).", nullable: true)),
                    ("endpoint_url", S.string("Endpoint of an S3-compatible store, e.g. http://127.0.0.1:9000 (path-style URLs).", nullable: true)),
                ],
                required: ["aws_access_key_id", "aws_secret_access_key"]
            )
        ),
        (
            "CreateStagingTableResponse",
            S.object(
                "A created staging table.",
                properties: [
                    ("status", S.string("`success`.")),
                    ("graph_id", S.string("The graph.")),
                    ("table_name", S.string("The table.")),
                    ("row_count", S.integer("Rows stored.", minimum: 0)),
                    ("rows_read", S.integer("Rows read from the sources.", minimum: 0)),
                    ("rows_dropped", S.integer("Rows dropped as duplicates or without a key.", minimum: 0)),
                    ("shape", ["type": "string", "enum": ["node", "relationship", "table"], "description": "The detected shape."]),
                    ("format", ["type": "string", "enum": ["parquet", "csv"], "description": "The sources' format."]),
                    ("execution_time_ms", S.number("Milliseconds taken.")),
                ],
                required: ["status", "graph_id", "table_name", "row_count", "execution_time_ms"]
            )
        ),
        (
            "StagingTable",
            S.object(
                "A staged table.",
                properties: [
                    ("graph_id", S.string("The graph.")),
                    ("table_name", S.string("The table.")),
                    ("row_count", S.integer("Rows.", minimum: 0)),
                    ("size_bytes", S.integer("Bytes of the storage blocks the table occupies.", minimum: 0)),
                    ("source", S.array(S.string("A source."), "The sources it was loaded from.")),
                    ("format", S.string("The sources' format.", nullable: true)),
                    ("shape", S.string("`node`, `relationship` or `table`.", nullable: true)),
                    ("created_at", S.string("When it was loaded (ISO-8601 UTC).", nullable: true)),
                    ("columns", S.array(S.object("A column.", properties: [("name", S.string("Name.")), ("type", S.string("DuckDB type."))], required: ["name", "type"]), "Columns, in order.")),
                ],
                required: ["graph_id", "table_name", "row_count", "size_bytes", "source", "columns"]
            )
        ),
        (
            "StagingDeleteResponse",
            S.object(
                "What was deleted.",
                properties: [
                    ("status", S.string("`deleted`.")),
                    ("graph_id", S.string("The graph.")),
                    ("table_name", S.string("The table.")),
                    ("file_id", S.string("The file whose rows were deleted.", nullable: true)),
                    ("rows_deleted", S.integer("Rows deleted.", minimum: 0)),
                ],
                required: ["status", "graph_id", "table_name", "rows_deleted"]
            )
        ),
        (
            "StagingQueryRequest",
            S.object(
                "A read-only SQL statement over the staged tables.",
                properties: [
                    ("sql", S.string("One SELECT or WITH statement.", example: "SELECT count(*) FROM Entity")),
                    ("parameters", ["type": ["array", "null"], "description": "Positional parameter values (scalars).", "items": true]),
                    ("timeout", S.number("Timeout in seconds (capped by the configuration).", exclusiveMinimum: 0, nullable: true)),
                ],
                required: ["sql"]
            )
        ),
        (
            "StagingQueryResult",
            S.object(
                "A staging query's whole result.",
                properties: [
                    ("columns", S.array(S.string("A column name."), "Column names.")),
                    ("column_types", S.array(S.string("A DuckDB type."), "Column types.")),
                    ("rows", S.array(["type": "array", "description": "A row's values, in column order."], "Rows.")),
                    ("row_count", S.integer("Rows in `rows`.", minimum: 0)),
                    ("truncated", S.boolean("Whether more rows existed than `max_rows`.")),
                    ("execution_time_ms", S.number("Milliseconds taken.")),
                    ("database", S.string("The graph.")),
                ],
                required: ["columns", "rows", "row_count", "truncated", "execution_time_ms", "database"]
            )
        ),
        (
            "IngestRequest",
            S.object(
                "Ingest options.",
                properties: [
                    ("ignore_errors", S.boolean("Skip (and count) exactly the rows the graph would reject.", defaultValue: false)),
                    ("rebuild", S.boolean("Rebuild the whole graph from its schema and every staged table, atomically.", defaultValue: false)),
                    ("file_ids", ["type": ["array", "null"], "items": S.string("A file id."), "description": "Only rows of these source files."]),
                ],
                required: []
            )
        ),
        (
            "IngestResponse",
            S.object(
                "What an ingest did.",
                properties: [
                    ("status", S.string("`success`.")),
                    ("graph_id", S.string("The graph.")),
                    ("table_name", S.string("The staged table.")),
                    ("graph_table", S.string("The graph table it went into.")),
                    ("rows_ingested", S.integer("Rows copied into the graph.", minimum: 0)),
                    ("rows_skipped", S.integer("Rows skipped (with `ignore_errors`, or edges already present).", minimum: 0)),
                    ("warnings", S.array(S.string("A warning."), "What was skipped and why.")),
                    ("rebuilt", S.boolean("Whether the graph was rebuilt.")),
                    ("execution_time_ms", S.number("Milliseconds taken.")),
                ],
                required: ["status", "graph_id", "table_name", "rows_ingested", "rows_skipped", "warnings", "execution_time_ms"]
            )
        ),
    ]
}
