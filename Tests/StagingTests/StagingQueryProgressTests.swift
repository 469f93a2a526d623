import Foundation
import Staging
import Synchronization
import Testing

/// DuckDB's progress of a running statement, read from another thread
/// (``StagingConnection/queryProgress()``), on a connection of a locked-down instance.
@Suite("Progress of a running statement")
struct StagingQueryProgressTests {
    /// A locked-down instance with a Parquet file of many row groups inside its folder, and a
    /// connection that reports progress, made before the lock-down.
    struct Fixture {
        let root: TemporaryDirectory
        let folder: String
        let database: StagingDatabase
        let reporting: StagingConnection
        let file: String

        init() throws {
            root = try TemporaryDirectory()
            folder = try root.subdirectory("graph")
            file = folder + "/rows.parquet"
            database = try StagingDatabase.inMemory(configuration: StagingTestSupport.configuration)
            let setup = try database.connect()
            defer { setup.close() }
            try setup.execute(
                "COPY (SELECT range AS id, 'name ' || range AS name FROM range(2000000)) TO \(StagingSQL.literal(file)) (FORMAT parquet, ROW_GROUP_SIZE 20000)"
            )
            reporting = try database.connect()
            try reporting.enableProgressReporting()
            try database.lockDown(to: folder)
        }

        /// A statement that reads every row group of the file (seconds, not milliseconds).
        var longStatement: String {
            "COPY (SELECT DISTINCT ON (id) * FROM read_parquet(\(StagingSQL.literal(file)))) TO \(StagingSQL.literal(folder + "/out.parquet")) (FORMAT parquet)"
        }

        /// Runs `sql` on `connection` on another thread; polls `queryProgress()` until the
        /// statement ends, and returns every value seen.
        func progress(of sql: String, on connection: StagingConnection) throws -> [StagingQueryProgress] {
            let finished = Mutex<Result<Int, StagingError>?>(nil)
            let thread = Thread {
                let outcome = Result { () throws(StagingError) -> Int in try connection.execute(sql) }
                finished.withLock { $0 = outcome }
            }
            thread.start()
            var seen: [StagingQueryProgress] = []
            while finished.withLock({ $0 }) == nil {
                if let value = connection.queryProgress(), value != seen.last { seen.append(value) }
                usleep(1_000)
            }
            _ = try finished.withLock { $0 }!.get()
            return seen
        }
    }

    @Test func aConnectionMadeBeforeTheLockDownReportsItsStatementWhileItRuns() throws {
        let fixture = try Fixture()
        defer { fixture.database.close() }
        #expect(fixture.reporting.queryProgress() == nil)
        let seen = try fixture.progress(of: fixture.longStatement, on: fixture.reporting)
        let between = seen.filter { $0.percentage > 0 && $0.percentage < 100 && $0.rowsProcessed > 0 }
        #expect(!between.isEmpty, "\(seen)")
        #expect(between.allSatisfy { $0.totalRowsToProcess >= $0.rowsProcessed }, "\(seen)")
        // It is confined like every other connection of the instance.
        let error = stagingError { try fixture.reporting.execute("SELECT * FROM read_csv('/etc/passwd')") }
        #expect(error?.kind == .permission, "\(String(describing: error))")
        fixture.reporting.close()
        #expect(fixture.reporting.queryProgress() == nil)
    }

    @Test func afterTheLockDownNoConnectionCanTurnItOn() throws {
        let fixture = try Fixture()
        defer { fixture.database.close() }
        let later = try fixture.database.connect()
        defer { later.close() }
        let error = stagingError { try later.enableProgressReporting() }
        #expect(error != nil)
        #expect(error?.message.contains("locked") == true, "\(String(describing: error))")
        // Without it, DuckDB keeps no progress.
        let seen = try fixture.progress(of: fixture.longStatement, on: later)
        #expect(seen.isEmpty, "\(seen)")
    }
}
