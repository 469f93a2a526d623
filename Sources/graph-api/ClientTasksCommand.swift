import ArgumentParser
import Foundation
import GraphAPIClient
import GraphAPIContract
import GraphJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `graph-api tasks list|status|cancel|watch`.
struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List, inspect, cancel and follow the background tasks of a server (copy, ingest, backup, restore).",
        discussion: ClientCommandRunner.exitStatusHelp,
        subcommands: [List.self, Status.self, Cancel.self, Watch.self, Stats.self]
    )

    static let statuses = TaskStatus.allCases.map(\.rawValue)

    /// `graph-api tasks list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tasks the key may see, newest first (GET /tasks).")

        @OptionGroup var connection: ClientConnectionOptions

        @Option(help: "Only tasks in this status: pending | running | completed | failed | cancelled.")
        var status: String?

        @Option(help: "Only tasks of this type (copy, ingest, backup, restore, …).")
        var type: String?

        @Option(help: "At most this many tasks (1-1000; the server's default is 100).")
        var limit: Int?

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func validate() throws {
            if let status, !TasksCommand.statuses.contains(status) {
                throw ValidationError("invalid --status '\(status)': expected one of \(TasksCommand.statuses.joined(separator: ", "))")
            }
            if let limit, !(1...1_000).contains(limit) {
                throw ValidationError("invalid --limit \(limit): expected 1 to 1000")
            }
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.listTasks(status: status, type: type, limit: limit))) }
                let list = try await client.listTasks(status: status, type: type, limit: limit)
                let rows: [[JSONValue]] = list.tasks.map { task in
                    [
                        .string(task.taskId), .string(task.taskType), task.graphId.map(JSONValue.string) ?? .null, .string(task.status.rawValue),
                        .string(TaskProgressText.percentText(TaskProgressText.clamped(task.progressPercent))),
                        .string(ServerTimestamp.text(task.createdAt)), task.completedAt.map { .string(ServerTimestamp.text($0)) } ?? .null, task.error.map { .string(CLIFlagNames.namingFlags($0)) } ?? .null,
                    ]
                }
                let columns = ["task_id", "type", "graph_id", "status", "progress", "created_at", "completed_at", "error"]
                var output = list.tasks.isEmpty ? "" : TableRenderer(columns: columns, nullText: "", maxWidth: Terminal.columns).render(rows)
                output += "(\(list.tasks.count) of \(list.total) task\(list.total == 1 ? "" : "s"))\n"
                StandardStream.output.write(output)
            }
        }
    }

    /// `graph-api tasks status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one task (GET /tasks/{task_id}/status).")

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The task's id.")
        var taskID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.taskStatus(taskID))) }
                StandardStream.output.write(TasksCommand.describe(try await client.task(taskID)))
            }
        }
    }

    /// `graph-api tasks cancel`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a pending or running task (DELETE /tasks/{task_id}).",
            discussion: "A task that already finished cannot be cancelled (exit status 1, code task_finished)."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The task's id.")
        var taskID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.cancelTask(taskID))) }
                let task = try await client.cancelTask(taskID)
                StandardStream.output.write(
                    task.status == .cancelled
                        ? "cancelled task \(task.taskId) (\(task.taskType))\n"
                        : "cancellation requested: task \(task.taskId) is still \(task.status.rawValue)\n"
                )
            }
        }
    }

    /// `graph-api tasks watch`.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow a task until it ends (GET /tasks/{task_id}/monitor).",
            discussion: """
                Progress goes to standard error: a live progress bar when it is a terminal, one line per \
                change otherwise. When the task ends, standard output gets its result (completed: the \
                result as JSON) and the command exits 0; a failed or cancelled task prints its error and \
                exits 1. With --json, every event is printed to standard output as one JSON line \
                {"event": name, "data": ...} instead. Interrupting the command stops watching, not the task.

                \(ClientCommandRunner.exitStatusHelp)
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The task's id.")
        var taskID: String

        @Flag(help: "Print every event as one JSON line on standard output.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                try await TasksCommand.follow(taskID, client: try connection.makeClient(), json: json)
            }
        }
    }

    /// What the commands that start a task print (`copy`, `backup create`, `backup restore`):
    /// without `watch`, "started <description> (<status>)" and the monitor path on standard output,
    /// then return while the task runs; with `watch`, "started <description>" on standard error,
    /// then ``follow(_:client:json:)``.
    static func started(
        _ description: String, taskID: String, status: String? = nil, monitorURL: String, watch: Bool, json: Bool, client: GraphAPIClient
    ) async throws {
        guard watch else {
            StandardStream.output.write(
                "started \(description)\(status.map { " (\($0))" } ?? "")\nmonitor: \(monitorURL) (graph-api tasks watch \(taskID))\n"
            )
            return
        }
        StandardStream.error.write("started \(description)\n")
        try await follow(taskID, client: client, json: json)
    }

    /// Follows a task through its monitor until it ends (`graph-api tasks watch`, `graph-api copy
    /// --watch`). Progress goes to standard error: a live progress bar when it is a terminal, one
    /// line per change otherwise. A completed task prints its result as JSON on standard output;
    /// a failed or cancelled one prints its error on standard error and throws exit status 1.
    /// With `json`, every event is printed to standard output as one JSON line
    /// `{"event": name, "data": ...}` instead of the progress and the result.
    static func follow(_ taskID: String, client: GraphAPIClient, json: Bool) async throws {
        let interactive = isatty(2) == 1 && !json
        var last: TaskInfo?
        var barShown = false
        for try await event in client.monitorTask(taskID) {
            if json {
                StandardStream.output.write(JSONValue.object(["event": .string(event.name), "data": event.data]).jsonText + "\n")
            }
            guard let task = event.task else { continue }  // a heartbeat
            if !json, task != last || event.isTerminal {
                if interactive {
                    StandardStream.error.write("\r\u{1B}[2K" + TaskProgressText.bar(task))
                    barShown = true
                } else if task != last {
                    StandardStream.error.write(TaskProgressText.line(task) + "\n")
                }
            }
            last = task
        }
        if barShown { StandardStream.error.write("\n") }
        guard let final = last, final.isFinished else {
            throw GraphAPIClientError(kind: .streamFailed, detail: "the monitor ended before the task finished")
        }
        if final.status == .completed {
            if !json { StandardStream.output.write(final.result.jsonText + "\n") }
            return
        }
        StandardStream.error.write("Error: task \(final.taskId) \(final.status.rawValue): \(final.error.map(CLIFlagNames.namingFlags) ?? "no error given")\n")
        throw ExitCode.failure
    }

    /// `name: value` lines of a task.
    static func describe(_ task: TaskInfo) -> String {
        var lines: [(String, String)] = [
            ("task_id", task.taskId), ("type", task.taskType), ("graph_id", task.graphId ?? "-"), ("status", task.status.rawValue),
            ("progress", TaskProgressText.percentText(TaskProgressText.clamped(task.progressPercent)).trimmingCharacters(in: .whitespaces)),
            ("created_at", ServerTimestamp.text(task.createdAt)), ("started_at", task.startedAt.map(ServerTimestamp.text) ?? "-"),
            ("completed_at", task.completedAt.map(ServerTimestamp.text) ?? "-"),
        ]
        if let rows = task.rowsProcessed { lines.append(("rows", "\(rows)" + (task.totalRows.map { " of \($0)" } ?? ""))) }
        if let bytes = task.bytesProcessed {
            lines.append(("bytes", "\(ClientFormatting.bytes(UInt64(max(0, bytes))))" + (task.totalBytes.map { " of \(ClientFormatting.bytes(UInt64(max(0, $0))))" } ?? "")))
        }
        if let message = task.message { lines.append(("message", message)) }
        if let error = task.error { lines.append(("error", CLIFlagNames.namingFlags(error))) }
        if !task.result.isNull { lines.append(("result", task.result.jsonText)) }
        if !task.metadata.isEmpty { lines.append(("metadata", JSONValue.object(task.metadata).jsonText)) }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { name, value in
            name + ":" + String(repeating: " ", count: width - name.count + 1) + CellText.singleLine(value) + "\n"
        }.joined()
    }
}

extension TasksCommand {
    /// `graph-api tasks stats`.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count the tasks the key may see by status and by type (GET /tasks/stats).")

        @OptionGroup var connection: ClientConnectionOptions

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.taskStats)) }
                let stats = try await client.taskStats()
                var output = "\(stats.total) task\(stats.total == 1 ? "" : "s")\n"
                output += "by status: " + TaskStatus.allCases.map { "\($0.rawValue) \(stats.byStatus[$0])" }.joined(separator: ", ") + "\n"
                let types = stats.byType.additionalProperties.sorted { $0.key < $1.key }
                output += "by type: " + (types.isEmpty ? "none" : types.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) + "\n"
                StandardStream.output.write(output)
            }
        }
    }
}
