import ArgumentParser
import Foundation
import GraphAPIClient
import GraphAPIContract
import GraphJSON

/// `graph-api tables list|create|delete|delete-file|query|ingest`.
struct TablesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tables",
        abstract: "Stage Parquet or CSV data in a graph's staging tables (DuckDB), query it with SQL and ingest it into the graph.",
        discussion: ClientCommandRunner.exitStatusHelp,
        subcommands: [List.self, Create.self, Delete.self, DeleteFile.self, Query.self, Ingest.self]
    )

    /// `graph-api tables list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a graph's staging tables with their rows, sizes, sources and columns (GET /databases/{graph_id}/tables)."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.listTables(graphID))) }
                let tables = try await client.listTables(graphID)
                let rows: [[JSONValue]] = tables.map { table in
                    [
                        .string(table.tableName), .number(JSONNumber(table.rowCount)), .string(ClientFormatting.bytes(UInt64(max(0, table.sizeBytes)))),
                        .string(table.source.joined(separator: ", ")),
                        .string(table.columns.map { "\($0.name):\($0._type)" }.joined(separator: ", ")),
                    ]
                }
                let columns = ["table_name", "row_count", "size", "source", "columns"]
                var output = tables.isEmpty ? "" : TableRenderer(columns: columns, nullText: "", maxWidth: Terminal.columns).render(rows)
                let size = tables.reduce(UInt64(0)) { $0 + UInt64(max(0, $1.sizeBytes)) }
                output += "(\(tables.count) staging table\(tables.count == 1 ? "" : "s"), \(ClientFormatting.bytes(size)))\n"
                StandardStream.output.write(output)
            }
        }
    }

    /// `graph-api tables create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load Parquet or CSV files into a staging table, replacing one of that name (POST /databases/{graph_id}/tables).",
            discussion: """
                The server reads the sources itself: a local source is a path on the server below its \
                import directory (relative to it, or absolute; globs such as '*' allowed), \
                anything else an s3:// URL or glob. Several --source (or --s3-pattern) options load \
                several sources into one table. Without --format the server infers it from the \
                extensions.

                Data with an identifier column is deduplicated on it (rows without one are dropped); \
                data with from and to columns is stored as src, dst, ... and deduplicated on the pair. \
                Every row records the file it came from in file_id: the file's name, or the id given \
                with --file-id PATH=ID (PATH one source file, relative to the import directory or \
                absolute); without --file-id, sources with their own file_id column keep it.

                The command waits for the load to finish (up to an hour) and prints the rows staged.

                \(ClientCommandRunner.exitStatusHelp)
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Argument(help: "The staging table to create (ingest later loads it into the graph table of the same name).")
        var tableName: String

        @OptionGroup var sources: StagingSourceOptions

        @Option(name: .customLong("file-id"), help: "PATH=ID: the file_id of the rows of one source file (repeatable).")
        var fileIDs: [String] = []

        @OptionGroup var credentials: S3CredentialOptions

        @OptionGroup var async: AsyncTaskOptions

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        /// `--file-id` as `{path: id}`.
        func fileIDMap() throws -> [String: String] {
            var map: [String: String] = [:]
            for argument in fileIDs {
                // File ids never contain '=', paths may: split at the last one.
                guard let equals = argument.lastIndex(of: "="), equals != argument.startIndex,
                    argument.index(after: equals) != argument.endIndex
                else {
                    throw ValidationError("invalid --file-id '\(argument.prefix(200))': expected PATH=ID")
                }
                let path = String(argument[..<equals])
                guard map[path] == nil else { throw ValidationError("--file-id gives '\(path.prefix(200))' more than once") }
                map[path] = String(argument[argument.index(after: equals)...])
            }
            return map
        }

        func validate() throws {
            _ = try fileIDMap()
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let map = try fileIDMap()
                let request = CreateStagingTableRequest(
                    tableName: tableName, source: sources.sourceList, s3Pattern: sources.s3PatternList,
                    format: sources.format, fileIdMap: map.isEmpty ? nil : .init(additionalProperties: map),
                    s3Credentials: credentials.credentials
                )
                let client = try connection.makeClient()
                if async.async {
                    if json, !async.watch { return ClientFormatting.printRaw(try await client.send(.createTable(graphID, request, async: true))) }
                    let accepted = try await client.startCreateTable(graphID, request)
                    return try await TasksCommand.started(
                        "staging_load task \(accepted.taskId)", taskID: accepted.taskId, status: accepted.status, monitorURL: accepted.monitorUrl,
                        watch: async.watch, json: json, client: client
                    )
                }
                if json { return ClientFormatting.printRaw(try await client.send(.createTable(graphID, request))) }
                let created = try await client.createTable(graphID, request)
                var details: [String] = []
                if let read = created.rowsRead { details.append("\(read) read") }
                if let dropped = created.rowsDropped, dropped > 0 { details.append("\(dropped) dropped") }
                if let shape = created.shape { details.append("\(shape.rawValue)-shaped") }
                if let format = created.format { details.append(format.rawValue) }
                StandardStream.output.write(
                    "staged \(ClientFormatting.rows(Int(created.rowCount))) in table '\(created.tableName)' of '\(created.graphId)'"
                        + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
                        + " in \(ClientFormatting.milliseconds(created.executionTimeMs))\n"
                )
            }
        }
    }

    /// `graph-api tables delete`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a staging table (DELETE /databases/{graph_id}/tables/{table_name}).",
            discussion: "What was already ingested into the graph stays there."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Argument(help: "The staging table.")
        var tableName: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.deleteTable(graphID, table: tableName))) }
                let deleted = try await client.deleteTable(graphID, table: tableName)
                StandardStream.output.write(
                    "deleted staging table '\(deleted.tableName)' of '\(deleted.graphId)' (\(ClientFormatting.rows(Int(deleted.rowsDeleted))))\n"
                )
            }
        }
    }

    /// `graph-api tables delete-file`.
    struct DeleteFile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-file",
            abstract: "Delete the rows one source file put in a staging table (DELETE /databases/{graph_id}/tables/{table_name}/files/{file_id}).",
            discussion: """
                FILE_ID is the file_id the rows carry: the source file's name, or the id given with \
                'tables create --file-id'. A file id with no rows in the table is not found (exit status 4).
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Argument(help: "The staging table.")
        var tableName: String

        @Argument(help: "The file id.")
        var fileID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json {
                    return ClientFormatting.printRaw(try await client.send(.deleteTableFile(graphID, table: tableName, fileID: fileID)))
                }
                let deleted = try await client.deleteTableFile(graphID, table: tableName, fileID: fileID)
                StandardStream.output.write(
                    "deleted \(ClientFormatting.rows(Int(deleted.rowsDeleted))) of file '\(deleted.fileId ?? fileID)' "
                        + "from staging table '\(deleted.tableName)' of '\(deleted.graphId)'\n"
                )
            }
        }
    }

    /// `graph-api tables query`.
    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a read-only SQL query on a graph's staging tables (POST /databases/{graph_id}/tables/query).",
            discussion: """
                The SQL (DuckDB's dialect; one SELECT or WITH statement, the staging tables by name) \
                comes from the argument, from --file PATH, or from standard input with '-' (as the \
                argument or as the path).

                --param value binds the next positional parameter (? or $1, $2, ...; repeatable, in \
                order). The value is read as JSON when it is valid JSON: numbers (42, -1.5), true, \
                false, null and quoted strings ('"42"'); anything else is a plain string (Alice, \
                2024-01-02, 007, an empty value). Lists and objects are refused by the server.

                Formats: table (default) prints aligned columns, null as NULL, nested values as JSON, a \
                value with line breaks as lines within its column, fitted to the terminal's width \
                (COLUMNS, else the terminal's; not when printing to a file or pipe); \
                json prints the server's JSON answer; both hold at most the server's row limit. ndjson \
                (one object per row) and csv (RFC 4180, CRLF line ends, null as an empty field, an \
                empty string as "") stream from the server chunk by chunk, up to its streaming row \
                limit for staging queries. Every format warns on standard error when the result was cut.

                \(ClientCommandRunner.exitStatusHelp)
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph whose staging tables to query.")
        var graphID: String

        @Argument(help: "The SQL statement, or '-' to read it from standard input.")
        var sql: String?

        @Option(name: .long, help: "Read the SQL from this file ('-' for standard input).")
        var file: String?

        @Option(name: .customLong("param"), help: "The value of the next positional parameter (repeatable; how values are read is described above).")
        var parameters: [String] = []

        @OptionGroup var output: QueryOutputOptions

        func validate() throws {
            try ClientInput.validateStatement(argument: sql, file: file, language: "SQL")
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let text = try ClientInput.statement(argument: sql, file: file, language: "SQL")
                let request = StagingQueryRequest(
                    sql: text, parameters: parameters.map(QueryParameter.value(parsing:)), timeoutSeconds: output.timeout
                )
                let client = try connection.makeClient()
                let hint = "--format ndjson or csv streams up to the server's larger streaming limit"
                switch output.format {
                case .table:
                    let result = try await client.queryTables(graphID, request)
                    QueryOutput.printTable(
                        columns: result.columns, rows: result.rows, rowCount: result.rowCount, milliseconds: result.executionTimeMilliseconds
                    )
                    if result.truncated { QueryOutput.warnTruncated(result.rowCount, hint: hint) }
                case .json:
                    if let rows = QueryOutput.printJSON(try await client.send(client.tablesQueryRequest(graphID, request))) {
                        QueryOutput.warnTruncated(rows, hint: hint)
                    }
                case .ndjson, .csv:
                    let last = try await QueryOutput.printStream(
                        client.streamTablesQuery(graphID, request, chunkSize: output.chunkSize), format: output.format
                    )
                    if let last, last.truncated == true {
                        QueryOutput.warnTruncated(last.totalRowsSent, limit: "the server's streaming row limit", hint: nil)
                    }
                }
            }
        }
    }

    /// `graph-api tables ingest`.
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a staging table into the graph table of the same name (POST /databases/{graph_id}/tables/{table_name}/ingest).",
            discussion: """
                The server first checks the staged columns and types against the graph table and \
                refuses the ingest naming every mismatch. Rows the graph would reject (relationship \
                endpoints missing from the graph, keys already present) fail the whole ingest, with \
                their count and a few examples, and nothing is copied; with --ignore-errors exactly \
                those rows are skipped and counted instead. Graph properties the staging table \
                lacks get their column DEFAULT. --rebuild recreates the graph from its schema \
                (defaults and table comments included) and every staging table, atomically; when \
                the graph holds rows that no staging table has (written outside staging, or a table \
                with nothing staged) the server refuses, naming how many per table, and changes \
                nothing, unless --accept-data-loss is given, which drops them.

                The command waits for the ingest to finish (up to an hour) and prints the rows \
                ingested and skipped; the server's warnings go to standard error.

                \(ClientCommandRunner.exitStatusHelp)
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Argument(help: "The staging table (and graph table) name.")
        var tableName: String

        @Flag(help: "Skip and count the rows the graph would reject instead of failing.")
        var ignoreErrors = false

        @Flag(help: "Recreate the graph from its schema and every staging table.")
        var rebuild = false

        @Flag(help: "With --rebuild: rebuild even if rows of the graph that no staging table holds are dropped.")
        var acceptDataLoss = false

        @Option(name: .customLong("file-id"), help: "Ingest only the rows of this source file (repeatable).")
        var fileIDs: [String] = []

        @OptionGroup var async: AsyncTaskOptions

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let request = IngestRequest(
                    ignoreErrors: ignoreErrors ? true : nil, rebuild: rebuild ? true : nil, acceptDataLoss: acceptDataLoss ? true : nil,
                    fileIds: fileIDs.isEmpty ? nil : fileIDs
                )
                let client = try connection.makeClient()
                if async.async {
                    if json, !async.watch {
                        return ClientFormatting.printRaw(try await client.send(.ingestTable(graphID, table: tableName, request, async: true)))
                    }
                    let accepted = try await client.startIngestTable(graphID, table: tableName, request)
                    return try await TasksCommand.started(
                        "ingest task \(accepted.taskId)", taskID: accepted.taskId, status: accepted.status, monitorURL: accepted.monitorUrl,
                        watch: async.watch, json: json, client: client
                    )
                }
                if json { return ClientFormatting.printRaw(try await client.send(.ingestTable(graphID, table: tableName, request))) }
                let result = try await client.ingestTable(graphID, table: tableName, request)
                let counts =
                    "\(ClientFormatting.rows(Int(result.rowsIngested))) ingested, \(result.rowsSkipped) skipped, "
                    + "in \(ClientFormatting.milliseconds(result.executionTimeMs))"
                if result.rebuilt == true {
                    StandardStream.output.write("rebuilt graph '\(result.graphId)' from every staging table: \(counts)\n")
                } else {
                    StandardStream.output.write(
                        "ingested staging table '\(result.tableName)' into graph table '\(result.graphTable ?? result.tableName)': \(counts)\n"
                    )
                }
                for warning in result.warnings { StandardStream.error.write("Warning: \(CellText.singleLine(warning))\n") }
            }
        }
    }
}

/// Parquet or CSV (`--format`): the contract's formats.
extension StagingFileFormat: ExpressibleByArgument {}

/// `--source`, `--s3-pattern` and `--format`, shared by `graph-api tables create` and `graph-api copy`.
struct StagingSourceOptions: ParsableArguments {
    @Option(
        name: .customLong("source"),
        help: "A source the server reads: a path below its import directory (relative to it, or absolute; globs allowed) or an s3:// URL or glob (repeatable)."
    )
    var sources: [String] = []

    @Option(
        name: .customLong("s3-pattern"),
        help: "Like --source, sent in the request's s3_pattern field (repeatable; give --source or --s3-pattern, not both)."
    )
    var s3Patterns: [String] = []

    @Option(help: "The sources' format (default: inferred by the server from their extensions).")
    var format: StagingFileFormat?

    func validate() throws {
        if !sources.isEmpty, !s3Patterns.isEmpty { throw ValidationError("give the sources with --source or with --s3-pattern, not both") }
        if sources.isEmpty, s3Patterns.isEmpty { throw ValidationError("give the data to load with --source PATH or --s3-pattern GLOB") }
    }

    /// The request's `source`, if given.
    var sourceList: StagingSourceList? { sources.isEmpty ? nil : StagingSourceList(sources) }
    /// The request's `s3_pattern`, if given.
    var s3PatternList: StagingSourceList? { s3Patterns.isEmpty ? nil : StagingSourceList(s3Patterns) }
}

/// `--aws-access-key-id` and the other `s3_credentials`, shared by `graph-api tables create` and
/// `graph-api copy`.
struct S3CredentialOptions: ParsableArguments {
    @Option(
        name: .customLong("aws-access-key-id"),
        help: ArgumentHelp(
            "Access key id for s3:// sources (default: the server's own AWS credentials).",
            discussion: "Flags are visible to other users in the process list; prefer configuring the server's AWS_* environment."
        )
    )
    var awsAccessKeyID: String?

    @Option(name: .customLong("aws-secret-access-key"), help: "Secret access key for s3:// sources (with --aws-access-key-id).")
    var awsSecretAccessKey: String?

    @Option(name: .customLong("aws-session-token"), help: "Session token of temporary credentials (with --aws-access-key-id).")
    var awsSessionToken: String?

    @Option(help: "S3 region (with --aws-access-key-id; the server's default is us-east-1).")
    var region: String?

    @Option(name: .customLong("endpoint-url"), help: "URL of an S3-compatible store, http(s)://host[:port] (with --aws-access-key-id).")
    var endpointURL: String?

    func validate() throws {
        if (awsAccessKeyID == nil) != (awsSecretAccessKey == nil) {
            throw ValidationError("--aws-access-key-id and --aws-secret-access-key go together")
        }
        if awsAccessKeyID == nil, awsSessionToken != nil || region != nil || endpointURL != nil {
            throw ValidationError("--aws-session-token, --region and --endpoint-url need --aws-access-key-id and --aws-secret-access-key")
        }
    }

    /// The request's `s3_credentials`, if given.
    var credentials: S3Credentials? {
        guard let awsAccessKeyID, let awsSecretAccessKey else { return nil }
        return S3Credentials(
            awsAccessKeyId: awsAccessKeyID, awsSecretAccessKey: awsSecretAccessKey, awsSessionToken: awsSessionToken, region: region,
            endpointUrl: endpointURL
        )
    }
}

/// `--async` and `--watch` of the staging commands that may run as a server task.
struct AsyncTaskOptions: ParsableArguments {
    @Flag(help: "Run it as a server task (?async=true): print the task and return, or follow it with --watch.")
    var async = false

    @Flag(help: "With --async: follow the task until it ends, with a progress bar, as 'graph-api tasks watch' does.")
    var watch = false

    func validate() throws {
        if watch, !async { throw ValidationError("--watch needs --async") }
    }
}
