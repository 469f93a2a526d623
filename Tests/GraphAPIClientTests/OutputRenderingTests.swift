import GraphJSON
import Testing

@testable import GraphAPIClient

@Suite struct OutputRenderingTests {
    /// One value of every JSON kind, as a query result carries them (a node is an object).
    static let columns = ["int", "double", "text", "flag", "nothing", "list", "node"]
    static let row: [JSONValue] = [
        .number(JSONNumber("170141183460469231731687303715884105727")!), 1.5, "Alice", true, nil, [1, "a", nil],
        ["_ID": ["offset": 0, "table": 0], "_LABEL": "Person", "name": "Al, \"B\""],
    ]

    @Test func cellTextOfEveryKind() {
        let texts = Self.row.map(CellText.text(of:))
        #expect(
            texts == [
                "170141183460469231731687303715884105727", "1.5", "Alice", "true", nil, #"[1,"a",null]"#,
                #"{"_ID":{"offset":0,"table":0},"_LABEL":"Person","name":"Al, \"B\""}"#,
            ]
        )
        #expect(CellText.text(of: false) == "false")
        #expect(CellText.text(of: "") == "")
    }

    @Test func tableAlignsEveryKindAndRightAlignsNumbers() {
        let table = TableRenderer(columns: ["name", "age", "tags", "score"]).render([
            ["Alice", 30, ["a", "b"], nil],
            ["Bob", 7, [], 2.25],
            [nil, nil, ["x": 1], 10],
        ])
        // Columns whose values are all numbers (nulls aside) are right-aligned, NULL included.
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == " name  | age  | tags      | score")
        #expect(lines[1] == "-------+------+-----------+-------")
        #expect(lines[2] == " Alice |   30 | [\"a\",\"b\"] |  NULL")
        #expect(lines[3] == " Bob   |    7 | []        |  2.25")
        #expect(lines[4] == " NULL  | NULL | {\"x\":1}   |    10")
        #expect(lines[5] == "")
        #expect(lines.count == 6)
    }

    @Test func tableEscapesControlCharactersAndCountsWideCharacters() {
        let table = TableRenderer(columns: ["k", "v"]).render([["tab\there\u{7}", "中文"], ["x", "ab"]])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[2] == #" tab\there\u{7} | 中文"#)
        // "中文" takes four terminal columns, so "ab" is padded to four as well (then trimmed at
        // the end of the line), and the rule is four plus two wide.
        #expect(lines[1] == String(repeating: "-", count: 16) + "+" + String(repeating: "-", count: 6))
        #expect(lines[3] == " x" + String(repeating: " ", count: 13) + " | ab")
    }

    @Test func aValueWithLineBreaksPrintsAsLinesWithinItsColumn() {
        let plan = "Projection\n  Filter(p.age > 1)\r\n    Scan(Person)"
        let table = TableRenderer(columns: ["id", "plan", "n"]).render([["a", .string(plan), 1], ["bb", "short", 22]])
        // The column is as wide as its longest line, not the whole text; the rule matches; the
        // row grows in height, each line that continues marked with "+".
        #expect(
            table == """
                 id | plan                | n
                ----+---------------------+----
                 a  | Projection         +|  1
                    |   Filter(p.age > 1)+|
                    |     Scan(Person)    |
                 bb | short               | 22

                """
        )
        // A trailing line break shows as an empty last line; a lone \r stays escaped.
        #expect(TableRenderer.lines(of: "a\n") == ["a", ""])
        #expect(TableRenderer.lines(of: "a\rb") == [#"a\rb"#])
    }

    @Test func aTableWiderThanItsLimitNarrowsTheWidestColumnAndWraps() throws {
        let long = String(repeating: "x", count: 50)
        let table = TableRenderer(columns: ["name", "text"], maxWidth: 30).render([["Al", .string(long + "\nend")]])
        let lines = table.split(separator: "\n").map(String.init)
        try #require(lines.count == 6, "\(table)")
        #expect(lines.allSatisfy { CellText.displayWidth($0) <= 30 }, "\(table)")
        // 30 = " " + 4 + a mark + "| " + 21 + a mark.
        #expect(lines[1] == "------+" + String(repeating: "-", count: 23))
        #expect(lines[2] == " Al   | " + String(repeating: "x", count: 21) + ".")
        #expect(lines[3] == "      | " + String(repeating: "x", count: 21) + ".")
        #expect(lines[4] == "      | " + String(repeating: "x", count: 8) + String(repeating: " ", count: 13) + "+")
        #expect(lines[5] == "      | end")
        // Wide characters are never split: a line of them wraps at a character boundary.
        #expect(TableRenderer.wrap("中文中文中", width: 5) == ["中文", "中文", "中"])
        // A column is not narrowed below the minimum (or its own width), even if the table overflows.
        #expect(TableRenderer.widths(natural: [4, 50, 30], maxWidth: 20) == [4, 10, 10])
        #expect(TableRenderer.widths(natural: [4, 50], maxWidth: nil) == [4, 50])
        #expect(TableRenderer.widths(natural: [4, 50], maxWidth: 200) == [4, 50])
    }

    @Test func tableOfNoColumnsIsEmptyAndOfNoRowsIsAHeader() {
        #expect(TableRenderer(columns: []).render([]) == "")
        #expect(TableRenderer(columns: ["a", "bb"]).render([]) == " a | bb\n---+----\n")
    }

    @Test func displayWidthCountsTerminalColumns() {
        #expect(CellText.displayWidth("abc") == 3)
        #expect(CellText.displayWidth("中文") == 4)
        #expect(CellText.displayWidth("é") == 1)  // e + combining accent is one cluster
        #expect(CellText.displayWidth("😀") == 2)
        #expect(CellText.displayWidth("ｱ") == 1)  // half-width katakana
        #expect(CellText.displayWidth("Ａ") == 2)  // full-width A
    }

    @Test func csvQuotesByRFC4180() {
        #expect(CSVRenderer.field("plain") == "plain")
        #expect(CSVRenderer.field("a,b") == "\"a,b\"")
        #expect(CSVRenderer.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVRenderer.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVRenderer.field("cr\rhere") == "\"cr\rhere\"")
        #expect(CSVRenderer.field("crlf\r\nhere") == "\"crlf\r\nhere\"")
        #expect(CSVRenderer.field(" spaced ") == " spaced ")
        #expect(CSVRenderer.field("\"\u{301}") == "\"\"\"\u{301}\"")  // a quote with a combining mark is still doubled
    }

    @Test func csvTellsNullFromEmptyString() {
        #expect(CSVRenderer.field(nil) == "")
        #expect(CSVRenderer.field("") == "\"\"")
    }

    @Test func csvRecordOfEveryKind() {
        let record = CSVRenderer.record(Self.row)
        #expect(
            record
                == #"170141183460469231731687303715884105727,1.5,Alice,true,,"[1,""a"",null]","{""_ID"":{""offset"":0,""table"":0},""_LABEL"":""Person"",""name"":""Al, \""B\""""}""#
                + "\r\n"
        )
        #expect(CSVRenderer.header(["a", "b,c", ""]) == "a,\"b,c\",\"\"\r\n")
        var output = ""
        CSVRenderer.appendRecord([1, "x"], to: &output)
        CSVRenderer.appendRecord([nil, ""], to: &output)
        #expect(output == "1,x\r\n,\"\"\r\n")
    }

    @Test func rowValuesFollowTheColumns() {
        let row: JSONObject = ["a": 1, "b": 2]
        #expect(QueryResponse.values(of: row, columns: ["a", "b"]) == [1, 2])
        #expect(QueryResponse.values(of: row, columns: ["b", "a", "c"]) == [2, 1, nil])
        // Two columns of the same name stay apart by position.
        let twins = JSONObject([.init(key: "x", value: 1), .init(key: "x", value: 2)])
        #expect(QueryResponse.values(of: twins, columns: ["x", "x"]) == [1, 2])
    }
}
