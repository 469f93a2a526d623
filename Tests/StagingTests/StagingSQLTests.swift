import Staging
import Testing

@Suite("Quoting identifiers and literals")
struct StagingSQLTests {
    @Test func identifierDoublesDoubleQuotes() {
        #expect(StagingSQL.identifier("plain") == "\"plain\"")
        #expect(StagingSQL.identifier("my\"table") == "\"my\"\"table\"")
        #expect(StagingSQL.identifier("") == "\"\"")
    }

    @Test func literalDoublesSingleQuotes() {
        #expect(StagingSQL.literal("it's") == "'it''s'")
        #expect(StagingSQL.literal("''") == "''''''")
        #expect(StagingSQL.literal("back\\slash") == "'back\\slash'")
        #expect(StagingSQL.literalList(["a", "b'c"]) == "['a', 'b''c']")
    }

    @Test("Quoted literals reach DuckDB unchanged", arguments: [
        "it's", "'; DROP TABLE t; --", "back\\slash\\'", "line\nbreak\ttab", "ünïcødé ✓ 🦆", "\"double\"", "",
    ])
    func literalRoundTrip(text: String) throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        #expect(try connection.scalar("SELECT \(StagingSQL.literal(text))") == .string(text))
    }

    @Test func quotedIdentifiersNameTablesAndColumns() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let table = "we\"ird tab'le; DROP", column = "col\"umn"
        try connection.execute(
            "CREATE TABLE \(StagingSQL.identifier(table)) (\(StagingSQL.identifier(column)) INTEGER)")
        try connection.execute("INSERT INTO \(StagingSQL.identifier(table)) VALUES (7)")
        let result = try connection.query("SELECT * FROM \(StagingSQL.identifier(table))")
        #expect(result.columnNames == [column])
        #expect(result.rows() == [[.int(7)]])
    }

    @Test func textWithNULIsRefusedBeforeDuckDB() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let error = stagingError { try connection.execute("SELECT 'a\u{0}'; DROP TABLE x") }
        #expect(error?.kind == .invalidInput)
        #expect(stagingError { _ = try connection.query("SELECT 1\u{0}") }?.kind == .invalidInput)
    }
}
