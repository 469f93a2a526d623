import Foundation
import GraphAPITesting
import GraphJSON
import Testing

@testable import GraphAPIClient

/// `graph-api backup …` as a user runs it: against a server, and offline with only the archive
/// and the key.
@Suite(.serialized, .slow) struct BackupCLITests {
    static let key = Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }).base64EncodedString()

    @Test func backUpDownloadVerifyExtractAndRestore() async throws {
        var settings = LiveServer.Settings()
        settings.backupKey = Self.key
        try await LiveServer.with(settings) { url in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-backup-cli-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let ddl = try CLIEndToEndTests.writeTemporaryFile(CLIEndToEndTests.peopleDDL, suffix: ".cypher")
            defer { try? FileManager.default.removeItem(atPath: ddl) }
            var run = try await CLIEndToEndTests.graphAPI(url, ["databases", "create", "people", "--ddl-file", ddl])
            #expect(run.status == 0, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["query", "people", "UNWIND range(1, 500) AS i CREATE (:Person {name: 'p' + string(i), age: i})"])
            #expect(run.status == 0, "\(run)")

            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "create", "people", "--label", "cli", "--watch"])
            #expect(run.status == 0, "\(run)")
            let manifest = try JSONValue(parsing: run.stdout)
            let backupID = try #require(manifest["backup_id"]?.stringValue)
            #expect(manifest["node_count"] == 500)
            #expect(manifest["encryption"]?["key_id"] == "default")

            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "list", "people"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains(backupID) && run.stdout.contains("(1 backup)"), "\(run)")

            let archive = folder + "/people.gbak"
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "download", "people", backupID, "--to", archive])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("as in the manifest"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "download", "people", backupID, "--to", archive])
            #expect(run.status == 64, "an existing file is not overwritten: \(run)")

            // Offline, with the key in the environment, then without it.
            run = try await CLIProcess.run(["backup", "verify", archive, "--json"], environment: ["GRAPH_API_BACKUP_KEY": Self.key])
            #expect(run.status == 0, "\(run)")
            #expect(try JSONValue(parsing: run.stdout)["sha256"] == manifest["sha256"])
            run = try await CLIProcess.run(["backup", "verify", archive])
            #expect(run.status == 1)
            #expect(run.stderr.contains("key_missing"), "\(run)")
            let out = folder + "/out"
            run = try await CLIProcess.run(["backup", "extract", archive, "--to", out], environment: ["GRAPH_API_BACKUP_KEY": Self.key])
            #expect(run.status == 0, "\(run)")
            #expect(FileManager.default.fileExists(atPath: out + "/graph.lbug"))

            // A damaged copy: named, and nothing left behind by extract.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
            bytes[bytes.count / 2] ^= 0x10
            let damaged = folder + "/damaged.gbak"
            try bytes.write(to: URL(fileURLWithPath: damaged))
            run = try await CLIProcess.run(["backup", "extract", damaged, "--to", folder + "/out2"], environment: ["GRAPH_API_BACKUP_KEY": Self.key])
            #expect(run.status == 1)
            #expect(run.stderr.contains("tampered"), "\(run)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: folder + "/out2")) == [])

            // Restore into a clone, then delete the backup.
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "restore", "people", backupID, "--target", "people2", "--watch"])
            #expect(run.status == 0, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["query", "people2", "MATCH (p:Person) RETURN count(p) AS n", "--format", "json"])
            #expect(run.stdout.contains("500"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "restore", "people", backupID])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("database_exists"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "delete", "people", backupID])
            #expect(run.status == 0, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "show", "people", backupID])
            #expect(run.status == 4, "\(run)")
        }
    }

    /// `backup recovery-window` and `backup restore --position|--at`: the graph as it was after a
    /// chosen write, from the server's journal.
    @Test func restoreToAPointInTime() async throws {
        try await LiveServer.with(LiveServer.Settings()) { url in
            let ddl = try CLIEndToEndTests.writeTemporaryFile(CLIEndToEndTests.peopleDDL, suffix: ".cypher")
            defer { try? FileManager.default.removeItem(atPath: ddl) }
            var run = try await CLIEndToEndTests.graphAPI(url, ["databases", "create", "people", "--ddl-file", ddl])
            #expect(run.status == 0, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["query", "people", "UNWIND range(1, 20) AS i CREATE (:Person {name: 'p' + string(i), age: i})"])
            #expect(run.status == 0, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "recovery-window", "people", "--json"])
            #expect(run.status == 0, "\(run)")
            let window = try JSONValue(parsing: run.stdout)
            let position = try #require(window["latest_position"]?.numberValue?.int64Value)
            let instant = try #require(window["latest"]?.stringValue)
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "recovery-window", "people"])
            #expect(run.stdout.contains("to \(instant) (position \(position))"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["query", "people", "MATCH (p:Person) WHERE p.age > 5 DELETE p"])
            #expect(run.status == 0, "\(run)")

            for (target, arguments) in [("bypos", ["--position", "\(position)"]), ("bytime", ["--at", instant])] {
                run = try await CLIEndToEndTests.graphAPI(url, ["backup", "restore", "people"] + arguments + ["--target", target, "--watch"])
                #expect(run.status == 0, "\(run)")
                run = try await CLIEndToEndTests.graphAPI(url, ["query", target, "MATCH (p:Person) RETURN count(p) AS n", "--format", "json"])
                #expect(run.stdout.contains("20"), "\(run)")
            }
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "restore", "people", "some-backup", "--position", "1"])
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("give one of"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "restore", "people", "--position", "999999", "--target", "x"])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("recovery_unavailable"), "\(run)")
        }
    }
}
