import AsyncHTTPClient
import Foundation
import GraphJSON
import NIOCore
import NIOHTTP1
import Synchronization

/// A client of the Graph API over HTTP (AsyncHTTPClient; no engine).
///
/// ```swift
/// try await GraphAPIClient.withClient(configuration: try .resolve(url: nil, apiKey: nil, environment: ProcessInfo.processInfo.environment)) { client in
///     let result = try await client.query("sales", QueryRequest(cypher: "MATCH (e:Entity) RETURN e.name LIMIT $n", parameters: ["n": 5]))
///     for try await chunk in client.streamQuery("sales", QueryRequest(cypher: "MATCH (e:Entity) RETURN e.name")) {
///         print(chunk.data.count)
///     }
/// }
/// ```
///
/// Every method throws ``GraphAPIClientError`` for a failure (the server's `detail` and `code`
/// for an error status), or `CancellationError` when its task is cancelled. Requests are retried
/// and the server is given up on as ``Configuration/retry`` and ``Configuration/circuitBreaker``
/// say.
///
/// The client owns an `HTTPClient` (on AsyncHTTPClient's shared event loop group): call
/// ``shutdown()`` when done, or use ``withClient(configuration:_:)``. A client released without
/// it starts its shutdown then.
public final class GraphAPIClient: Sendable {
    /// Where the server is, how to authenticate, and how long and how often to try.
    public let configuration: Configuration
    /// The connection pool of every request but the streams (each stream has its own, so that its
    /// idle timeout can differ).
    let httpClient: HTTPClient
    /// Shared by every request of this client.
    let breaker: CircuitBreaker
    private let isShutDown = Atomic<Bool>(false)

    /// The server's base URL.
    public var baseURL: URL { configuration.baseURL }

    /// Creates a client.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: Self.httpConfiguration(configuration, idleReadTimeout: nil)
        )
        self.breaker = CircuitBreaker(policy: configuration.circuitBreaker)
    }

    /// Creates a client for the server at `baseURL` (see ``Configuration`` for the defaults).
    ///
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``) for a URL
    ///   that is not `http(s)://host[:port][/path]`.
    public convenience init(baseURL: URL, apiKey: String? = nil) throws(GraphAPIClientError) {
        self.init(configuration: try Configuration(url: baseURL.absoluteString, apiKey: apiKey))
    }

    /// Runs `body` with a new client, then shuts it down (also when `body` throws).
    public static func withClient<Value>(
        configuration: Configuration, _ body: (GraphAPIClient) async throws -> Value
    ) async throws -> Value {
        let client = GraphAPIClient(configuration: configuration)
        let value: Value
        do {
            value = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return value
    }

    /// Closes the client's connections; requests still running fail. Calling it again does nothing.
    public func shutdown() async throws {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await httpClient.shutdown()
    }

    deinit {
        if !isShutDown.load(ordering: .acquiring) {
            httpClient.shutdown().whenComplete { _ in }
        }
    }

    /// AsyncHTTPClient's settings: the connect timeout, no redirects, no decompression, and the
    /// idle read timeout of a stream (`nil` for the shared pool, whose requests have deadlines).
    static func httpConfiguration(_ configuration: Configuration, idleReadTimeout: Double?) -> HTTPClient.Configuration {
        var http = HTTPClient.Configuration()
        http.timeout = HTTPClient.Configuration.Timeout(
            connect: .milliseconds(Int64(configuration.connectTimeoutSeconds * 1000)),
            read: idleReadTimeout.map { .milliseconds(Int64($0 * 1000)) }
        )
        http.redirectConfiguration = .disallow
        http.decompression = .disabled
        return http
    }

    // MARK: Typed calls

    /// `GET /health`. An unhealthy server (503 with `status: "unhealthy"`) is returned, not thrown.
    public func health() async throws -> HealthResponse {
        let answer = try await perform(.health)
        if answer.status == 503, let health = try? Self.contractDecoder().decode(HealthResponse.self, from: answer.data) { return health }
        return try decode(HealthResponse.self, status: answer.status, body: answer.data)
    }

    /// `GET /databases`: the databases the key may see, and the node's capacity.
    public func listDatabases() async throws -> DatabaseList {
        try await decoded(DatabaseList.self, .listDatabases)
    }

    /// `POST /databases`: creates a graph and installs its schema (all or nothing).
    public func createDatabase(_ request: CreateDatabaseRequest) async throws -> CreateDatabaseResponse {
        try await decoded(CreateDatabaseResponse.self, .createDatabase(request))
    }

    /// `DELETE /databases/{graph_id}`: removes the graph and all its files.
    public func deleteDatabase(_ graphID: String) async throws -> DeleteDatabaseResponse {
        try await decoded(DeleteDatabaseResponse.self, .deleteDatabase(graphID))
    }

    /// `GET /databases/{graph_id}`.
    public func databaseInfo(_ graphID: String) async throws -> DatabaseInfo {
        try await decoded(DatabaseInfo.self, .databaseInfo(graphID))
    }

    /// `GET /databases/{graph_id}/schema`.
    public func schema(_ graphID: String) async throws -> GraphSchema {
        try await decoded(GraphSchema.self, .schema(graphID))
    }

    /// `POST /databases/{graph_id}/schema`: runs schema statements (CREATE NODE/REL TABLE, ALTER
    /// TABLE, CREATE INDEX, COMMENT ON) in one transaction; any other statement is refused before
    /// anything runs.
    public func changeSchema(_ graphID: String, ddl: String) async throws -> SchemaChangeResponse {
        try await decoded(SchemaChangeResponse.self, .changeSchema(graphID, ddl: ddl))
    }

    /// `POST /databases/{graph_id}/query`: the whole result as one JSON document (at most the
    /// server's `max_rows` rows; ``QueryResponse/truncated`` says whether more existed).
    public func query(_ graphID: String, _ query: QueryRequest) async throws -> QueryResponse {
        let body = try await send(queryRequest(graphID, query))
        do {
            return try QueryResponse(json: try JSONValue(parsing: body))
        } catch let error as JSONSyntaxError {
            throw GraphAPIClientError(kind: .invalidResponse, detail: "the query result is not JSON: \(error)")
        }
    }

    /// `POST /databases/{graph_id}/query` as NDJSON: the chunks as they arrive, with no row cap.
    ///
    /// The request starts when iteration starts. An in-band error (the query failed after its
    /// first chunk) ends the iteration with a ``GraphAPIClientError/Kind/streamFailed`` error, and
    /// so does a stream that ends without its last chunk. Leaving the loop early or cancelling the
    /// task closes the connection, which interrupts the query on the server.
    public func streamQuery(_ graphID: String, _ query: QueryRequest, chunkSize: Int? = nil) -> QueryChunkStream {
        var request = GraphAPIRequest.streamQuery(graphID, query, chunkSize: chunkSize)
        request.timeoutSeconds = queryTimeout(for: query)
        return QueryChunkStream(client: self, request: request)
    }

    /// The request of a non-streaming query, waiting long enough for the query's own timeout.
    public func queryRequest(_ graphID: String, _ query: QueryRequest) -> GraphAPIRequest {
        var request = GraphAPIRequest.query(graphID, query)
        request.timeoutSeconds = queryTimeout(for: query)
        return request
    }

    func queryTimeout(for query: QueryRequest) -> Double {
        queryTimeout(seconds: query.timeoutSeconds)
    }

    /// How long a request waits for a query with this timeout (`nil`: the server's default).
    func queryTimeout(seconds: Double?) -> Double {
        max(configuration.requestTimeoutSeconds, (seconds ?? configuration.defaultQueryTimeoutSeconds) + configuration.queryTimeoutMarginSeconds)
    }

    // MARK: Raw calls

    /// Sends a request and returns the body of a success answer exactly as the server wrote it.
    ///
    /// - Throws: ``GraphAPIClientError``: ``GraphAPIClientError/Kind/server`` with the server's
    ///   `detail` and `code` for an error status, ``GraphAPIClientError/Kind/transport`` when the
    ///   server cannot be reached.
    public func send(_ request: GraphAPIRequest) async throws -> Data {
        let answer = try await perform(request)
        guard (200..<300).contains(answer.status) else {
            throw GraphAPIClientError.fromResponse(
                status: answer.status, body: answer.bytes, retryAfter: answer.headers.first(name: "Retry-After")
            )
        }
        return answer.data
    }

    func decoded<Value: Decodable>(_ type: Value.Type, _ request: GraphAPIRequest) async throws -> Value {
        let answer = try await perform(request)
        return try decode(type, status: answer.status, body: answer.data)
    }

    func decode<Value: Decodable>(_ type: Value.Type, status: Int, body: Data) throws(GraphAPIClientError) -> Value {
        do {
            return try Self.contractDecoder().decode(type, from: body)
        } catch {
            throw GraphAPIClientError(
                kind: .invalidResponse, status: status,
                detail: "the answer does not match the contract's \(Value.self): \(GraphAPIClient.describe(error))"
            )
        }
    }

    /// A decoder for the types generated from the contract: its timestamps are ISO-8601 with
    /// milliseconds (whole seconds are read too).
    public static func contractDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try ServerDateTranscoder().decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context): return "field '\(path(context.codingPath))' has the wrong type"
        case .valueNotFound(_, let context): return "field '\(path(context.codingPath))' is null"
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
