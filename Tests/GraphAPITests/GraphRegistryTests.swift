import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Logging
import Testing

@testable import GraphAPI
@testable import GraphService

extension TestServer {
    /// Runs `body` with a server whose registry the tests drive directly (eight engine threads).
    static func withRegistry(
        maxDatabases: Int = 10, maxOpen: Int = 4, connections: Int = 2, waitMilliseconds: Int = 2_000, readOnlyNode: Bool = false,
        _ body: (TestServer) async throws -> Void
    ) async throws {
        try await withServer(configure: { configuration in
            configuration.maxDatabases = maxDatabases
            configuration.maxOpenDatabases = maxOpen
            configuration.connectionsPerDatabase = connections
            configuration.connectionWaitMilliseconds = waitMilliseconds
            configuration.nodeType = readOnlyNode ? .sharedReplica : .writer
            configuration.engineThreads = 8
            configuration.threadsPerQuery = 1
        }, body)
    }

    static let personDDL = ["CREATE NODE TABLE Person(id INT64 PRIMARY KEY, name STRING, age INT64)"]

    /// The engine's thread pool.
    var executor: EngineExecutor { node.executor }

    /// Creates a graph through the registry.
    func create(_ name: String, ddl: [String] = personDDL) async throws -> GraphID {
        let id = try GraphID(validating: name)
        try await registry.create(id, metadata: GraphMetadata(graphID: name, schemaType: .custom, repositoryName: nil, readOnly: false), ddl: ddl)
        return id
    }

    /// Runs a statement through the registry.
    func query(_ id: GraphID, _ cypher: String) async throws -> [[Value]] {
        let executor = self.executor
        return try await registry.withConnection(to: id) { _, connection in
            try await connection.run(cypher, on: executor).allRowsOnExecutor(executor)
        }
    }
}

extension QueryResult {
    func allRowsOnExecutor(_ executor: EngineExecutor) async throws -> [[Value]] {
        try await executor.run { try self.allRows() }
    }
}

@Suite struct GraphRegistryTests {
    @Test func createListsWithoutOpeningAndOpensLazily() async throws {
        try await TestServer.withRegistry { fixture in
            let id = try await fixture.create("alpha")
            #expect(fixture.registry.graphIDs() == [id])
            #expect(try fixture.registry.metadata(of: id).schemaType == .custom)
            #expect(fixture.registry.sizeBytes(of: id) > 0)
            #expect(await fixture.registry.openCount == 0)
            #expect(FileManager.default.fileExists(atPath: fixture.registry.databaseFile(of: id)))

            _ = try await fixture.query(id, "CREATE (:Person {id: 1, name: 'Ada', age: 36})")
            let rows = try await fixture.query(id, "MATCH (p:Person) RETURN p.name")
            #expect(rows == [[.string("Ada")]])
            #expect(await fixture.registry.isOpen(id))
        }
    }

    @Test func createRefusesDuplicatesCapacityAndReadOnlyNodes() async throws {
        try await TestServer.withRegistry(maxDatabases: 2) { fixture in
            _ = try await fixture.create("a")
            await #expect { try await fixture.create("a") } throws: { ($0 as? ServiceError)?.category == .conflict }
            _ = try await fixture.create("b")
            await #expect { try await fixture.create("c") } throws: { ($0 as? ServiceError)?.category == .insufficientStorage }
        }

        try await TestServer.withRegistry(readOnlyNode: true) { readOnly in
            await #expect { try await readOnly.create("a") } throws: { ($0 as? ServiceError)?.category == .forbidden }
        }
    }

    @Test func failingDDLLeavesNothingBehind() async throws {
        try await TestServer.withRegistry { fixture in
            await #expect {
                try await fixture.create("broken", ddl: ["CREATE NODE TABLE A(id INT64 PRIMARY KEY)", "CREATE NODE TABLE B(id NOPE PRIMARY KEY)"])
            } throws: { error in
                guard let error = error as? ServiceError else { return false }
                return error.code == .schemaError && error.message.contains("statement 2")
            }
            #expect(fixture.registry.graphIDs().isEmpty)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.registry.dataDirectory.databasesPath)
            #expect(leftovers.isEmpty)
        }
    }

    @Test func keepsAtMostMaxOpenDatabasesClosingTheLeastRecentlyUsed() async throws {
        try await TestServer.withRegistry(maxOpen: 2) { fixture in
            let a = try await fixture.create("a")
            let b = try await fixture.create("b")
            let c = try await fixture.create("c")
            _ = try await fixture.query(a, "RETURN 1")
            _ = try await fixture.query(b, "RETURN 1")
            _ = try await fixture.query(a, "RETURN 1")  // b is now the least recently used
            _ = try await fixture.query(c, "RETURN 1")
            #expect(await fixture.registry.openCount == 2)
            #expect(await fixture.registry.isOpen(a))
            #expect(await !fixture.registry.isOpen(b))
            #expect(await fixture.registry.isOpen(c))
            // A closed database reopens with its data.
            _ = try await fixture.query(b, "CREATE (:Person {id: 7, name: 'B', age: 1})")
            #expect(try await fixture.query(b, "MATCH (p:Person) RETURN p.id") == [[.int64(7)]])
        }
    }

    @Test func busyDatabaseAnswers503AfterTheConnectionWait() async throws {
        try await TestServer.withRegistry(connections: 1, waitMilliseconds: 200) { fixture in
            let id = try await fixture.create("busy")
            let release = TaskGate()
            let holding = Task {
                try await fixture.registry.withConnection(to: id) { _, _ in await release.wait() }
            }
            // Wait until the holder really has the only connection; it keeps it until released.
            #expect(try await eventually { await fixture.registry.leasedConnections == 1 })
            let start = ContinuousClock.now
            await #expect {
                try await fixture.query(id, "RETURN 1")
            } throws: { error in
                guard let error = error as? ServiceError else { return false }
                return error.category == .unavailable && error.retryAfterSeconds != nil
            }
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            release.open()
            try await holding.value
            // Free again.
            #expect(try await fixture.query(id, "RETURN 1") == [[.int64(1)]])
        }
    }

    @Test func deleteInterruptsRunningQueriesAndRemovesEveryFile() async throws {
        try await TestServer.withRegistry { fixture in
            let id = try await fixture.create("doomed")
            _ = try await fixture.query(id, "UNWIND range(1, 3000) AS i CREATE (:Person {id: i, name: 'p', age: i})")
            let long = Task {
                try await fixture.query(
                    id, "MATCH (a:Person), (b:Person), (c:Person) WHERE a.age + b.age + c.age = -1 RETURN count(*)"
                )
            }
            #expect(try await eventually { await fixture.registry.leasedConnections == 1 })
            // Uninterrupted, the query would run for minutes: a bound a loaded machine keeps.
            let start = ContinuousClock.now
            try await fixture.registry.delete(id)
            #expect(ContinuousClock.now - start < .seconds(60))
            await #expect(throws: (any Error).self) { try await long.value }
            #expect(!FileManager.default.fileExists(atPath: fixture.registry.folder(of: id)))
            #expect(fixture.registry.graphIDs().isEmpty)
            await #expect { try await fixture.query(id, "RETURN 1") } throws: { ($0 as? ServiceError)?.category == .notFound }
            await #expect { try await fixture.registry.delete(id) } throws: { ($0 as? ServiceError)?.category == .notFound }
        }
    }

    @Test func shutdownCheckpointsAndDataSurvivesANewRegistry() async throws {
        try await TestServer.withRegistry { fixture in
            let id = try await fixture.create("durable")
            _ = try await fixture.query(id, "UNWIND range(1, 100) AS i CREATE (:Person {id: i, name: 'p', age: i})")
            await fixture.registry.shutdown()
            await #expect { try await fixture.query(id, "RETURN 1") } throws: { ($0 as? ServiceError)?.category == .unavailable }
            let reopened = GraphRegistry(
                dataDirectory: fixture.registry.dataDirectory, settings: fixture.registry.settings, executor: fixture.executor,
                logger: Logger(label: "test")
            )
            let rows = try await reopened.withConnection(to: id) { _, connection in
                try await connection.run("MATCH (p:Person) RETURN count(*)", on: fixture.executor).allRowsOnExecutor(fixture.executor)
            }
            #expect(rows == [[.int64(100)]])
            #expect(try fixture.registry.metadata(of: id).lastAccessed != nil)
            await reopened.shutdown()
        }
    }
}
