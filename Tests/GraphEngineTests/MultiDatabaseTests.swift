import Foundation
import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    @Suite("Many databases in one process")
    struct MultiDatabaseTests {
        @Test("50 databases open at once with explicit memory settings: created, written, queried, closed", .slow)
        func fiftyDatabases() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let configuration = DatabaseConfiguration(
                bufferPoolSize: 64 * DatabaseConfiguration.mebibyte,
                maxDatabaseSize: 64 * DatabaseConfiguration.gibibyte,
                maxThreads: 1)
            var databases: [Database] = []
            defer { databases.forEach { $0.close() } }
            for index in 0..<50 {
                let database = try Database(path: directory.path("tenant-\(index)"), configuration: configuration)
                databases.append(database)
                let connection = try database.connect()
                _ = try connection.query("CREATE NODE TABLE Item(id INT64 PRIMARY KEY, tenant INT64)")
                _ = try connection.execute(
                    "UNWIND range(1, $n) AS i CREATE (:Item {id: i, tenant: $tenant})",
                    parameters: ["n": .int64(Int64(index + 1)), "tenant": .int64(Int64(index))])
            }
            // All 50 open together: each answers with its own data.
            for (index, database) in databases.enumerated() {
                let row = try database.connect().query("MATCH (i:Item) RETURN count(*), min(i.tenant), max(i.tenant)")
                    .next()
                #expect(row == [.int64(Int64(index + 1)), .int64(Int64(index)), .int64(Int64(index))])
            }
            for database in databases {
                database.close()
                #expect(database.isClosed)
            }
            // Closed means released: each reopens.
            for index in [0, 25, 49] {
                let database = try Database(path: directory.path("tenant-\(index)"), configuration: configuration)
                #expect(try database.connect().scalar("MATCH (i:Item) RETURN count(*)") == .int64(Int64(index + 1)))
                database.close()
            }
        }
    }
}
