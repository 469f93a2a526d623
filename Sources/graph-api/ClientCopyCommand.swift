import ArgumentParser
import Foundation
import GraphAPIClient
import GraphAPIContract

/// `graph-api copy`.
struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy Parquet or CSV files straight into a graph table, as a background task (POST /databases/{graph_id}/copy).",
        discussion: """
            The server reads the sources itself: a local source is a path on the server below its \
            import directory (relative to it, or absolute; globs such as '*' allowed), anything else \
            an s3:// URL or glob. The files' columns fill the graph table's in order (for \
            relationships the FROM and TO keys first); files with fewer columns name each after a \
            property, and the properties they lack get their column DEFAULT. Without --format the \
            server infers it from the extensions. As with 'tables ingest', nothing doubles: a node \
            key already in the table fails the copy, and relationships whose (FROM, TO) pair is \
            already in the table, or repeated in the files, are skipped or merged and counted in \
            the result. With --ignore-errors the rows the graph would reject (endpoints missing \
            from the graph, keys already present) are skipped and counted instead of failing the \
            copy.

            The server answers at once with a copy task. Without --watch the command prints the \
            task's id and its monitor path and exits 0 while the task runs (follow it with \
            'graph-api tasks watch ID'); with --json it prints the server's answer instead. \
            Problems found before the task starts (a source outside the import directory or \
            missing, no S3 credentials, an unknown graph) are errors of the command itself.

            --watch follows the task as 'graph-api tasks watch' does, after printing the task's id \
            on standard error: progress on standard error, then the task's result as JSON on \
            standard output and exit status 0 when it completes, or its error and exit status 1 \
            when it fails or is cancelled. With --watch and --json every event is printed to \
            standard output as one JSON line {"event": name, "data": ...}. Interrupting the command \
            stops watching, not the task.

            \(ClientCommandRunner.exitStatusHelp)
            """
    )

    @OptionGroup var connection: ClientConnectionOptions

    @Argument(help: "The graph.")
    var graphID: String

    @Argument(help: "The graph table (node or relationship table) to copy into.")
    var tableName: String

    @OptionGroup var sources: StagingSourceOptions

    @Flag(help: "Skip and count the rows the graph would reject instead of failing the copy.")
    var ignoreErrors = false

    @OptionGroup var credentials: S3CredentialOptions

    @Flag(help: "Follow the task until it ends, as 'graph-api tasks watch' does.")
    var watch = false

    @Flag(help: "Print the server's JSON answer (with --watch: every event as one JSON line).")
    var json = false

    func run() async throws {
        try await ClientCommandRunner.run {
            let request = CopyRequest(
                tableName: tableName, source: sources.sourceList, s3Pattern: sources.s3PatternList,
                format: sources.format, ignoreErrors: ignoreErrors ? true : nil,
                s3Credentials: credentials.credentials
            )
            let client = try connection.makeClient()
            if json, !watch { return ClientFormatting.printRaw(try await client.send(.copy(graphID, request))) }
            let accepted = try await client.copy(graphID, request)
            try await TasksCommand.started(
                "copy task \(accepted.taskId)", taskID: accepted.taskId, status: accepted.status, monitorURL: accepted.monitorUrl, watch: watch,
                json: json, client: client
            )
        }
    }
}
