import Foundation
import GraphEngine
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// A server for the Databases tests: the real router and registry on a temporary data folder,
/// with the registry reachable (to check what is open) and every log line captured (to check
/// the audit lines).
final class DatabasesTestServer: Sendable {
    let directory: String
    let server: ServerContext
    let logs: CapturedLogs
    let ownsDirectory: Bool
    let logger: Logger

    var registry: GraphRegistry { server.registry }

    /// - Parameter directory: an existing data folder to serve (not removed by ``tearDown()``).
    init(
        keys: [APIKey] = [], maxDatabases: Int = 10, nodeType: NodeType = .writer, connections: Int = 4,
        directory: String? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        self.ownsDirectory = directory == nil
        let folder =
            directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-databases-\(UUID().uuidString)").path
        self.directory = folder
        var configuration = ServerConfiguration()
        configuration.dataDirectory = folder
        configuration.importDirectory = folder + "/import"
        configuration.stagingMemoryBytes = 256 << 20
        configuration.port = 0
        configuration.apiKeys = keys
        configuration.maxDatabases = maxDatabases
        configuration.nodeType = nodeType
        configuration.bufferPoolBytes = 64 << 20
        configuration.maxDatabaseSizeBytes = 1 << 34
        configuration.threadsPerQuery = 1
        configuration.engineThreads = 6
        configuration.connectionsPerDatabase = connections
        configure(&configuration)
        let logs = CapturedLogs()
        self.logs = logs
        let logger = Logger(label: "databases-test") { _ in CapturingLogHandler(logs: logs) }
        self.logger = logger
        let dataDirectory = try DataDirectory(path: folder)
        let executor = EngineExecutor(threadCount: configuration.engineThreads)
        let registry = GraphRegistry(
            dataDirectory: dataDirectory, settings: configuration.tenancySettings, executor: executor,
            logger: logger
        )
        server = ServerContext(
            configuration: configuration, registry: registry, authenticator: Authenticator(keys: keys), startedAt: .now
        )
    }

    /// A fresh path for a data folder shared by several servers (the caller removes it).
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-databases-\(UUID().uuidString)").path
    }

    /// The application with the real router.
    func application() -> some ApplicationProtocol {
        Application(
            router: buildRouter(server), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger
        )
    }

    /// Stops the background tasks, closes every database, stops the executor and removes the data folder.
    func tearDown() async {
        await server.tasks.shutdown()
        await server.staging.shutdown()
        await registry.shutdown()
        try? await registry.executor.shutdown()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Runs `body` against the router, then tears the server down (also when `body` throws).
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await application().test(.router) { client in try await body(client) }
        } catch {
            await tearDown()
            throw error
        }
        await tearDown()
    }

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

/// Log lines kept in memory.
final class CapturedLogs: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    func append(_ line: Line) { lines.withLock { $0.append(line) } }

    /// The lines whose `audit` metadata is `kind`.
    func audit(_ kind: String) -> [Line] { lines.withLock { $0.filter { $0.metadata["audit"] == kind } } }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append(.init(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}

extension TestClientProtocol {
    /// Sends a request with an optional JSON body and API key.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, key: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if json != nil { headers[.contentType] = "application/json" }
        if let key { headers[HTTPField.Name("X-Graph-API-Key")!] = key }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Sends a JSON object built from `object`.
    func send(_ method: HTTPRequest.Method, _ uri: String, object: [String: Any], key: String? = nil) async throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await send(method, uri, json: String(decoding: data, as: UTF8.self), key: key)
    }
}

extension TestResponse {
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
