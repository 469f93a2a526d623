import Foundation
import GraphJSON
import Testing

/// `graph-api databases change-schema` against a live server.
@Suite(.serialized) struct CLISchemaChangeTests {
    @Test func schemaStatementsAreAppliedAllOrNothing() async throws {
        try await LiveServer.with { url in
            var run = try await CLIEndToEndTests.graphAPI(url, ["databases", "create", "people", "--ddl-file", "-"], stdin: CLIEndToEndTests.peopleDDL)
            #expect(run.status == 0, "\(run)")

            run = try await CLIEndToEndTests.graphAPI(
                url, ["databases", "change-schema", "people", "--ddl", "CREATE NODE TABLE City(name STRING, PRIMARY KEY(name)); ALTER TABLE Person ADD city STRING"]
            )
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("applied 2 schema statements to 'people' in "), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["databases", "schema", "people"])
            #expect(CLIEndToEndTests.lines(run.stdout).contains("  City"), "\(run)")
            #expect(CLIEndToEndTests.lines(run.stdout).contains("    city  STRING"), "\(run)")

            // From standard input, answered as the server's JSON.
            run = try await CLIEndToEndTests.graphAPI(
                url, ["databases", "change-schema", "people", "--ddl-file", "-", "--json"], stdin: "CREATE REL TABLE LIVES_IN(FROM Person TO City);"
            )
            #expect(run.status == 0, "\(run)")
            let answer = try JSONValue(parsing: run.stdout)
            #expect(answer["statements_executed"] == 1, "\(run)")
            #expect(answer["graph_id"] == "people", "\(run)")

            // A statement that is not a schema statement: refused before anything runs.
            run = try await CLIEndToEndTests.graphAPI(
                url, ["databases", "change-schema", "people", "--ddl", "CREATE NODE TABLE Town(name STRING, PRIMARY KEY(name)); MATCH (p:Person) DELETE p"]
            )
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("code: not_a_schema_statement, HTTP 400"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["databases", "schema", "people"])
            #expect(!run.stdout.contains("Town"), "\(run)")

            run = try await CLIEndToEndTests.graphAPI(url, ["databases", "change-schema", "nobody", "--ddl", "CREATE NODE TABLE A(id INT64, PRIMARY KEY(id))"])
            #expect(run.status == 4, "\(run)")
            #expect(run.stderr.contains("code: database_not_found, HTTP 404"), "\(run)")
            run = try await CLIEndToEndTests.graphAPI(url, ["databases", "change-schema", "people", "--ddl", "  "])
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("the DDL is empty"), "\(run)")
        }
    }

    @Test func theStatementsComeFromExactlyOnePlace() async throws {
        var run = try await CLIProcess.run(["databases", "change-schema", "people"])
        #expect(run.status == 64, "\(run)")
        #expect(run.stderr.contains("--ddl DDL or --ddl-file PATH"), "\(run)")
        run = try await CLIProcess.run(["databases", "change-schema", "people", "--ddl", "x", "--ddl-file", "f"])
        #expect(run.status == 64, "\(run)")
        #expect(run.stderr.contains("not both"), "\(run)")
        run = try await CLIProcess.run(["databases", "change-schema", "people", "--ddl-file", "/nonexistent/ddl.cypher", "--url", "http://127.0.0.1:9"])
        #expect(run.status == 64, "\(run)")
        #expect(run.stderr.contains("cannot read the DDL file '/nonexistent/ddl.cypher'"), "\(run)")
    }
}
