import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

extension TestServer {
    /// Runs `body` with a server for the Databases and staging tests: the production server on a
    /// temporary data folder (or `directory`, kept afterwards), every log line captured at debug
    /// level (to check the audit lines), six engine threads.
    static func withDatabases<T>(
        keys: [APIKey] = [], maxDatabases: Int = 10, nodeType: NodeType = .writer, connections: Int = 4,
        directory: String? = nil, logs: LogCapture = LogCapture(), configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        try await withServer(dataDirectory: directory, logs: logs, logLevel: .debug, configure: { configuration in
            configuration.apiKeys = keys
            configuration.maxDatabases = maxDatabases
            configuration.nodeType = nodeType
            configuration.engineThreads = 6
            configuration.threadsPerQuery = 1
            configuration.connectionsPerDatabase = connections
            configure(&configuration)
        }, body)
    }

    /// The data folder.
    var directory: String { dataDirectory }

    /// Runs a statement directly on a graph (through the registry, queued like any writer).
    func run(_ graph: String, _ cypher: String) async throws -> [[Value]] {
        let executor = registry.executor
        return try await registry.withConnection(to: try GraphID(validating: graph)) { _, connection in
            let result = try await connection.run(cypher, on: executor)
            return try await executor.run { try result.allRows() }
        }
    }

    /// Names of the entries of the `databases` folder (graphs and leftovers).
    func databaseFolderEntries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory + "/databases").sorted()
    }
}

/// A moment that one task records and another reads.
final class DatabasesInstantBox: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)
    func withLock<R: Sendable>(_ body: (inout ContinuousClock.Instant?) -> R) -> R { value.withLock { body(&$0) } }
}

extension TestServer.Client {
    /// Sends a request with an optional JSON body and API key.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, key: String? = nil
    ) async throws -> TestServer.Response {
        var headers: HTTPFields = [:]
        if json != nil { headers[.contentType] = "application/json" }
        if let key { headers[HTTPField.Name("X-Graph-API-Key")!] = key }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Sends a JSON object built from `object`.
    func send(_ method: HTTPRequest.Method, _ uri: String, object: [String: Any], key: String? = nil) async throws -> TestServer.Response {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await send(method, uri, json: String(decoding: data, as: UTF8.self), key: key)
    }
}

extension TestServer.Response {
    /// The body as a JSON object.
    func object() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        return try #require(value as? [String: Any], "body is not a JSON object: \(String(buffer: body))")
    }

    /// The `code` of an error body.
    var errorCode: String? { (try? object())?["code"] as? String }
    /// The `detail` of an error body.
    var errorDetail: String { ((try? object())?["detail"] as? String) ?? "" }
}

/// JSON helpers for the schema answers.
enum SchemaJSON {
    /// `name → [(property name, type)]` of the node or rel tables of a schema answer.
    static func tables(_ body: [String: Any], _ key: String) -> [String: [String]] {
        let tables = body[key] as? [[String: Any]] ?? []
        var result: [String: [String]] = [:]
        for table in tables {
            let properties = table["properties"] as? [[String: Any]] ?? []
            result[table["name"] as? String ?? ""] = properties.map { "\($0["name"] as? String ?? "?") \($0["type"] as? String ?? "?")" }
        }
        return result
    }

    static func table(_ body: [String: Any], _ key: String, named name: String) -> [String: Any]? {
        (body[key] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }
}
