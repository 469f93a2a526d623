import Foundation
import GraphAPITesting
import GraphJSON
import Testing

@testable import GraphAPIClient

/// `graph-api databases metrics` and `graph-api tasks stats`.
@Suite(.serialized, .slow) struct CLIStatsTests {
    @Test func metricsAndTaskStatsArePrinted() async throws {
        try await LiveServer.with { url in
            let ddl = try CLIEndToEndTests.writeTemporaryFile(CLIEndToEndTests.peopleDDL, suffix: ".cypher")
            defer { try? FileManager.default.removeItem(atPath: ddl) }
            var run = try await CLIEndToEndTests.graphAPI(url, ["databases", "create", "people", "--ddl-file", ddl])
            #expect(run.status == 0, "\(run)")
            _ = try await CLIEndToEndTests.graphAPI(url, ["query", "people", "CREATE (:Person {name: 'a', age: 1})"])

            run = try await CLIEndToEndTests.graphAPI(url, ["databases", "metrics", "people"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.split(separator: "\n").contains { $0.hasPrefix("query_count ") }, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["databases", "metrics", "people", "--json"])
            #expect(try JSONValue(parsing: run.stdout)["graph_id"] == "people")
            run = try await CLIEndToEndTests.graphAPI(url, ["databases", "metrics", "nobody"])
            #expect(run.status == 4, "\(run)")

            run = try await CLIEndToEndTests.graphAPI(url, ["backup", "create", "people", "--watch"])
            #expect(run.status == 0, "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["tasks", "stats"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("1 task\n"), "\(run)")
            #expect(run.stdout.contains("completed 1") && run.stdout.contains("by type: backup 1"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["tasks", "stats", "--json"])
            #expect(try JSONValue(parsing: run.stdout)["total"] == 1)
        }
    }
}
