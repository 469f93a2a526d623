import Staging
import Testing

@Suite("DuckDB errors become StagingErrors")
struct StagingErrorTests {
    @Test(arguments: [
        ("SELEC 1", StagingError.Kind.parser),
        ("SELECT nope", .binder),
        ("SELECT * FROM missing_table", .catalog),
        ("SELECT 'abc'::INTEGER", .conversion),
        ("SELECT 300::TINYINT", .conversion),
        ("SELECT * FROM read_csv('/nonexistent/file.csv')", .io),
        ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", .missingExtension),
    ])
    func kindsFollowDuckDB(sql: String, kind: StagingError.Kind) throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let viaQuery = stagingError { _ = try connection.query(sql) }
        let viaExecute = stagingError { try connection.execute(sql) }
        #expect(viaQuery?.kind == kind, "\(sql) → \(String(describing: viaQuery))")
        #expect(viaExecute?.kind == kind, "\(sql) → \(String(describing: viaExecute))")
        #expect(viaQuery?.message.isEmpty == false)
    }

    @Test func constraintViolation() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)")
        #expect(stagingError { try connection.execute("INSERT INTO t VALUES (1)") }?.kind == .constraint)
        // The connection stays usable after errors.
        #expect(try connection.scalar("SELECT count(*) FROM t") == .int(1))
    }

    @Test func closedObjectsReportClosed() throws {
        let (database, connection) = try StagingTestSupport.openInMemory()
        connection.close()
        connection.close()
        #expect(connection.isClosed)
        #expect(stagingError { _ = try connection.query("SELECT 1") }?.kind == .closed)
        database.close()
        #expect(stagingError { _ = try database.connect() }?.kind == .closed)
    }

    @Test func kindNamesAreStable() {
        #expect(StagingError.Kind.parser.description == "parser")
        #expect(StagingError.Kind.interrupted.description == "interrupted")
        #expect(StagingError(kind: .io, message: "m").description == "StagingError(io): m")
    }
}
