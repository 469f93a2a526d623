import Staging
import Testing

@Suite("Binding parameters through prepared statements")
struct StagingParameterTests {
    @Test func scalarParametersBind() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let result = try connection.query(
            "SELECT ?::BIGINT + 1, ?::DOUBLE * 2, ? || '!', ? IS NULL, NOT ?",
            parameters: [.int(41), .double(1.25), .string("hi"), .null, .bool(false)])
        #expect(result.rows() == [[.int(42), .double(2.5), .string("hi!"), .bool(true), .bool(true)]])
    }

    @Test func numberedParametersCanRepeat() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        #expect(try connection.scalar("SELECT $1::INTEGER * 10 + $1::INTEGER + $2::INTEGER", parameters: [.int(2), .int(3)])
            == .int(25))
    }

    @Test func temporalDecimalBlobAndHugeParametersBind() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let values: [StagingValue] = [
            .date(StagingDate(year: 2024, month: 1, day: 2)),
            .timestamp(StagingTimestamp(microsecondsSinceEpoch: 1_704_164_645_000_000)),
            .decimal("12.34"), .blob([0, 1, 255]), .blob([]), .hugeint(Int128.min), .uhugeint(UInt128.max),
            .uint(UInt64.max), .float(0.5),
            .interval(StagingInterval(months: 1, days: 2, microseconds: 3)),
            .uuid("f47ac10b-58cc-4372-a567-0e02b2c3d479"),
            .time(StagingTime(microsecondsSinceMidnight: 1_000_000)),
        ]
        let result = try connection.query(
            """
            SELECT ?::DATE, ?::TIMESTAMP, ?::DECIMAL(6,2), ?::BLOB, ?::BLOB, ?::HUGEINT, ?::UHUGEINT,
                   ?::UBIGINT, ?::FLOAT, ?::INTERVAL, ?::UUID, ?::TIME
            """,
            parameters: values)
        #expect(result.rows() == [values])
    }

    @Test func parametersAreNeverSpliced() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        try connection.execute("CREATE TABLE t AS SELECT 1 AS a")
        let hostile = "x'); DROP TABLE t; --"
        #expect(try connection.scalar("SELECT ?", parameters: [.string(hostile)]) == .string(hostile))
        #expect(try connection.scalar("SELECT count(*) FROM t") == .int(1))
    }

    @Test func wrongParameterCountIsAClearError() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let tooFew = stagingError { _ = try connection.query("SELECT ?, ?", parameters: [.int(1)]) }
        #expect(tooFew?.kind == .parameterCount)
        #expect(tooFew?.message == "The statement expects 2 parameter(s) but 1 were given")
        let tooMany = stagingError { _ = try connection.query("SELECT 1", parameters: [.int(1)]) }
        #expect(tooMany?.kind == .parameterCount)
    }

    @Test func nestedValuesAreRefusedAsParameters() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let error = stagingError { _ = try connection.query("SELECT ?", parameters: [.list([.int(1)])]) }
        #expect(error?.kind == .unsupportedParameter)
    }

    @Test func preparedStatementRunsRepeatedly() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        try connection.execute("CREATE TABLE t AS SELECT range AS id, 'n' || range AS name FROM range(100)")
        let statement = try connection.prepare("SELECT name FROM t WHERE id = ?")
        #expect(statement.parameterCount == 1)
        #expect(statement.isSelect)
        #expect(statement.columns == [StagingColumn(name: "name", type: .varchar)])
        for id in [3, 50, 99] {
            #expect(try statement.execute([.int(Int64(id))]).rows() == [[.string("n\(id)")]])
        }
        #expect(try statement.execute([.int(1000)]).rows().isEmpty)
        statement.close()
        #expect(stagingError { _ = try statement.execute([.int(1)]) }?.kind == .closed)
    }
}
