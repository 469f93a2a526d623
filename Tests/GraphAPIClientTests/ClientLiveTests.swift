import Foundation
import GraphAPIContract
import GraphJSON
import Testing

@testable import GraphAPIClient

/// The client library against a live in-process server.
@Suite(.serialized) struct ClientLiveTests {
    static func client(_ url: String, key: String? = LiveServer.apiKey) throws -> GraphAPIClient {
        GraphAPIClient(configuration: try .init(url: url, apiKey: key))
    }

    static let ddl = "CREATE NODE TABLE N(id INT64, label STRING, PRIMARY KEY(id));"

    @Test func typedCallsRoundTrip() async throws {
        try await LiveServer.with { url in
            let client = try Self.client(url)
            let health = try await client.health()
            #expect(health.status == .healthy)
            #expect(health.uptimeSeconds >= 0)

            let created = try await client.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: Self.ddl))
            #expect(created.graphId == "g")
            #expect(created.schemaType == .custom)
            #expect(created.schemaApplied)

            let list = try await client.listDatabases()
            #expect(list.databases.map(\.graphId) == ["g"])
            #expect(list.totalDatabases == 1)
            #expect(list.nodeCapacity?.currentDatabases == 1)

            _ = try await client.query("g", QueryRequest(cypher: "UNWIND range(1, 20) AS i CREATE (:N {id: i, label: 'n' + CAST(i AS STRING)})"))
            let info = try await client.databaseInfo("g")
            #expect(info.summary.graphId == "g")
            #expect(info.health.isHealthy)
            #expect(info.health.nodeCount == 20)
            #expect(info.health.relationshipCount == 0)

            let schema = try await client.schema("g")
            #expect(schema.database == "g")
            #expect(schema.nodeTables.map(\.name) == ["N"])
            #expect(schema.nodeTables.first?.primaryKey == "id")
            #expect(schema.nodeTables.first?.properties == [.init(name: "id", _type: "INT64"), .init(name: "label", _type: "STRING")])

            let deleted = try await client.deleteDatabase("g")
            #expect(deleted.status == .success)
            #expect(try await client.listDatabases().databases.isEmpty)
        }
    }

    @Test func queryKeepsExactNumbersAndParameters() async throws {
        try await LiveServer.with { url in
            let client = try Self.client(url)
            _ = try await client.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: Self.ddl))
            let result = try await client.query(
                "g",
                QueryRequest(
                    cypher: "RETURN $big AS big, $list AS list, $text AS text, CAST('170141183460469231731687303715884105727' AS INT128) AS huge",
                    parameters: ["big": .number(JSONNumber(Int64.max)), "list": [1, 2, 3], "text": "héllo"]
                )
            )
            #expect(result.columns == ["big", "list", "text", "huge"])
            #expect(result.rows.first?[0].numberValue?.text == "9223372036854775807")
            #expect(result.rows.first?[1] == [1, 2, 3])
            #expect(result.rows.first?[2] == "héllo")
            #expect(result.rows.first?[3].numberValue?.text == "170141183460469231731687303715884105727")
            #expect(result.truncated == false)
            #expect(result.database == "g")
        }
    }

    @Test func streamDeliversEveryChunkInOrder() async throws {
        try await LiveServer.with { url in
            let client = try Self.client(url)
            _ = try await client.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: Self.ddl))
            // 20 rows in chunks of 7: 7, 7, 6; and 14 rows (an exact multiple) still end with a last chunk.
            for (rows, expectedCounts) in [(20, [7, 7, 6]), (14, [7, 7]), (0, [0])] {
                var chunks: [QueryChunk] = []
                for try await chunk in client.streamQuery("g", QueryRequest(cypher: "UNWIND range(1, \(rows)) AS i RETURN i, i * 2 AS twice")) {
                    chunks.append(chunk)
                }
                let counts = chunks.map(\.rowCount)
                // The server may close an exact multiple with an empty last chunk or flag the full one.
                #expect(counts.filter { $0 > 0 } == expectedCounts.filter { $0 > 0 }, "\(rows) rows: \(counts)")
                #expect(chunks.map(\.chunkIndex) == Array(0..<chunks.count))
                #expect(chunks.first?.columns == ["i", "twice"])
                #expect(chunks.dropFirst().allSatisfy { $0.columns == nil })
                #expect(chunks.last?.isLastChunk == true)
                #expect(chunks.dropLast().allSatisfy { !$0.isLastChunk })
                #expect(chunks.last?.database == "g")
                #expect(chunks.last?.executionTimeMilliseconds != nil)
                #expect(chunks.last?.totalRowsSent == rows)
                let values = chunks.flatMap(\.data).map { $0["i"]?.numberValue?.int64Value }
                #expect(values == (0..<rows).map { Int64($0 + 1) })
            }
            // The chunk size of a request wins over the server's.
            var sizes: [Int] = []
            for try await chunk in client.streamQuery("g", QueryRequest(cypher: "UNWIND range(1, 10) AS i RETURN i"), chunkSize: 4) {
                sizes.append(chunk.rowCount)
            }
            #expect(sizes.filter { $0 > 0 } == [4, 4, 2])
        }
    }

    @Test func streamErrorsBeforeTheFirstByteAreServerErrors() async throws {
        try await LiveServer.with { url in
            let client = try Self.client(url)
            await #expect {
                for try await _ in client.streamQuery("missing", QueryRequest(cypher: "RETURN 1")) {}
            } throws: { error in
                let error = error as? GraphAPIClientError
                return error?.isNotFound == true && error?.code == "database_not_found"
            }
            let wrongKey = try Self.client(url, key: "wrong")
            await #expect {
                for try await _ in wrongKey.streamQuery("missing", QueryRequest(cypher: "RETURN 1")) {}
            } throws: { error in
                (error as? GraphAPIClientError)?.status == 401
            }
        }
    }

    @Test func leavingAStreamEarlyLeavesTheServerUsable() async throws {
        try await LiveServer.with { url in
            let client = try Self.client(url)
            _ = try await client.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: Self.ddl))
            for _ in 0..<3 {
                var seen = 0
                for try await chunk in client.streamQuery("g", QueryRequest(cypher: "UNWIND range(1, 100000) AS i RETURN i"), chunkSize: 100) {
                    seen += chunk.rowCount
                    if seen >= 300 { break }
                }
                #expect(seen == 300)
            }
            let result = try await client.query("g", QueryRequest(cypher: "RETURN 1 AS one"))
            #expect(result.rows == [[1]])
        }
    }

    @Test func errorsCarryTheServersDetailAndCode() async throws {
        try await LiveServer.with { url in
            let client = try Self.client(url)
            await #expect {
                try await client.databaseInfo("missing")
            } throws: { error in
                let error = error as? GraphAPIClientError
                return error?.kind == .server && error?.status == 404 && error?.code == "database_not_found"
                    && error?.detail.contains("missing") == true
            }
            await #expect {
                try await Self.client(url, key: nil).listDatabases()
            } throws: { error in
                (error as? GraphAPIClientError)?.isAccessDenied == true
            }
            await #expect {
                try await client.createDatabase(CreateDatabaseRequest(graphId: "s", schemaType: .shared))
            } throws: { error in
                let error = error as? GraphAPIClientError
                return error?.status == 400 && error?.code == "repository_name_required"
            }
        }
    }

    @Test func anAbsentServerIsATransportError() async throws {
        let client = GraphAPIClient(
            configuration: try .init(url: "http://127.0.0.1:1", connectTimeoutSeconds: 1, retry: .none, circuitBreaker: .disabled)
        )
        await #expect {
            try await client.health()
        } throws: { error in
            let error = error as? GraphAPIClientError
            return error?.kind == .transport && error?.detail.contains("cannot connect") == true
        }
        await #expect {
            for try await _ in client.streamQuery("g", QueryRequest(cypher: "RETURN 1")) {}
        } throws: { error in
            (error as? GraphAPIClientError)?.kind == .transport
        }
        try await client.shutdown()
    }
}
