import Foundation
import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    @Suite("Read-only statements and databases")
    struct ReadOnlyTests {
        @Test("the engine classifies statements as read-only or not")
        func classification() throws {
            try withTestDatabase { database, directory in
                let connection = try database.connect()
                _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY, age INT64)")
                _ = try connection.query("CREATE REL TABLE K(FROM P TO P)")
                let csv = directory.path("people.csv")
                try "id,age\n1,10\n2,20\n".write(toFile: csv, atomically: true, encoding: .utf8)
                let readOnly = [
                    "MATCH (p:P) RETURN p.id",
                    "RETURN 1",
                    "MATCH (a:P)-[:K]->(b:P) RETURN count(*)",
                    "UNWIND [1, 2] AS x RETURN x",
                    "CALL show_tables() RETURN *",
                ]
                let writing = [
                    "CREATE (:P {id: 1})",
                    "MATCH (p:P) SET p.age = 1",
                    "MATCH (p:P) DELETE p",
                    "MERGE (:P {id: 3})",
                    "CREATE NODE TABLE Q(id INT64 PRIMARY KEY)",
                    "ALTER TABLE P ADD name STRING",
                    "DROP TABLE K",
                    "COPY P FROM '\(csv)' (header=true)",
                ]
                for text in readOnly {
                    #expect(try connection.prepare(text).isReadOnly, "\(text)")
                }
                for text in writing {
                    #expect(try !connection.prepare(text).isReadOnly, "\(text)")
                }
            }
        }

        @Test("a database opened read-only refuses writes with kind readOnly and still reads")
        func readOnlyDatabase() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let path = directory.path("db")
            do {
                let database = try Database(path: path, configuration: testConfiguration)
                let connection = try database.connect()
                _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY)")
                _ = try connection.query("CREATE (:P {id: 1})")
                database.close()
            }
            var configuration = testConfiguration
            configuration.readOnly = true
            let database = try Database(path: path, configuration: configuration)
            defer { database.close() }
            let connection = try database.connect()
            #expect(try connection.scalar("MATCH (p:P) RETURN count(*)") == .int64(1))
            for text in ["CREATE (:P {id: 2})", "CREATE NODE TABLE Q(id INT64 PRIMARY KEY)", "MATCH (p:P) DELETE p"] {
                let error = engineError { try connection.query(text) }
                #expect(error?.kind == .readOnly, "\(text): \(String(describing: error))")
                #expect(error?.message.contains("read-only") == true)
            }
            // Several read-only opens of one file are allowed.
            let second = try Database(path: path, configuration: configuration)
            #expect(try second.connect().scalar("MATCH (p:P) RETURN count(*)") == .int64(1))
            second.close()
        }

        @Test("opening a missing database read-only fails with kind open")
        func readOnlyMissing() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            var configuration = testConfiguration
            configuration.readOnly = true
            let error = engineError { try Database(path: directory.path("missing"), configuration: configuration) }
            #expect(error?.kind == .open)
        }
    }
}
