import Foundation
import Testing

/// How `graph-api query` prints values with line breaks and long values in table format.
@Suite(.serialized) struct CLITableOutputTests {
    @Test func anExplainPlanAndAValueWithLineBreaksPrintAsLines() async throws {
        try await LiveServer.with { url in
            var run = try await CLIEndToEndTests.graphAPI(url, ["databases", "create", "people", "--ddl-file", "-"], stdin: CLIEndToEndTests.peopleDDL)
            #expect(run.status == 0, "\(run)")

            run = try await CLIEndToEndTests.graphAPI(url, ["query", "people", "EXPLAIN MATCH (p:Person) WHERE p.age > 1 RETURN p.name"])
            #expect(run.status == 0, "\(run)")
            let plan = CLIEndToEndTests.lines(run.stdout).filter { !$0.isEmpty }
            // The plan is many lines, never the escaped text on one; the rule is as wide as the
            // longest line, and every line of the table is as wide or narrower.
            #expect(!run.stdout.contains(#"\n"#), "\(run)")
            #expect(plan.count > 5, "\(run)")
            let rule = try #require(plan.dropFirst().first)
            #expect(rule.allSatisfy { $0 == "-" }, "\(run)")
            #expect(plan.allSatisfy { $0.count <= rule.count }, "\(run)")
            #expect(rule.count < 200, "\(run)")
            // Each line but the last of the value is marked as continuing.
            let body = plan.dropFirst(2).dropLast()  // without the header, the rule and "(1 row, …)"
            #expect(body.dropLast().allSatisfy { $0.hasSuffix("+") }, "\(run)")
            #expect(plan.last?.hasPrefix("(1 row, ") == true, "\(run)")

            run = try await CLIEndToEndTests.graphAPI(url, ["query", "people", "RETURN $text AS text, 7 AS n", "--param", "text=first\nsecond line"])
            #expect(run.status == 0, "\(run)")
            #expect(
                Array(CLIEndToEndTests.lines(run.stdout).prefix(4)) == [
                    " text        | n", "-------------+---", " first      +| 7", " second line |",
                ],
                "\(run)"
            )

            // On a terminal as wide as COLUMNS, a long value wraps within its column.
            let long = String(repeating: "abcdefghij", count: 10)
            run = try await CLIEndToEndTests.graphAPI(
                url, ["query", "people", "RETURN '\(long)' AS text, 1 AS n"], environment: ["COLUMNS": "40"]
            )
            #expect(run.status == 0, "\(run)")
            let wrapped = CLIEndToEndTests.lines(run.stdout).filter { !$0.isEmpty }
            #expect(wrapped.dropLast().allSatisfy { $0.count <= 40 }, "\(run)")
            #expect(wrapped.count == 2 + 3 + 1, "\(run)")  // header, rule, three lines of 34, 34 and 32, "(1 row, …)"
            #expect(wrapped.dropFirst(2).first?.hasSuffix(".| 1") == true, "\(run)")
            // Without COLUMNS, output to a pipe is not wrapped.
            run = try await CLIEndToEndTests.graphAPI(url, ["query", "people", "RETURN '\(long)' AS text"])
            #expect(CLIEndToEndTests.lines(run.stdout).dropFirst(2).first == " " + long, "\(run)")
        }
    }
}
