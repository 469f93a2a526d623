import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Staging
import Testing

@testable import GraphAPI
@testable import GraphService

/// Writing source files for the staging tests with DuckDB itself.
enum StagingFixtures {
    /// Runs `COPY (<select>) TO '<path>'` in a throwaway in-memory DuckDB (format from the extension).
    static func write(_ select: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        let database = try StagingDatabase.inMemory(configuration: StagingConfiguration(memoryLimit: .mebibytes(512), threads: 2))
        defer { database.close() }
        let connection = try database.connect()
        defer { connection.close() }
        let format = path.hasSuffix(".csv") ? "csv, HEADER" : "parquet"
        try connection.execute("COPY (\(select)) TO \(StagingSQL.literal(path)) (FORMAT \(format))")
    }

    static let peopleDDL = """
        CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, name STRING, age INT64, score DOUBLE);
        CREATE NODE TABLE City(identifier STRING PRIMARY KEY, name STRING);
        CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64);
        CREATE REL TABLE LIVES_IN(FROM Person TO City)
        """

    static func createPeople(_ client: TestServer.Client, _ id: String) async throws {
        let response = try await client.send(
            .post, "/databases", object: ["graph_id": id, "schema_type": "custom", "custom_schema_ddl": peopleDDL]
        )
        #expect(response.status == .created, "\(String(buffer: response.body))")
    }
}

extension TestServer {
    /// The single integer a Cypher count returns.
    func count(_ graph: String, _ cypher: String) async throws -> Int64 {
        let rows = try await run(graph, cypher)
        return try #require(rows.first?.first?.int64Value)
    }
}
