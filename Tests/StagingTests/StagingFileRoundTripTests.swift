import Staging
import Testing

@Suite("Writing and reading Parquet and CSV files")
struct StagingFileRoundTripTests {
    static let source = """
        CREATE TABLE people AS SELECT * FROM (VALUES
            (1, 'Ada', 36.5, true, DATE '1815-12-10', 12.50::DECIMAL(9,2), [1, 2]),
            (2, 'O''Brien', NULL, false, DATE '2024-02-29', -0.05::DECIMAL(9,2), []),
            (3, 'Zoë, "quoted"', 1e300, NULL, NULL, NULL, NULL)
        ) AS t(id, name, score, active, born, balance, tags)
        """

    @Test func parquetRoundTripKeepsValuesAndTypes() throws {
        // A folder name with a quote exercises literal quoting of paths.
        let directory = try TemporaryDirectory("staging-it's")
        let (_, connection) = try StagingTestSupport.openInMemory()
        try connection.execute(Self.source)
        let file = directory.file("x.parquet")
        #expect(try connection.execute("COPY people TO \(StagingSQL.literal(file)) (FORMAT parquet)") == 3)

        let original = try connection.query("SELECT * FROM people ORDER BY id")
        let readBack = try connection.query("SELECT * FROM read_parquet(\(StagingSQL.literal(file))) ORDER BY id")
        #expect(readBack.columns == original.columns)
        let rows = readBack.rows()
        #expect(rows == original.rows())
        #expect(rows.count == 3)
        #expect(rows[1][1] == .string("O'Brien"))
        #expect(rows[0][5] == .decimal("12.50"))
    }

    @Test func csvRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let (_, connection) = try StagingTestSupport.openInMemory()
        try connection.execute(Self.source)
        let file = directory.file("x.csv")
        try connection.execute(
            "COPY (SELECT id, name, score, active, born FROM people) TO \(StagingSQL.literal(file)) (FORMAT csv, HEADER)")
        let readBack = try connection.query(
            "SELECT id, name, score, active, born FROM read_csv(\(StagingSQL.literal(file)), header = true) ORDER BY id")
        #expect(readBack.columnNames == ["id", "name", "score", "active", "born"])
        #expect(readBack.rows() == [
            [.int(1), .string("Ada"), .double(36.5), .bool(true), .date(StagingDate(year: 1815, month: 12, day: 10))],
            [.int(2), .string("O'Brien"), .null, .bool(false), .date(StagingDate(year: 2024, month: 2, day: 29))],
            [.int(3), .string("Zoë, \"quoted\""), .double(1e300), .null, .null],
        ])
    }

    @Test func parquetGlobReadsSeveralFiles() throws {
        let directory = try TemporaryDirectory()
        let (_, connection) = try StagingTestSupport.openInMemory()
        for part in 0..<3 {
            try connection.execute("""
                COPY (SELECT range AS id FROM range(\(part * 100), \(part * 100 + 100)))
                TO \(StagingSQL.literal(directory.file("part-\(part).parquet"))) (FORMAT parquet)
                """)
        }
        let glob = StagingSQL.literal(directory.file("*.parquet"))
        #expect(try connection.query("SELECT count(*), sum(id) FROM read_parquet(\(glob))").rows()
            == [[.int(300), .hugeint(44_850)]])
    }
}
