import Staging
import Testing

@Suite("Finding the pinned httpfs extension")
struct StagingExtensionLocatorTests {
    @Test func findsTheExtensionBelowThePackageFolderFromAnyDescendant() throws {
        let locator = StagingExtensionLocator(
            environmentPath: nil, searchDirectories: [StagingTestSupport.packageDirectory + "/Tests/StagingTests"])
        let path = try locator.httpfsPath()
        #expect(path == StagingTestSupport.packageDirectory + "/" + StagingExtensionLocator.httpfsRelativePath)
    }

    @Test func environmentVariableWinsAndMustPointAtAFile() throws {
        let real = try StagingExtensionLocator(environmentPath: nil, searchDirectories: [StagingTestSupport.packageDirectory])
            .httpfsPath()
        #expect(try StagingExtensionLocator(environmentPath: real, searchDirectories: []).httpfsPath() == real)
        let wrong = StagingExtensionLocator(
            environmentPath: "/nonexistent/httpfs.duckdb_extension", searchDirectories: [StagingTestSupport.packageDirectory])
        let error = stagingError { _ = try wrong.httpfsPath() }
        #expect(error?.kind == .extensionNotFound)
        #expect(error?.message.contains(StagingExtensionLocator.httpfsEnvironmentVariable) == true)
    }

    @Test func missingExtensionIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let error = stagingError {
            _ = try StagingExtensionLocator(environmentPath: nil, searchDirectories: [directory.path]).httpfsPath()
        }
        #expect(error?.kind == .extensionNotFound)
        #expect(error?.message.contains("scripts/setup-engines.sh") == true)
    }

    @Test func theFoundFileLoadsIntoDuckDB() throws {
        let database = try StagingDatabase.inMemory(configuration: StagingTestSupport.configuration)
        try database.loadExtension(at: StagingTestSupport.httpfsPath())
        let connection = try database.connect()
        #expect(try connection.scalar("SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'") == .bool(true))
        #expect(stagingError { try database.loadExtension(at: "relative.duckdb_extension") }?.kind == .invalidInput)
    }
}
