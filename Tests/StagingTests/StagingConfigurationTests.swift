import Staging
import Testing

@Suite("Opening databases with explicit settings")
struct StagingConfigurationTests {
    @Test func memoryLimitAndThreadsAreApplied() throws {
        let database = try StagingDatabase.inMemory(
            configuration: StagingConfiguration(memoryLimit: .mebibytes(100), threads: 1))
        let connection = try database.connect()
        #expect(try connection.scalar("SELECT current_setting('memory_limit')") == .string("100.0 MiB"))
        #expect(try connection.scalar("SELECT current_setting('threads')") == .int(1))
    }

    @Test func memoryLimitInBytesAndTempDirectory() throws {
        let directory = try TemporaryDirectory()
        let spill = try directory.subdirectory("spill")
        let database = try StagingDatabase.inMemory(
            configuration: StagingConfiguration(
                memoryLimit: .bytes(268_435_456), threads: 2, tempDirectory: spill,
                maxTempDirectorySize: .mebibytes(512)))
        let connection = try database.connect()
        #expect(try connection.scalar("SELECT current_setting('memory_limit')") == .string("256.0 MiB"))
        #expect(try connection.scalar("SELECT current_setting('temp_directory')") == .string(spill))
        #expect(try connection.scalar("SELECT current_setting('autoinstall_known_extensions')") == .bool(false))
    }

    @Test func invalidSettingsFailAtOpen() {
        let badValue = stagingError {
            _ = try StagingDatabase.inMemory(
                configuration: StagingConfiguration(memoryLimit: StagingSize(duckDBText: "lots"), threads: 1))
        }
        #expect(badValue?.kind == .invalidConfiguration)
        #expect(badValue?.message.contains("memory_limit") == true)

        let unknown = stagingError {
            _ = try StagingDatabase.inMemory(
                configuration: StagingConfiguration(
                    memoryLimit: .mebibytes(64), threads: 1, additionalOptions: ["no_such_option": "1"]))
        }
        #expect(unknown?.message.contains("no_such_option") == true)

        let noThreads = stagingError {
            _ = try StagingDatabase.inMemory(configuration: StagingConfiguration(memoryLimit: .mebibytes(64), threads: 0))
        }
        #expect(noThreads?.kind == .invalidConfiguration)
    }

    @Test func fileDatabaseKeepsDataAcrossReopen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("staging.duckdb")
        do {
            let database = try StagingDatabase(path: path, configuration: StagingTestSupport.configuration)
            let connection = try database.connect()
            #expect(try connection.execute("CREATE TABLE t (id BIGINT); INSERT INTO t SELECT range FROM range(10)") == 10)
            connection.close()
            database.close()
            #expect(database.isClosed)
            #expect(stagingError { _ = try database.connect() }?.kind == .closed)
            #expect(stagingError { try connection.execute("SELECT 1") }?.kind == .closed)
        }
        let reopened = try StagingDatabase(path: path, configuration: StagingTestSupport.configuration)
        #expect(try reopened.connect().scalar("SELECT sum(id) FROM t") == .hugeint(45))
    }

    @Test func openingAFileInAMissingFolderFails() {
        let error = stagingError {
            _ = try StagingDatabase(path: "/nonexistent-\(Int.random(in: 0..<1_000_000))/x.duckdb",
                configuration: StagingTestSupport.configuration)
        }
        #expect(error != nil)
        #expect(error?.message.isEmpty == false)
    }

    @Test func duckDBVersionIsPinned() {
        #expect(StagingVersion.duckdb == "v1.5.5")
    }
}
