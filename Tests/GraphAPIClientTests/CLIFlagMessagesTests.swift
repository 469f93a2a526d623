import Foundation
import GraphAPITesting
import GraphJSON
import GraphService
import Testing

@testable import GraphAPIClient

/// The CLI's messages name its flags where the server's suggest request fields.
@Suite(.serialized) struct CLIFlagMessagesTests {
    /// Every long option name of every `graph-api` command, from the parser's own description
    /// of the command tree.
    static func everyLongOption() async throws -> Set<String> {
        let run = try await CLIProcess.run(["--experimental-dump-help"])
        #expect(run.status == 0, "\(run)")
        var names: Set<String> = []
        func collect(_ command: JSONValue) {
            for argument in command["arguments"]?.arrayValue ?? [] {
                for name in argument["names"]?.arrayValue ?? [] where name["kind"] == "long" {
                    if let text = name["name"]?.stringValue { names.insert("--" + text) }
                }
            }
            for subcommand in command["subcommands"]?.arrayValue ?? [] { collect(subcommand) }
        }
        collect(try #require(try JSONValue(parsing: run.stdout)["command"]))
        return names
    }

    @Test func everySuggestionOfTheServerHasAFlagOfTheCLI() async throws {
        let options = try await Self.everyLongOption()
        #expect(options.contains("--ignore-errors"))  // the parse above sees the commands' options
        for suggestion in SuggestedOption.allCases {
            let flag = try #require(CLIFlagNames.flags[suggestion.rawValue], "no CLI flag for the server's suggestion \(suggestion)")
            #expect(options.contains(flag), "\(flag), named for \(suggestion), is no option of graph-api")
        }
        #expect(Set(CLIFlagNames.flags.keys) == Set(SuggestedOption.allCases.map(\.rawValue)))
    }

    @Test func codeSpansOfKnownSuggestionsBecomeFlags() {
        #expect(
            CLIFlagNames.namingFlags("restore with `force_overwrite: true` (unless `create_system_backup: false`), or a new `target_graph_id`")
                == "restore with --force (unless --no-system-backup), or a new --target"
        )
        #expect(CLIFlagNames.namingFlags("keep `other: 1` and `x") == "keep `other: 1` and `x")
        #expect(CLIFlagNames.namingFlags("no spans") == "no spans")
    }

    @Test func anIngestRefusedForRejectedRowsNamesIgnoreErrors() async throws {
        try await LiveServer.withServer { server in
            let (url, imports) = (server.url, server.importDirectory)
            try FixtureFiles.write(text: TablesCLITests.knowsCSV, to: imports + "/knows.csv")
            try await TablesCLITests.createPeople(url)
            var run = try await TablesCLITests.graphAPI(url, ["tables", "create", "people", "KNOWS", "--source", "knows.csv"])
            #expect(run.status == 0, "\(run)")
            run = try await TablesCLITests.graphAPI(url, ["tables", "ingest", "people", "KNOWS"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("Nothing was copied; pass --ignore-errors to skip exactly these rows."), "\(run)")
            #expect(!run.stderr.contains("ignore_errors"), "\(run)")

        }
    }

    @Test(.slow) func aRestoreOverAGraphThatExistsNamesForceNoSystemBackupAndTarget() async throws {
        try await LiveServer.with { url in
            var run = try await CLIEndToEndTests.graphAPI(url, ["databases", "create", "people", "--ddl-file", "-"], stdin: CLIEndToEndTests.peopleDDL)
            #expect(run.status == 0, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "create", "people", "--watch"])
            #expect(run.status == 0, "\(run)")
            let backupID = try #require(try JSONValue(parsing: run.stdout)["backup_id"]?.stringValue, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "restore", "people", backupID])
            #expect(run.status == 1, "\(run)")
            #expect(
                run.stderr.contains(
                    "database 'people' exists: restore over it with --force (a system backup of it is taken first unless --no-system-backup), or restore into a new --target"
                ),
                "\(run)"
            )
            #expect(run.stderr.contains("code: database_exists, HTTP 409"), "\(run)")
        }
    }

    @Test func scheduleRetentionIsCheckedByTheCLIWithItsFlags() async throws {
        var run = try await CLIProcess.run(["backup", "schedule", "people", "--interval", "6h", "--keep-last", "0"])
        #expect(run.status == 64, "\(run)")
        #expect(run.stderr.contains("--keep-last must be at least 1"), "\(run)")
        run = try await CLIProcess.run(["backup", "schedule", "people", "--interval", "6h", "--keep-days", "0"])
        #expect(run.status == 64, "\(run)")
        #expect(run.stderr.contains("--keep-days must be more than 0"), "\(run)")
    }
}
