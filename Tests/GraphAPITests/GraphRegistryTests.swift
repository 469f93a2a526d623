import Foundation
import GraphEngine
import HTTPTypes
import Logging
import Testing

@testable import GraphAPI
@testable import GraphService

/// A registry on a temporary data folder, removed afterwards.
final class RegistryFixture: Sendable {
    let directory: String
    let registry: GraphRegistry
    let executor: EngineExecutor

    init(
        maxDatabases: Int = 10, maxOpen: Int = 4, connections: Int = 2, wait: Duration = .seconds(2),
        readOnlyNode: Bool = false
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-registry-\(UUID().uuidString)").path
        executor = EngineExecutor(threadCount: 8)
        let settings = TenancySettings(
            maxDatabases: maxDatabases, maxOpenDatabases: maxOpen,
            database: DatabaseConfiguration(bufferPoolSize: 64 << 20, maxDatabaseSize: 1 << 34, maxThreads: 1),
            connectionsPerDatabase: connections, connectionWait: wait, readOnlyNode: readOnlyNode
        )
        registry = GraphRegistry(dataDirectory: try DataDirectory(path: directory), settings: settings, executor: executor, logger: Logger(label: "test"))
    }

    func tearDown() async {
        await registry.shutdown()
        try? await executor.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let personDDL = ["CREATE NODE TABLE Person(id INT64 PRIMARY KEY, name STRING, age INT64)"]

    func create(_ name: String, ddl: [String] = personDDL) async throws -> GraphID {
        let id = try GraphID(validating: name)
        try await registry.create(id, metadata: GraphMetadata(graphID: name, schemaType: .custom, repositoryName: nil, readOnly: false), ddl: ddl)
        return id
    }

    func query(_ id: GraphID, _ cypher: String) async throws -> [[Value]] {
        try await registry.withConnection(to: id) { _, connection in
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
        let fixture = try RegistryFixture()
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
        await fixture.tearDown()
    }

    @Test func createRefusesDuplicatesCapacityAndReadOnlyNodes() async throws {
        let fixture = try RegistryFixture(maxDatabases: 2)
        _ = try await fixture.create("a")
        await #expect { try await fixture.create("a") } throws: { ($0 as? ServiceError)?.category == .conflict }
        _ = try await fixture.create("b")
        await #expect { try await fixture.create("c") } throws: { ($0 as? ServiceError)?.category == .insufficientStorage }
        await fixture.tearDown()

        let readOnly = try RegistryFixture(readOnlyNode: true)
        await #expect { try await readOnly.create("a") } throws: { ($0 as? ServiceError)?.category == .forbidden }
        await readOnly.tearDown()
    }

    @Test func failingDDLLeavesNothingBehind() async throws {
        let fixture = try RegistryFixture()
        await #expect {
            try await fixture.create("broken", ddl: ["CREATE NODE TABLE A(id INT64 PRIMARY KEY)", "CREATE NODE TABLE B(id NOPE PRIMARY KEY)"])
        } throws: { error in
            guard let error = error as? ServiceError else { return false }
            return error.code == .schemaError && error.message.contains("statement 2")
        }
        #expect(fixture.registry.graphIDs().isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.registry.dataDirectory.databasesPath)
        #expect(leftovers.isEmpty)
        await fixture.tearDown()
    }

    @Test func keepsAtMostMaxOpenDatabasesClosingTheLeastRecentlyUsed() async throws {
        let fixture = try RegistryFixture(maxOpen: 2)
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
        await fixture.tearDown()
    }

    @Test func busyDatabaseAnswers503AfterTheConnectionWait() async throws {
        let fixture = try RegistryFixture(connections: 1, wait: .milliseconds(200))
        let id = try await fixture.create("busy")
        let holding = Task {
            try await fixture.registry.withConnection(to: id) { _, _ in
                try await Task.sleep(for: .seconds(1))
            }
        }
        // Wait until the holder really has the only connection.
        while await fixture.registry.leasedConnections == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        await #expect {
            try await fixture.query(id, "RETURN 1")
        } throws: { error in
            guard let error = error as? ServiceError else { return false }
            return error.category == .unavailable && error.retryAfterSeconds != nil
        }
        #expect(ContinuousClock.now - start >= .milliseconds(150))
        try await holding.value
        // Free again.
        #expect(try await fixture.query(id, "RETURN 1") == [[.int64(1)]])
        await fixture.tearDown()
    }

    @Test func deleteInterruptsRunningQueriesAndRemovesEveryFile() async throws {
        let fixture = try RegistryFixture()
        let id = try await fixture.create("doomed")
        _ = try await fixture.query(id, "UNWIND range(1, 3000) AS i CREATE (:Person {id: i, name: 'p', age: i})")
        let long = Task {
            try await fixture.query(
                id, "MATCH (a:Person), (b:Person), (c:Person) WHERE a.age + b.age + c.age = -1 RETURN count(*)"
            )
        }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        try await fixture.registry.delete(id)
        #expect(ContinuousClock.now - start < .seconds(5))
        await #expect(throws: (any Error).self) { try await long.value }
        #expect(!FileManager.default.fileExists(atPath: fixture.registry.folder(of: id)))
        #expect(fixture.registry.graphIDs().isEmpty)
        await #expect { try await fixture.query(id, "RETURN 1") } throws: { ($0 as? ServiceError)?.category == .notFound }
        await #expect { try await fixture.registry.delete(id) } throws: { ($0 as? ServiceError)?.category == .notFound }
        await fixture.tearDown()
    }

    @Test func shutdownCheckpointsAndDataSurvivesANewRegistry() async throws {
        let fixture = try RegistryFixture()
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
        await fixture.tearDown()
    }
}
