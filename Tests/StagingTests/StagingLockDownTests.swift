import Foundation
import Staging
import Testing

@Suite("Locking an instance down to one directory")
struct StagingLockDownTests {
    /// A database file inside `<tmp>/graph/`, locked down to that folder, plus a file outside it.
    struct Fixture {
        let root: TemporaryDirectory
        let folder: String
        let outsideFile: String
        let database: StagingDatabase
        let connection: StagingConnection

        init(loadHttpfs: Bool = false) throws {
            root = try TemporaryDirectory()
            folder = try root.subdirectory("graph")
            let outside = try root.subdirectory("outside")
            outsideFile = outside + "/secret.csv"
            try "a,b\n1,secret\n".write(toFile: outsideFile, atomically: true, encoding: .utf8)
            database = try StagingDatabase(path: folder + "/staging.duckdb", configuration: StagingTestSupport.configuration)
            if loadHttpfs { try database.loadExtension(at: StagingTestSupport.httpfsPath()) }
            try database.lockDown(to: folder)
            connection = try database.connect()
        }
    }

    @Test func readsAndWritesInsideItsFolder() throws {
        let fixture = try Fixture()
        #expect(fixture.database.lockedDirectory == fixture.folder)
        let file = StagingSQL.literal(fixture.folder + "/x.parquet")
        try fixture.connection.execute("COPY (SELECT range AS id FROM range(10)) TO \(file) (FORMAT parquet)")
        #expect(try fixture.connection.scalar("SELECT sum(id) FROM read_parquet(\(file))") == .hugeint(45))
        try fixture.connection.execute("CREATE TABLE staged AS SELECT * FROM read_parquet(\(file))")
        #expect(try fixture.connection.scalar("SELECT count(*) FROM staged") == .int(10))
    }

    @Test(arguments: [
        "SELECT * FROM read_parquet('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv(OUTSIDE)",
        "SELECT * FROM read_csv(FOLDER || '/../outside/secret.csv')",
        "SELECT * FROM glob('/tmp/*')",
        "COPY (SELECT 1) TO OUTSIDE_NEW",
        "ATTACH OUTSIDE_DB AS other",
        "SELECT * FROM read_csv('http://127.0.0.1:1/x.csv')",
    ])
    func refusesEveryOtherPath(sql: String) throws {
        let fixture = try Fixture()
        let outsideFolder = fixture.root.path + "/outside"
        let statement = sql
            .replacingOccurrences(of: "OUTSIDE_NEW", with: StagingSQL.literal(outsideFolder + "/new.csv"))
            .replacingOccurrences(of: "OUTSIDE_DB", with: StagingSQL.literal(outsideFolder + "/other.duckdb"))
            .replacingOccurrences(of: "OUTSIDE", with: StagingSQL.literal(fixture.outsideFile))
            .replacingOccurrences(of: "FOLDER", with: StagingSQL.literal(fixture.folder))
        let error = stagingError { try fixture.connection.execute(statement) }
        #expect(error?.kind == .permission, "\(statement) → \(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: outsideFolder + "/new.csv"))
        #expect(!FileManager.default.fileExists(atPath: outsideFolder + "/other.duckdb"))
    }

    @Test func symlinkLeadingOutIsRefused() throws {
        let fixture = try Fixture()
        try FileManager.default.createSymbolicLink(
            atPath: fixture.folder + "/link", withDestinationPath: fixture.root.path + "/outside")
        let error = stagingError {
            try fixture.connection.execute("SELECT * FROM read_csv(\(StagingSQL.literal(fixture.folder + "/link/secret.csv")))")
        }
        #expect(error?.kind == .permission)
    }

    @Test(arguments: [
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET allowed_directories",
        "SET allowed_directories = ['/']",
        "SET GLOBAL enable_external_access = true",
    ])
    func cannotBeUnlocked(sql: String) throws {
        let fixture = try Fixture()
        let error = stagingError { try fixture.connection.execute(sql) }
        #expect(error != nil)
        #expect(error?.message.contains("locked") == true)
        // Still refused afterwards, from a fresh connection too.
        let fresh = try fixture.database.connect()
        #expect(stagingError { try fresh.execute("SELECT * FROM read_csv(\(StagingSQL.literal(fixture.outsideFile)))") }?.kind
            == .permission)
    }

    @Test func extensionsCannotBeLoaded() throws {
        let fixture = try Fixture()
        let load = stagingError { try fixture.connection.execute("LOAD \(StagingSQL.literal(try StagingTestSupport.httpfsPath()))") }
        #expect(load?.kind == .permission)
        #expect(stagingError { try fixture.connection.execute("INSTALL httpfs") }?.kind == .permission)
    }

    @Test func networkStaysClosedEvenWithHttpfsLoaded() throws {
        // httpfs was loaded before the lock-down, yet s3:// and https:// stay out of reach.
        let fixture = try Fixture(loadHttpfs: true)
        for url in ["s3://bucket/x.parquet", "https://example.com/x.parquet"] {
            let read = stagingError { try fixture.connection.execute("SELECT * FROM read_parquet(\(StagingSQL.literal(url)))") }
            #expect(read?.kind == .permission, "\(url) → \(String(describing: read))")
        }
    }

    @Test func lockDownNeedsAnAbsoluteFolder() throws {
        let database = try StagingDatabase.inMemory(configuration: StagingTestSupport.configuration)
        #expect(stagingError { try database.lockDown(to: "relative/dir") }?.kind == .invalidInput)
        #expect(stagingError { try database.lockDown(to: "/") }?.kind == .invalidInput)
        #expect(database.lockedDirectory == nil)
    }
}
