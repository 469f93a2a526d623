import Staging
import Testing

@Suite("Decoding result vectors")
struct StagingValueDecodingTests {
    /// One expression, its expected value and (optionally) its expected SQL type.
    struct Case: Sendable, CustomStringConvertible {
        let sql: String
        let value: StagingValue
        var type: String? = nil
        var description: String { sql }
    }

    static let scalarCases: [Case] = [
        Case(sql: "NULL::INTEGER", value: .null, type: "INTEGER"),
        Case(sql: "true", value: .bool(true), type: "BOOLEAN"),
        Case(sql: "(-7)::TINYINT", value: .int(-7), type: "TINYINT"),
        Case(sql: "(-300)::SMALLINT", value: .int(-300)),
        Case(sql: "2147483647::INTEGER", value: .int(2_147_483_647)),
        Case(sql: "(-9223372036854775808)::BIGINT", value: .int(Int64.min), type: "BIGINT"),
        Case(sql: "200::UTINYINT", value: .uint(200), type: "UTINYINT"),
        Case(sql: "18446744073709551615::UBIGINT", value: .uint(UInt64.max)),
        Case(sql: "170141183460469231731687303715884105727::HUGEINT", value: .hugeint(Int128.max), type: "HUGEINT"),
        Case(sql: "(-170141183460469231731687303715884105727)::HUGEINT - 1", value: .hugeint(Int128.min)),
        Case(sql: "(-5)::HUGEINT", value: .hugeint(-5)),
        Case(sql: "340282366920938463463374607431768211455::UHUGEINT", value: .uhugeint(UInt128.max)),
        Case(sql: "1.5::FLOAT", value: .float(1.5), type: "FLOAT"),
        Case(sql: "2.25::DOUBLE", value: .double(2.25), type: "DOUBLE"),
        Case(sql: "12.5::DECIMAL(4,2)", value: .decimal("12.50"), type: "DECIMAL(4,2)"),
        Case(sql: "(-0.05)::DECIMAL(9,2)", value: .decimal("-0.05"), type: "DECIMAL(9,2)"),
        Case(sql: "1234567.891::DECIMAL(18,3)", value: .decimal("1234567.891")),
        Case(sql: "(-123456789012345678901234567.123)::DECIMAL(38,3)", value: .decimal("-123456789012345678901234567.123")),
        Case(sql: "42::DECIMAL(10,0)", value: .decimal("42")),
        Case(sql: "'héllo'", value: .string("héllo"), type: "VARCHAR"),
        Case(sql: "'a string longer than twelve bytes ✓'", value: .string("a string longer than twelve bytes ✓")),
        Case(sql: "''", value: .string("")),
        Case(sql: "'\\xAA\\x00AB'::BLOB", value: .blob([0xAA, 0x00, 0x41, 0x42]), type: "BLOB"),
        Case(sql: "'0101100110'::BIT", value: .string("0101100110"), type: "BIT"),
        Case(sql: "'f47ac10b-58cc-4372-a567-0e02b2c3d479'::UUID", value: .uuid("f47ac10b-58cc-4372-a567-0e02b2c3d479"), type: "UUID"),
        Case(sql: "'00000000-0000-0000-0000-000000000001'::UUID", value: .uuid("00000000-0000-0000-0000-000000000001")),
        Case(sql: "DATE '2024-01-02'", value: .date(StagingDate(year: 2024, month: 1, day: 2)), type: "DATE"),
        Case(sql: "DATE '1969-12-31'", value: .date(StagingDate(daysSinceEpoch: -1))),
        Case(sql: "TIME '03:04:05.25'", value: .time(StagingTime(microsecondsSinceMidnight: 11_045_250_000)), type: "TIME"),
        Case(sql: "TIMESTAMP '2024-01-02 03:04:05'",
            value: .timestamp(StagingTimestamp(microsecondsSinceEpoch: 1_704_164_645_000_000)), type: "TIMESTAMP"),
        Case(sql: "TIMESTAMP_S '2024-01-02 03:04:05'",
            value: .timestamp(StagingTimestamp(microsecondsSinceEpoch: 1_704_164_645_000_000)), type: "TIMESTAMP_S"),
        Case(sql: "TIMESTAMP_MS '2024-01-02 03:04:05.123'",
            value: .timestamp(StagingTimestamp(microsecondsSinceEpoch: 1_704_164_645_123_000)), type: "TIMESTAMP_MS"),
        Case(sql: "TIMESTAMP_NS '2024-01-02 03:04:05.123456789'",
            value: .timestamp(StagingTimestamp(microsecondsSinceEpoch: 1_704_164_645_123_456, nanosecondRemainder: 789)),
            type: "TIMESTAMP_NS"),
        Case(sql: "INTERVAL '1 day 2 hours'", value: .interval(StagingInterval(months: 0, days: 1, microseconds: 7_200_000_000)),
            type: "INTERVAL"),
        Case(sql: "[1, 2, NULL]", value: .list([.int(1), .int(2), .null]), type: "INTEGER[]"),
        Case(sql: "[[1], [], [2, 3]]", value: .list([.list([.int(1)]), .list([]), .list([.int(2), .int(3)])]),
            type: "INTEGER[][]"),
        Case(sql: "['a', NULL]", value: .list([.string("a"), .null]), type: "VARCHAR[]"),
        Case(sql: "[1, 2, 3]::INTEGER[3]", value: .list([.int(1), .int(2), .int(3)]), type: "INTEGER[3]"),
        Case(sql: "{'a': 1, 'b': 'x'}",
            value: .struct([StagingStructField(name: "a", value: .int(1)), StagingStructField(name: "b", value: .string("x"))]),
            type: "STRUCT(\"a\" INTEGER, \"b\" VARCHAR)"),
        Case(sql: "MAP {'k': 1, 'l': NULL}",
            value: .map([StagingMapEntry(key: .string("k"), value: .int(1)), StagingMapEntry(key: .string("l"), value: .null)]),
            type: "MAP(VARCHAR, INTEGER)"),
        Case(sql: "union_value(num := 2)::UNION(num INTEGER, str VARCHAR)", value: .int(2)),
        Case(sql: "union_value(str := 'z')::UNION(num INTEGER, str VARCHAR)", value: .string("z")),
        Case(sql: "[{'x': [1]}]", value: .list([.struct([StagingStructField(name: "x", value: .list([.int(1)]))])])),
    ]

    @Test(arguments: scalarCases)
    func decodes(_ testCase: Case) throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let result = try connection.query("SELECT \(testCase.sql) AS v")
        #expect(result.columns.count == 1)
        if let type = testCase.type { #expect(result.columns[0].type.description == type) }
        #expect(result.rows() == [[testCase.value]])
    }

    @Test func textForms() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let row = try connection.query("""
            SELECT DATE '2024-01-02', DATE '0001-01-01', 'infinity'::DATE, TIME '03:04:05.25',
                   TIMESTAMP '1960-01-01 00:00:00.5', TIMESTAMP_NS '2024-01-02 03:04:05.123456789',
                   INTERVAL '1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds', INTERVAL '0 seconds',
                   TIMETZ '03:04:05+02', TIMESTAMPTZ '2024-01-02 03:04:05+00', [1, 2], {'a': 'x'}, 'ab\\x01'::BLOB
            """).rows()[0]
        #expect(row.map(\.description) == [
            "2024-01-02", "0001-01-01", "infinity", "03:04:05.25",
            "1960-01-01T00:00:00.5", "2024-01-02T03:04:05.123456789",
            "P1Y2M3DT4H5M6.5S", "PT0S",
            "03:04:05+02:00", "2024-01-02T03:04:05Z", "[1, 2]", "{'a': 'x'}", "ab\\x01",
        ])
        #expect(row[8] == .timeWithTimeZone(StagingTime(microsecondsSinceMidnight: 11_045_000_000), offsetSeconds: 7200))
    }

    @Test func enumValuesDecodeAsText() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        try connection.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
        let result = try connection.query("SELECT 'happy'::mood, NULL::mood")
        #expect(result.columns[0].type == .enumeration(["sad", "happy"]))
        #expect(result.rows() == [[.string("happy"), .null]])
    }

    @Test func chunksCoverEveryRowWithNulls() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let result = try connection.query(
            "SELECT range AS id, CASE WHEN range % 3 = 0 THEN NULL ELSE 'v' || range END AS label FROM range(5000) ORDER BY id")
        #expect(result.columnNames == ["id", "label"])
        #expect(result.columns.map(\.type) == [.bigint, .varchar])
        var sizes: [Int] = []
        var expected: Int64 = 0
        while let chunk = result.nextChunk() {
            sizes.append(chunk.count)
            #expect(chunk.columnCount == 2)
            for row in 0..<chunk.count {
                #expect(chunk.value(row: row, column: 0) == .int(expected))
                #expect(chunk.isNull(row: row, column: 1) == (expected % 3 == 0))
                #expect(chunk.value(row: row, column: 1) == (expected % 3 == 0 ? .null : .string("v\(expected)")))
                expected += 1
            }
        }
        #expect(expected == 5000)
        #expect(result.rowsRead == 5000)
        #expect(sizes.allSatisfy { $0 <= 2048 } && sizes.count >= 3)
        #expect(result.nextChunk() == nil)
    }

    @Test func chunksStayReadableAfterTheResultCloses() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        let result = try connection.query("SELECT 'a string that is not inlined ' || range AS s FROM range(3)")
        let chunk = try #require(result.nextChunk())
        result.close()
        #expect(result.nextChunk() == nil)
        #expect(chunk.value(row: 2, column: 0) == .string("a string that is not inlined 2"))
    }

    @Test func dmlReportsRowsChanged() throws {
        let (_, connection) = try StagingTestSupport.openInMemory()
        #expect(try connection.execute("CREATE TABLE t (a INTEGER); INSERT INTO t SELECT range FROM range(7)") == 7)
        let update = try connection.query("UPDATE t SET a = a + 1 WHERE a < ?", parameters: [.int(3)])
        #expect(update.rowsChanged == 3)
        #expect(update.statementType == .update)
    }
}
