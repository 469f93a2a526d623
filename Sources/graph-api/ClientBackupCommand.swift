import ArgumentParser
import BackupArchive
import Foundation
import GraphAPIClient
import GraphAPIContract
import GraphJSON

/// `graph-api backup`: backups against a server, and two offline tools that need only the
/// archive (and the key): `verify` and `extract`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up, list, download, delete and restore a graph's backups; verify and extract archives offline.",
        discussion: """
            create, list, show, download, delete and restore talk to a server (see --url and --api-key). \
            verify and extract work on an archive file alone, without a server: a user can recover a \
            graph with nothing but the archive and its key (GRAPH_API_BACKUP_KEY, or --key-file with \
            the server's key file). The extracted folder holds the graph's engine files \
            (graph.lbug), which LadybugDB opens directly, or which a server serves once placed in \
            <data-dir>/databases/<graph_id>/ with a metadata.json.

            \(ClientCommandRunner.exitStatusHelp)
            """,
        subcommands: [
            Create.self, List.self, Show.self, Download.self, Delete.self, Restore.self, RecoveryWindow.self, Schedule.self, Verify.self, Extract.self,
        ]
    )

    /// `graph-api backup create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up a graph, as a background task (POST /databases/{graph_id}/backup).",
            discussion: """
                Prints the task's id and the backup's id and exits 0 while the task runs; --watch follows \
                the task as 'graph-api tasks watch' does and prints the manifest when it completes.
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Option(help: "zstd | gzip | none (default zstd).")
        var compression: BackupCompressionOption?

        @Flag(inversion: .prefixedNo, help: "Encrypt with the server's backup key (default: when the server has one).")
        var encryption: Bool?

        @Option(help: "Free text kept in the manifest.")
        var label: String?

        @Flag(help: "Also back up the graph's staging tables.")
        var includeStaging = false

        @Flag(help: "Follow the task until it ends.")
        var watch = false

        @Flag(help: "Print the server's JSON answer (with --watch: every event as one JSON line).")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                let request = BackupRequest(compression: compression.map { Components.Schemas.BackupCompression(rawValue: $0.rawValue)! }, encryption: encryption, includeStaging: includeStaging ? true : nil, label: label)
                if json, !watch { return ClientFormatting.printRaw(try await client.send(try .createBackup(graphID, request))) }
                let accepted = try await client.createBackup(graphID, request)
                try await TasksCommand.started(
                    "backup task \(accepted.taskId) for backup \(accepted.backupId)", taskID: accepted.taskId, monitorURL: accepted.monitorUrl,
                    watch: watch, json: json, client: client
                )
            }
        }
    }

    /// `graph-api backup list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a graph's backups, newest first (GET /databases/{graph_id}/backups).")

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.listBackups(graphID))) }
                let backups = try await client.listBackups(graphID)
                let rows: [[JSONValue]] = backups.map { backup in
                    [
                        .string(backup.backupId), .string(ISO8601DateFormatter().string(from: backup.createdAt)), .string(backup.source.rawValue),
                        .string(ClientFormatting.bytes(UInt64(max(0, backup.sizeBytes)))), .string(ClientFormatting.bytes(UInt64(max(0, backup.storedBytes)))),
                        .string(backup.compression.rawValue), backup.encryption.map { .string($0.keyId) } ?? .null,
                        .int(Int64(backup.nodeCount)), .int(Int64(backup.relationshipCount)), backup.label.map(JSONValue.string) ?? .null,
                    ]
                }
                let columns = ["backup_id", "created_at", "source", "size", "stored", "compression", "key_id", "nodes", "relationships", "label"]
                var output = backups.isEmpty ? "" : TableRenderer(columns: columns, nullText: "", maxWidth: Terminal.columns).render(rows)
                output += "(\(backups.count) backup\(backups.count == 1 ? "" : "s"))\n"
                StandardStream.output.write(output)
            }
        }
    }

    /// `graph-api backup show`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a backup's manifest (GET /databases/{graph_id}/backups/{backup_id}).")

        @OptionGroup var connection: ClientConnectionOptions

        @OptionGroup var backup: BackupArguments

        func run() async throws {
            try await ClientCommandRunner.run {
                ClientFormatting.printRaw(try await connection.makeClient().send(.backup(backup.graphID, backup.backupID)))
            }
        }
    }

    /// `graph-api backup download`.
    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a backup's archive (GET /databases/{graph_id}/backup-download).",
            discussion: "The archive is written as it arrives, then its SHA-256 is checked against the manifest's; a mismatch removes the file and fails."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @OptionGroup var backup: BackupArguments

        @Option(name: [.customShort("o"), .customLong("to")], help: "The file to write (must not exist; default <graph_id>-<backup_id>.gbak).")
        var output: String?

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                let path = output ?? "\(backup.graphID)-\(backup.backupID).gbak"
                guard !FileManager.default.fileExists(atPath: path) else {
                    throw GraphAPIClientError(kind: .invalidInput, detail: "'\(path)' exists; name another file with --to")
                }
                let manifest = try await client.backup(backup.graphID, backup.backupID)
                let bytes = try await client.downloadBackup(backup.graphID, backup.backupID, to: path)
                let sha = try ArchiveReader.sha256(ofFile: path)
                guard sha == manifest.sha256, bytes == Int64(manifest.storedBytes) else {
                    try? FileManager.default.removeItem(atPath: path)
                    throw GraphAPIClientError(
                        kind: .invalidResponse, detail: "the downloaded archive (\(bytes) bytes, SHA-256 \(sha)) is not the one the manifest names (\(manifest.storedBytes) bytes, \(manifest.sha256))"
                    )
                }
                StandardStream.output.write("wrote \(path) (\(ClientFormatting.bytes(UInt64(bytes))), SHA-256 \(sha) as in the manifest)\n")
            }
        }
    }

    /// `graph-api backup delete`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a backup (DELETE /databases/{graph_id}/backups/{backup_id}).")

        @OptionGroup var connection: ClientConnectionOptions

        @OptionGroup var backup: BackupArguments

        func run() async throws {
            try await ClientCommandRunner.run {
                let deleted = try await connection.makeClient().deleteBackup(backup.graphID, backup.backupID)
                StandardStream.output.write("deleted backup \(deleted.backupId) of \(deleted.graphId)\n")
            }
        }
    }

    /// `graph-api backup restore`.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup, or the graph as it was at a point in time, as a background task (POST /databases/{graph_id}/restore).",
            discussion: """
                Restores into the graph itself (which needs --force when it exists; the server backs it \
                up first unless --no-system-backup) or, with --target, into another graph (a clone). \
                The archive is checked completely before the graph is touched.

                With --at TIME (ISO-8601 with a time zone, e.g. 2026-12-07T10:00:00Z, up to microseconds) \
                or --position N instead of a backup id, the server rebuilds the graph as it was right \
                after the last write committed at that instant (or after that journal entry) from its \
                write journal; 'graph-api backup recovery-window GRAPH' shows the range.
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph whose backup (or journal) it is.")
        var graphID: String

        @Argument(help: "The backup's id (not with --at or --position).")
        var backupID: String?

        @Option(help: "Restore the graph as it was at this instant (ISO-8601, e.g. 2026-12-07T10:00:00.250Z).")
        var at: String?

        @Option(help: "Restore the graph as it was right after this journal entry.")
        var position: Int?

        @Option(help: "Restore into this graph instead.")
        var target: String?

        @Flag(help: "Restore over a graph that exists.")
        var force = false

        @Flag(help: "Do not back up the graph being replaced.")
        var noSystemBackup = false

        @Flag(help: "Follow the task until it ends.")
        var watch = false

        @Flag(help: "Print the server's JSON answer (with --watch: every event as one JSON line).")
        var json = false

        func validate() throws {
            let given = [backupID != nil, at != nil, position != nil].filter { $0 }.count
            guard given == 1 else {
                throw ValidationError("give one of: a backup id, --at TIME, --position N")
            }
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                let request = RestoreRequest(
                    backupId: backupID, forceOverwrite: force ? true : nil, createSystemBackup: noSystemBackup ? false : nil, targetGraphId: target,
                    pointInTime: at, position: position
                )
                if json, !watch { return ClientFormatting.printRaw(try await client.send(try .restore(graphID, request))) }
                let accepted = try await client.restore(graphID, request)
                try await TasksCommand.started(
                    "restore task \(accepted.taskId)", taskID: accepted.taskId, monitorURL: accepted.monitorUrl, watch: watch, json: json, client: client
                )
            }
        }
    }

    /// `graph-api backup recovery-window`.
    struct RecoveryWindow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recovery-window",
            abstract: "The instants and journal positions a point-in-time restore reaches (GET /databases/{graph_id}/recovery-window)."
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Flag(help: "Print the server's JSON answer.")
        var json = false

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                if json { return ClientFormatting.printRaw(try await client.send(.recoveryWindow(graphID))) }
                let window = try await client.recoveryWindow(graphID)
                guard let earliest = window.earliest, let latest = window.latest,
                    let first = window.earliestPosition, let last = window.latestPosition
                else {
                    StandardStream.output.write("\(window.graphId): the journal has no entries yet\n")
                    return
                }
                StandardStream.output.write(
                    "\(window.graphId): restorable from \(earliest) (position \(first)) to \(latest) (position \(last))\n"
                )
            }
        }
    }

    /// `graph-api backup verify`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an archive completely, without a server.",
            discussion: """
                Reads every segment and checks its authentication tag (encrypted archives, with the key of \
                GRAPH_API_BACKUP_KEY or --key-file) and the archive's SHA-256 trailer; prints the manifest's \
                summary and the archive's SHA-256. Exit status 0 when it is whole, 1 with the cause \
                (tampered, truncated, wrong_key, key_missing, ...) when it is not.
                """
        )

        @Argument(help: "The archive.")
        var file: String

        @Option(help: "The server's backup key file ({\"<key_id>\": \"<base64>\", ...}); default GRAPH_API_BACKUP_KEY.")
        var keyFile: String?

        @Flag(help: "Print the manifest and the result as JSON.")
        var json = false

        func run() async throws {
            try OfflineArchive.run {
                let keys = try BackupKeyRing.load(keyFile: keyFile, environmentKey: ProcessInfo.processInfo.environment["GRAPH_API_BACKUP_KEY"])
                let header = try ArchiveReader.header(of: file)
                let summary = try ArchiveReader.extract(file, to: nil, keys: keys)
                OfflineArchive.report(header: header, summary: summary, json: json, verb: "verified")
            }
        }
    }

    /// `graph-api backup extract`.
    struct Extract: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an archive and write the graph's files into a folder, without a server.",
            discussion: """
                The folder must not exist or be empty. Every byte is checked as in 'verify'; on a fault the \
                files written so far are removed. The folder then holds graph.lbug (and any companion \
                files), which LadybugDB opens directly.
                """
        )

        @Argument(help: "The archive.")
        var file: String

        @Option(name: .customLong("to"), help: "The folder to write the graph's files into.")
        var folder: String

        @Option(help: "The server's backup key file ({\"<key_id>\": \"<base64>\", ...}); default GRAPH_API_BACKUP_KEY.")
        var keyFile: String?

        @Flag(help: "Print the manifest and the result as JSON.")
        var json = false

        func run() async throws {
            try OfflineArchive.run {
                let keys = try BackupKeyRing.load(keyFile: keyFile, environmentKey: ProcessInfo.processInfo.environment["GRAPH_API_BACKUP_KEY"])
                let fileManager = FileManager.default
                if fileManager.fileExists(atPath: folder) {
                    guard (try fileManager.contentsOfDirectory(atPath: folder)).isEmpty else {
                        throw OfflineArchive.Failure("'\(folder)' is not empty")
                    }
                } else {
                    try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
                }
                let header = try ArchiveReader.header(of: file)
                do {
                    let summary = try ArchiveReader.extract(file, to: folder, keys: keys)
                    OfflineArchive.report(header: header, summary: summary, json: json, verb: "extracted into \(folder)")
                } catch {
                    for name in (try? fileManager.contentsOfDirectory(atPath: folder)) ?? [] {
                        try? fileManager.removeItem(atPath: folder + "/" + name)
                    }
                    throw error
                }
            }
        }
    }
}

/// `--compression`.
enum BackupCompressionOption: String, ExpressibleByArgument, CaseIterable {
    case zstd, gzip, none
}

/// What the offline tools share: errors as messages and exit statuses, and the report.
enum OfflineArchive {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as BackupArchiveError {
            StandardStream.error.write("Error: \(error.kind.rawValue): \(error.message)\n")
            throw ExitCode.failure
        } catch let error as BackupKeyError {
            StandardStream.error.write("Error: \(error.description)\n")
            throw ExitCode(64)
        } catch let error as Failure {
            StandardStream.error.write("Error: \(error.description)\n")
            throw ExitCode(64)
        }
    }

    static func report(header: ArchiveHeader, summary: ArchiveSummary, json: Bool, verb: String) {
        let manifest = header.manifest
        if json {
            let result: JSONValue = [
                "manifest": manifest, "sha256": .string(summary.sha256), "stored_bytes": .int(summary.storedBytes),
                "payload_bytes": .int(summary.plainBytes), "segments": .int(Int64(summary.segments)), "status": .string("ok"),
            ]
            StandardStream.output.write(result.jsonText + "\n")
            return
        }
        func field(_ name: String) -> String {
            guard case .object(let object) = manifest, let value = object[name] else { return "?" }
            if case .string(let text) = value { return text }
            return value.jsonText
        }
        StandardStream.output.write(
            """
            \(verb): backup \(field("backup_id")) of graph \(field("graph_id")), taken \(field("created_at"))
              engine \(field("engine_version")) (storage version \(field("storage_version"))), \(field("node_count")) nodes, \(field("relationship_count")) relationships
              tables: \(field("tables"))
              files: \(header.files.map { "\($0.name) (\(ClientFormatting.bytes(UInt64($0.size))))" }.joined(separator: ", "))
              \(header.compression.rawValue), \(header.encryption.map { "AES-256-GCM with key '\($0.keyID)'" } ?? "not encrypted"), \(summary.segments) segments
              archive: \(ClientFormatting.bytes(UInt64(summary.storedBytes))), SHA-256 \(summary.sha256)

            """
        )
    }
}

extension BackupCommand {
    /// `graph-api backup schedule`.
    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set, show or remove a graph's backup schedule (PUT|GET|DELETE /databases/{graph_id}/backup-schedule).",
            discussion: """
                With --interval or --cron it sets the schedule (retention with --keep-last and \
                --keep-days); with --delete it removes the graph's own schedule (the node's default, if \
                any, applies again); with neither it shows the schedule in force. Prints the server's answer.
                """
        )

        @OptionGroup var connection: ClientConnectionOptions

        @Argument(help: "The graph.")
        var graphID: String

        @Option(help: "Back up every so often: 90s, 30m, 6h, 1d, 1w.")
        var interval: String?

        @Option(help: "Back up at the times of a five-field cron expression, UTC (e.g. '0 */6 * * *').")
        var cron: String?

        @Option(help: "zstd | gzip | none (default zstd).")
        var compression: BackupCompressionOption?

        @Option(help: "local | s3 (default: S3 when the server has it).")
        var destination: String?

        @Option(help: "Keep the newest N scheduled backups.")
        var keepLast: Int?

        @Option(help: "Keep scheduled backups younger than N days.")
        var keepDays: Double?

        @Flag(help: "Keep the schedule but do not run it.")
        var disabled = false

        @Flag(help: "Remove the graph's own schedule.")
        var delete = false

        func validate() throws {
            if delete, interval != nil || cron != nil { throw ValidationError("--delete takes no --interval or --cron") }
            // The server would refuse these too, naming its fields (retention.keep_last).
            if let keepLast, keepLast < 1 { throw ValidationError("--keep-last must be at least 1 (the newest backup is always kept)") }
            if let keepDays, !(keepDays > 0) || !keepDays.isFinite { throw ValidationError("--keep-days must be more than 0") }
            if interval == nil, cron == nil, keepLast != nil || keepDays != nil || compression != nil || destination != nil || disabled {
                throw ValidationError("setting a schedule needs --interval or --cron")
            }
        }

        func run() async throws {
            try await ClientCommandRunner.run {
                let client = try connection.makeClient()
                let path = ["databases", graphID, "backup-schedule"]
                if delete { return ClientFormatting.printRaw(try await client.send(GraphAPIRequest(method: "DELETE", pathSegments: path))) }
                guard interval != nil || cron != nil else {
                    return ClientFormatting.printRaw(try await client.send(GraphAPIRequest(method: "GET", pathSegments: path)))
                }
                var body: [JSONObject.Member] = []
                if let interval { body.append(.init(key: "interval", value: .string(interval))) }
                if let cron { body.append(.init(key: "cron", value: .string(cron))) }
                if let compression { body.append(.init(key: "compression", value: .string(compression.rawValue))) }
                if let destination { body.append(.init(key: "destination", value: .string(destination))) }
                var retention: [JSONObject.Member] = []
                if let keepLast { retention.append(.init(key: "keep_last", value: .int(Int64(keepLast)))) }
                if let keepDays { retention.append(.init(key: "keep_days", value: .double(keepDays))) }
                if !retention.isEmpty { body.append(.init(key: "retention", value: .object(JSONObject(retention)))) }
                if disabled { body.append(.init(key: "enabled", value: .bool(false))) }
                let request = GraphAPIRequest(method: "PUT", pathSegments: path, body: Data(JSONValue.object(JSONObject(body)).jsonText.utf8))
                ClientFormatting.printRaw(try await client.send(request))
            }
        }
    }
}

/// The graph and the backup a command is about.
struct BackupArguments: ParsableArguments {
    @Argument(help: "The graph whose backup it is.")
    var graphID: String

    @Argument(help: "The backup's id.")
    var backupID: String
}
