import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client of the Graph API over HTTP, built on `URLSession` alone (no engine, no NIO).
///
/// ```swift
/// let client = GraphAPIClient(configuration: try .resolve(url: nil, apiKey: nil, environment: ProcessInfo.processInfo.environment))
/// let result = try await client.query("sales", QueryRequest(cypher: "MATCH (e:Entity) RETURN e.name LIMIT $n", parameters: ["n": 5]))
/// for try await chunk in client.streamQuery("sales", QueryRequest(cypher: "MATCH (e:Entity) RETURN e.name")) {
///     print(chunk.data.count)
/// }
/// ```
///
/// Every method throws ``GraphAPIClientError`` for a failure (the server's `detail` and `code`
/// for an error status), or `CancellationError` when its task is cancelled.
public final class GraphAPIClient: Sendable {
    /// Where the server is and how to authenticate.
    public let configuration: Configuration
    /// The session of the non-streaming requests (each stream has its own).
    let session: URLSession

    /// The server's base URL.
    public var baseURL: URL { configuration.baseURL }

    /// Creates a client.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.session = URLSession(configuration: GraphAPIClient.sessionConfiguration(timeout: configuration.requestTimeoutSeconds))
    }

    /// Creates a client for the server at `baseURL` (see ``Configuration`` for the defaults).
    ///
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``) for a URL
    ///   that is not `http(s)://host[:port][/path]`.
    public convenience init(baseURL: URL, apiKey: String? = nil) throws(GraphAPIClientError) {
        self.init(configuration: try Configuration(url: baseURL.absoluteString, apiKey: apiKey))
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    static func sessionConfiguration(timeout: Double) -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        return configuration
    }

    /// Starts `request` on a session of its own whose `delegate` receives the answer on a serial
    /// queue named `queueName`, for the streamed answers (results, task monitors); ends the transfer
    /// when the stream's consumer leaves the loop or is cancelled.
    static func startStreaming<Element: Sendable>(
        _ request: URLRequest, delegate: some URLSessionDataDelegate, queueName: String,
        continuation: AsyncThrowingStream<Element, any Error>.Continuation
    ) {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = queueName
        let session = URLSession(
            configuration: sessionConfiguration(timeout: request.timeoutInterval), delegate: delegate, delegateQueue: queue
        )
        let task = session.dataTask(with: request)
        continuation.onTermination = { termination in
            // For a query this closes the connection, which interrupts it on the server.
            if case .cancelled = termination { task.cancel() }
        }
        task.resume()
    }

    // MARK: Typed calls

    /// `GET /health`. An unhealthy server (503 with `status: "unhealthy"`) is returned, not thrown.
    public func health() async throws -> HealthResponse {
        let (status, body) = try await perform(.health)
        if status == 503, let health = try? JSONDecoder().decode(HealthResponse.self, from: body) { return health }
        return try decode(HealthResponse.self, status: status, body: body)
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
        return QueryChunkStream(urlRequest: urlRequest(for: request))
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
        let (status, body) = try await perform(request)
        guard (200..<300).contains(status) else {
            throw GraphAPIClientError.fromResponse(status: status, body: Array(body), retryAfter: nil)
        }
        return body
    }

    /// Sends a request; returns the status and body whatever the status.
    func perform(_ request: GraphAPIRequest) async throws -> (status: Int, body: Data) {
        let urlRequest = urlRequest(for: request)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch let error as URLError {
            if error.code == .cancelled, Task.isCancelled { throw CancellationError() }
            throw GraphAPIClientError.transport(error, url: urlRequest.url ?? configuration.baseURL)
        }
        guard let http = response as? HTTPURLResponse else {
            throw GraphAPIClientError(kind: .invalidResponse, detail: "the answer is not HTTP")
        }
        let status = http.statusCode
        if !(200..<300).contains(status), status != 503 || request.pathSegments != ["health"] {
            throw GraphAPIClientError.fromResponse(
                status: status, body: Array(data), retryAfter: http.value(forHTTPHeaderField: "Retry-After")
            )
        }
        return (status, data)
    }

    func decoded<Value: Decodable>(_ type: Value.Type, _ request: GraphAPIRequest) async throws -> Value {
        let (status, body) = try await perform(request)
        return try decode(type, status: status, body: body)
    }

    func decode<Value: Decodable>(_ type: Value.Type, status: Int, body: Data) throws(GraphAPIClientError) -> Value {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw GraphAPIClientError(
                kind: .invalidResponse, status: status,
                detail: "the answer does not match the contract's \(Value.self): \(GraphAPIClient.describe(error))"
            )
        }
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

    /// The `URLRequest` of a request: URL, method, `Accept`, JSON body and the API key header.
    public func urlRequest(for request: GraphAPIRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url(relativeTo: configuration.baseURL))
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = request.timeoutSeconds ?? configuration.requestTimeoutSeconds
        urlRequest.setValue(request.accept, forHTTPHeaderField: "Accept")
        urlRequest.setValue("graph-api-client", forHTTPHeaderField: "User-Agent")
        if let apiKey = configuration.apiKey { urlRequest.setValue(apiKey, forHTTPHeaderField: "X-Graph-API-Key") }
        if let body = request.body {
            urlRequest.httpBody = body
            urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return urlRequest
    }
}

extension GraphAPIClientError {
    /// The error of a request that got no answer.
    static func transport(_ error: URLError, url: URL) -> GraphAPIClientError {
        let server = url.host.map { host in url.port.map { "\(host):\($0)" } ?? host } ?? url.absoluteString
        let detail: String
        switch error.code {
        case .cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet:
            detail = "cannot connect to the server at \(server) (is it running? set --url or GRAPH_API_URL)"
        case .cannotFindHost, .dnsLookupFailed:
            detail = "cannot resolve the server's host \(server)"
        case .timedOut:
            detail = "the server at \(server) did not answer in time"
        case .cancelled:
            detail = "the request was cancelled"
        default:
            detail = "the request to \(server) failed: \(error.localizedDescription) (URL error \(error.code.rawValue))"
        }
        return GraphAPIClientError(kind: .transport, detail: detail)
    }

    /// The error of a streamed request's `task` that ended with `error` instead of an answer.
    static func transport(_ error: any Error, of task: URLSessionTask) -> GraphAPIClientError {
        guard let urlError = error as? URLError else {
            return GraphAPIClientError(kind: .transport, detail: "the request failed: \(error)")
        }
        return .transport(urlError, url: task.originalRequest?.url ?? URL(fileURLWithPath: "/"))
    }
}
