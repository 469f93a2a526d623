import Testing
@testable import Staging
@Test func version() { #expect(!StagingVersion.duckdb.isEmpty) }
