import ArgumentParser
import Foundation
import GraphAPIClient
import GraphAPIContract
import GraphJSON

/// `graph-api databases list|create|delete|info|schema|change-schema|metrics`.
struct DatabasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "databases",
        abstract: "List, create, inspect and delete the graphs of a server.",
        discussion: ClientCommandRunner.exitStatusHelp,
        subcommands: [List.self, Create.self, Delete.self, Info.self, Schema.self, ChangeSchema.self, Metrics.self]
    )

    /// `graph-api databases list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the databases the key may see (GET /databases).")

        @OptionGroup var connection: ClientConnectionOptions

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.listDatabases)) }
                let list = try await client.listDatabases()
                let rows: [[JSONValue]] = list.databases.map { database in
                    [
                        .string(database.graphId), .string(database.schemaType.rawValue),
                        database.repositoryName.map(JSONValue.string) ?? .null, .bool(database.readOnly),
                        .string(ClientFormatting.bytes(database.sizeBytes)), .bool(database.isOpen),
                        .string(ServerTimestamp.text(database.createdAt)), database.lastAccessed.map { .string(ServerTimestamp.text($0)) } ?? .null,
                    ]
                }
                let columns = ["graph_id", "schema_type", "repository", "read_only", "size", "open", "created_at", "last_accessed"]
                var output = list.databases.isEmpty ? "" : TableRenderer(columns: columns, nullText: "", maxWidth: Terminal.columns).render(rows)
                output += "(\(list.totalDatabases) database\(list.totalDatabases == 1 ? "" : "s"), \(ClientFormatting.bytes(list.totalSizeBytes))"
                // A key scoped to some graphs is not told the node's capacity.
                if let capacity = list.nodeCapacity {
                    output += "; node capacity \(capacity.currentDatabases)/\(capacity.maxDatabases), \(capacity.capacityRemaining) remaining"
                }
                output += ")\n"
                StandardStream.output.write(output)
            }
        }
    }

    /// `graph-api databases create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a database and install its schema (POST /databases).",
            discussion: """
                --schema-type entity (the default) installs the entity schema; shared installs a shared \
                repository's schema and needs --repository-name; custom applies the DDL of --ddl-file \
                all-or-nothing (--ddl-file alone implies custom; '-' reads the DDL from standard input).
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The new graph's id (letters, digits, '_' and '-'; up to 64).")
        var graphID: String

        @Option(help: "entity | shared | custom (default entity, or custom with --ddl-file).")
        var schemaType: String?

        @Option(help: "The repository of a shared schema (e.g. sec).")
        var repositoryName: String?

        @Option(help: "File of DDL statements for a custom schema ('-' for standard input).")
        var ddlFile: String?

        @Flag(help: "Create the database read-only: it refuses every write.")
        var readOnly = false

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func validate() throws {
            if let schemaType, !["entity", "shared", "custom"].contains(schemaType) {
                throw ValidationError("invalid --schema-type '\(schemaType)': expected entity, shared or custom")
            }
            if ddlFile != nil, let schemaType, schemaType != "custom" {
                throw ValidationError("--ddl-file applies only to --schema-type custom")
            }
            if schemaType == "custom", ddlFile == nil {
                throw ValidationError("--schema-type custom needs --ddl-file")
            }
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let ddl = try ddlFile.map { path throws(GraphAPIClientError) in try ClientInput.read(path: path, what: "DDL") }
                // validate() allowed only the three types.
                let type = schemaType.flatMap(SchemaType.init(rawValue:)) ?? (ddl == nil ? .entity : .custom)
                let request = CreateDatabaseRequest(
                    graphId: graphID, schemaType: type, repositoryName: repositoryName, customSchemaDdl: ddl,
                    readOnly: readOnly ? true : nil
                )
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.createDatabase(request))) }
                let created = try await client.createDatabase(request)
                StandardStream.output.write(
                    "created database '\(created.graphId)' (schema \(created.schemaType.rawValue)\(readOnly ? ", read-only" : "")) "
                        + "in \(ClientFormatting.milliseconds(created.executionTimeMs))\n"
                )
            }
        }
    }

    /// `graph-api databases delete`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a database and all its data (DELETE /databases/{graph_id}).",
            discussion: """
                Nothing is asked interactively: without --yes the command refuses (exit status 64) and \
                deletes nothing, so a script cannot delete by accident and never hangs on a prompt.
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph to delete.")
        var graphID: String

        @Flag(help: "Confirm the deletion (required).")
        var yes = false

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func validate() throws {
            guard yes else {
                throw ValidationError(
                    "deleting '\(graphID)' removes the graph and all its data for good; add --yes to confirm"
                )
            }
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.deleteDatabase(graphID))) }
                let deleted = try await client.deleteDatabase(graphID)
                StandardStream.output.write(deleted.message.isEmpty ? "deleted database '\(graphID)'\n" : deleted.message + "\n")
            }
        }
    }

    /// `graph-api databases info`.
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one database: its settings, size, health and counts (GET /databases/{graph_id})."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.databaseInfo(graphID))) }
                let answer = try await client.databaseInfo(graphID)
                let (info, health) = (answer.summary, answer.health)
                var lines: [(String, String)] = [
                    ("graph_id", info.graphId), ("schema_type", info.schemaType.rawValue),
                    ("repository", info.repositoryName ?? "-"), ("read_only", "\(info.readOnly)"),
                    ("size", "\(ClientFormatting.bytes(info.sizeBytes)) (\(info.sizeBytes) bytes)"),
                    ("created_at", ServerTimestamp.text(info.createdAt)), ("last_accessed", info.lastAccessed.map(ServerTimestamp.text) ?? "-"),
                    ("open", "\(info.isOpen)"), ("healthy", "\(health.isHealthy)"), ("nodes", health.nodeCount.map(String.init) ?? "-"),
                    ("relationships", health.relationshipCount.map(String.init) ?? "-"),
                ]
                if let error = health.error { lines.append(("error", error)) }
                let width = lines.map(\.0.count).max() ?? 0
                var output = ""
                for (name, value) in lines {
                    let padding = String(repeating: " ", count: width - name.count + 1)
                    output += name + ":" + padding + CellText.singleLine(value) + "\n"
                }
                StandardStream.output.write(output)
                if !health.isHealthy { throw ExitCode.failure }
            }
        }
    }

    /// `graph-api databases schema`.
    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a database's node and relationship tables (GET /databases/{graph_id}/schema)."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.schema(graphID))) }
                StandardStream.output.write(Self.render(try await client.schema(graphID)))
            }
        }

        static func render(_ schema: GraphSchema) -> String {
            func properties(_ list: [Components.Schemas.Property], primaryKey: String? = nil) -> String {
                let width = list.map { CellText.displayWidth($0.name) }.max() ?? 0
                return list.map { property in
                    let pad = String(repeating: " ", count: width - CellText.displayWidth(property.name) + 2)
                    return "    \(property.name)\(pad)\(property._type)\(property.name == primaryKey ? "  PRIMARY KEY" : "")\n"
                }.joined()
            }
            var output = "Node tables (\(schema.nodeTables.count))\n"
            for table in schema.nodeTables {
                output += "  \(table.name)\(table.comment.map { "  -- \(CellText.singleLine($0))" } ?? "")\n"
                output += properties(table.properties, primaryKey: table.primaryKey)
            }
            output += "Relationship tables (\(schema.relTables.count))\n"
            for table in schema.relTables {
                let pairs = table.connections.map { "\($0.from) -> \($0.to)" }
                output += "  \(table.name) (\(pairs.joined(separator: ", ")))"
                    + "\(table.comment.map { "  -- \(CellText.singleLine($0))" } ?? "")\n"
                output += properties(table.properties)
            }
            return output
        }
    }
}

extension DatabasesCommand {
    /// `graph-api databases metrics`.
    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a database's metrics: size, counts, queries, connections (GET /databases/{graph_id}/metrics)."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                let body = try await client.send(GraphAPIRequest(method: "GET", pathSegments: ["databases", graphID, "metrics"]))
                if json { return ClientFormatting.printRaw(body) }
                guard case .object(let object) = try JSONValue(parsing: String(decoding: body, as: UTF8.self)) else {
                    throw GraphAPIClientError(kind: .invalidResponse, detail: "the metrics answer is not a JSON object")
                }
                let width = object.members.map(\.key.count).max() ?? 0
                var output = ""
                for member in object.members.sorted(by: { $0.key < $1.key }) {
                    let text: String
                    if case .string(let string) = member.value { text = string } else { text = member.value.jsonText }
                    output += member.key + String(repeating: " ", count: width - member.key.count + 1) + text + "\n"
                }
                StandardStream.output.write(output)
            }
        }
    }
}

extension DatabasesCommand {
    /// `graph-api databases change-schema`.
    struct ChangeSchema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-schema",
            abstract: "Apply schema statements to a database, all or nothing (POST /databases/{graph_id}/schema).",
            discussion: """
                The statements (CREATE NODE/REL TABLE, ALTER TABLE, CREATE INDEX, COMMENT ON, separated \
                by ';') come from --ddl or from --ddl-file ('-' for standard input). They run in one \
                transaction: all are applied or none; any other statement is refused before anything \
                runs. 'graph-api databases schema GRAPH' shows the result.

                \(ClientCommandRunner.exitStatusHelp)
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Option(help: "The schema statements.")
        var ddl: String?

        @Option(help: "Read the schema statements from this file ('-' for standard input).")
        var ddlFile: String?

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func validate() throws {
            if ddl != nil, ddlFile != nil { throw ValidationError("give the statements either with --ddl or with --ddl-file, not both") }
            if ddl == nil, ddlFile == nil { throw ValidationError("give the statements with --ddl DDL or --ddl-file PATH ('-' for standard input)") }
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let text = try ddl ?? ClientInput.read(path: ddlFile ?? "-", what: "DDL")
                guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw GraphAPIClientError(kind: .invalidInput, detail: "the DDL is empty")
                }
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.changeSchema(graphID, ddl: text))) }
                let changed = try await client.changeSchema(graphID, ddl: text)
                let count = changed.statementsExecuted
                StandardStream.output.write(
                    "applied \(count) schema statement\(count == 1 ? "" : "s") to '\(changed.graphId)' "
                        + "in \(ClientFormatting.milliseconds(changed.executionTimeMs))\n"
                )
            }
        }
    }
}
