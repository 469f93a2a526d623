import Foundation
import GraphAPITesting
import GraphJSON
import HTTPTypes
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// Issue 14: answers built from models come out the same on every call, keys in alphabetical
/// order, slashes as they are; a body with a value outside an enumeration is refused naming the
/// field and the accepted values.
struct ResponseHygieneTests {
    /// The members' keys of every object in `value`, at every depth, in the order they were sent.
    static func keyOrders(_ value: JSONValue) -> [[String]] {
        switch value {
        case .object(let object): [object.keys] + object.members.flatMap { keyOrders($0.value) }
        case .array(let items): items.flatMap(keyOrders)
        default: []
        }
    }

    @Test func modelAnswersHaveSortedKeysAndTheSameBytesEachTime() async throws {
        try await TestServer.withServer(graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE N(id INT64 PRIMARY KEY)"])]) { server in
            for uri in ["/databases", "/databases/g", "/databases/g/schema", "/health"] {
                var bodies: [String] = []
                for _ in 0..<3 {
                    try await server.client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .ok, "\(uri)")
                        bodies.append(String(buffer: response.body))
                    }
                }
                let parsed = try JSONValue(parsing: bodies[0])
                for keys in Self.keyOrders(parsed) {
                    #expect(keys == keys.sorted(), "\(uri): keys out of order: \(keys)")
                }
                if uri != "/health" {  // /health reports the uptime
                    // `last_accessed` moves with each request that uses the graph (GET /databases/g does).
                    let stable = bodies.map { $0.replacingOccurrences(of: #""last_accessed":"[^"]*""#, with: "", options: .regularExpression) }
                    #expect(Set(stable).count == 1, "\(uri) answered differently: \(bodies)")
                }
            }
        }
    }

    @Test func slashesAreNotEscaped() async throws {
        try await TestServer.withServer(graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE N(id STRING PRIMARY KEY)"])]) { server in
            try FileManager.default.createDirectory(atPath: server.importDirectory, withIntermediateDirectories: true)
            try "id\na\n".write(toFile: server.importDirectory + "/n.csv", atomically: true, encoding: .utf8)
            try await server.client.execute(
                uri: "/databases/g/copy", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"table_name": "N", "source": "n.csv"}"#)
            ) { response in
                #expect(response.status == .accepted)
                let text = String(buffer: response.body)
                #expect(text.contains(#""monitor_url":"/tasks/"#), "\(text)")
                #expect(!text.contains(#"\/"#), "\(text)")
            }
        }
    }

    @Test func aValueOutsideAnEnumerationNamesTheFieldAndTheChoices() async throws {
        try await TestServer.withServer { server in
            try await server.client.execute(
                uri: "/databases", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"graph_id": "x", "schema_type": "graph"}"#)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let detail = try JSONValue(parsing: String(buffer: response.body))["detail"]?.stringValue ?? ""
                #expect(detail == "field 'schema_type' must be one of 'entity', 'shared', 'custom', not 'graph'", "\(detail)")
            }
            try await server.client.execute(
                uri: "/databases/x/tables", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"table_name": "t", "source": "a.csv", "format": "xlsx"}"#)
            ) { response in
                let detail = try JSONValue(parsing: String(buffer: response.body))["detail"]?.stringValue ?? ""
                #expect(response.status == .unprocessableContent || response.status == .notFound, "\(detail)")
                if response.status == .unprocessableContent {
                    #expect(detail == "field 'format' must be one of 'parquet', 'csv', not 'xlsx'", "\(detail)")
                }
            }
        }
    }
}

/// Issue 14: `last_accessed` moves with use, not only when a database closes.
struct LastAccessedTests {
    static func lastAccessed(_ server: TestServer, _ uri: String) async throws -> String? {
        try await server.client.execute(uri: uri, method: .get) { response in
            let body = try JSONValue(parsing: String(buffer: response.body))
            return (body["last_accessed"] ?? body["databases"]?.arrayValue?.first?["last_accessed"])?.stringValue
        }
    }

    @Test func queriesMoveLastAccessedWhileTheDatabaseStaysOpen() async throws {
        try await TestServer.withServer(graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE N(id INT64 PRIMARY KEY)"])]) { server in
            let query = ByteBuffer(string: #"{"cypher": "RETURN 1"}"#)
            try await server.client.execute(uri: "/databases/g/query", method: .post, body: query) { #expect($0.status == .ok) }
            let first = try #require(try await Self.lastAccessed(server, "/databases/g"))
            #expect(try await Self.lastAccessed(server, "/databases") == first)
            try await Task.sleep(for: .milliseconds(20))
            try await server.client.execute(uri: "/databases/g/query", method: .post, body: query) { #expect($0.status == .ok) }
            let second = try #require(try await Self.lastAccessed(server, "/databases/g"))
            #expect(second > first, "\(first) → \(second)")
            #expect(await server.registry.isOpen(try GraphID(validating: "g")))
            // Written to the metadata by the sweep, so it survives a crash.
            await server.registry.recordLastAccess()
            let stored = try #require(try server.registry.metadata(of: try GraphID(validating: "g")).lastAccessed)
            let shown = try #require(ISO8601Timestamp.date(from: second))
            #expect(abs(stored.timeIntervalSince(shown)) < 0.002, "\(stored) vs \(second)")  // to the millisecond
        }
    }
}
