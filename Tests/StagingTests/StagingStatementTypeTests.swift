import Staging
import Testing

@Suite("Classifying statements without running them")
struct StagingStatementTypeTests {
    static let cases: [(String, StagingStatementType)] = [
        ("SELECT 1", .select),
        ("WITH a AS (SELECT 1 AS x) SELECT x FROM a", .select),
        ("FROM t", .select),
        ("VALUES (1), (2)", .select),
        ("(SELECT 1) UNION ALL (SELECT 2)", .select),
        ("DESCRIBE t", .select),
        ("SELECT 1;", .select),
        ("EXPLAIN SELECT 1", .explain),
        ("INSERT INTO t VALUES (1)", .insert),
        ("UPDATE t SET a = 2", .update),
        ("DELETE FROM t", .delete),
        ("CREATE TABLE u (a INTEGER)", .create),
        ("CREATE VIEW v AS SELECT 1", .create),
        ("DROP TABLE t", .drop),
        ("ALTER TABLE t ADD COLUMN b INTEGER", .alter),
        ("ATTACH ':memory:' AS other", .attach),
        ("COPY t TO '/tmp/never-written.csv'", .copy),
        ("SET threads = 1", .set),
        ("LOAD httpfs", .load),
        ("BEGIN TRANSACTION", .transaction),
        ("CALL pragma_version()", .call),
        ("SELECT 1; SELECT 2", .multiple),
        ("SELECT 1; DROP TABLE t", .multiple),
    ]

    @Test(arguments: cases)
    func classifies(sql: String, expected: StagingStatementType) throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        try connection.execute("CREATE TABLE t (a INTEGER)")
        let type = try connection.statementType(of: sql)
        #expect(type == expected, "\(sql) → \(type)")
        #expect(try connection.isSelect(sql) == (expected == .select))
    }

    @Test func classifyingDoesNotRun() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        #expect(try connection.statementType(of: "CREATE TABLE never (a INTEGER)") == .create)
        let statement = try connection.prepare("CREATE TABLE never2 (a INTEGER)")
        #expect(!statement.isSelect)
        statement.close()
        #expect(try connection.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'never%'") == .int(0))
    }

    @Test func badTextFailsClassification() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let parse = stagingError { _ = try connection.statementType(of: "SELEC 1") }
        #expect(parse?.kind == .parser)
        #expect(parse?.message.hasPrefix("Parser Error: syntax error") == true)
        #expect(stagingError { _ = try connection.statementType(of: "SELECT * FROM missing") }?.kind == .catalog)
        #expect(stagingError { _ = try connection.statementType(of: "   ") }?.kind == .invalidInput)
        #expect(stagingError { _ = try connection.statementType(of: "-- only a comment") }?.kind == .invalidInput)
    }

    @Test func queryRefusesSeveralStatements() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let error = stagingError { _ = try connection.query("SELECT 1; SELECT 2") }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("multiple statements") == true)
    }
}
