import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// Reading the answers of the observability and OpenAPI tests.
enum ObservabilitySupport {
    static func json(_ response: TestServer.Response) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    /// The value of the sample `name{labels}` in a Prometheus text exposition, or `nil`.
    static func sample(_ text: String, _ name: String, _ labels: [(String, String)] = []) -> Double? {
        let rendered = labels.isEmpty ? name : name + "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
        for line in text.split(separator: "\n") where line.hasPrefix(rendered + " ") {
            return Double(line.dropFirst(rendered.count + 1))
        }
        return nil
    }
}

/// A value shared between a test and the closures it hands out.
final class ObservabilityBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

@Suite struct ObservabilityMetricsTests {
    @Test func metricsCountRequestsByRouteTemplateAndStatus() async throws {
        let metrics = ServerMetrics()
        try await TestServer.withServer(metrics: metrics) { server in
            let client = server.client
            for _ in 0..<2 {
                try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            }
            // Two different graph ids: one series for the route template, none for the raw paths.
            for id in ["nope-1", "nope-2"] {
                try await client.execute(uri: "/databases/\(id)", method: .get) { #expect($0.status == .notFound) }
            }
            try await client.execute(uri: "/no/such/route", method: .get) { #expect($0.status == .notFound) }
            metrics.queryCompleted(graph: try GraphID(validating: "g1"), seconds: 0.2, rows: 42)

            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                let health = [("method", "GET"), ("route", "/health"), ("status", "200")]
                let graph = [("method", "GET"), ("route", "/databases/{graph_id}"), ("status", "404")]
                #expect(ObservabilitySupport.sample(text, "graph_api_http_requests_total", health) == 2)
                #expect(ObservabilitySupport.sample(text, "graph_api_http_requests_total", graph) == 2)
                #expect(
                    ObservabilitySupport.sample(
                        text, "graph_api_http_requests_total", [("method", "GET"), ("route", "unmatched"), ("status", "404")]
                    ) == 1
                )
                #expect(ObservabilitySupport.sample(text, "graph_api_http_request_duration_seconds_count", health) == 2)
                #expect(ObservabilitySupport.sample(text, "graph_api_http_request_duration_seconds_bucket", health + [("le", "+Inf")]) == 2)
                #expect(
                    ObservabilitySupport.sample(
                        text, "graph_api_http_errors_total",
                        [("route", "/databases/{graph_id}"), ("status", "404"), ("code", "database_not_found")]
                    ) == 2
                )
                #expect(!text.contains("nope-1") && !text.contains("/no/such/route"))
                #expect(text.contains("# TYPE graph_api_http_request_duration_seconds histogram"))
                // Node gauges, read at the scrape.
                #expect(ObservabilitySupport.sample(text, "graph_api_databases") == 0)
                #expect(ObservabilitySupport.sample(text, "graph_api_max_databases") == 10)
                #expect(ObservabilitySupport.sample(text, "graph_api_open_databases") == 0)
                #expect(ObservabilitySupport.sample(text, "graph_api_connections_leased") == 0)
                #expect(ObservabilitySupport.sample(text, "graph_api_connection_waiters") == 0)
                #expect((ObservabilitySupport.sample(text, "graph_api_resident_memory_bytes") ?? 0) > 1_000_000)
                #expect(text.contains("graph_api_build_info{version=\"\(GraphAPIVersion.string)\""))
                // What a controller reported through the typed API of the server's own metrics.
                #expect(ObservabilitySupport.sample(text, "graph_api_queries_total", [("graph", "g1")]) == 1)
                #expect(ObservabilitySupport.sample(text, "graph_api_query_rows_total", [("graph", "g1")]) == 42)
                // The scrape in progress is counted once its body is written, not before.
                #expect(ObservabilitySupport.sample(text, "graph_api_http_requests_in_flight") == 1)
            }
        }
    }

    @Test func typedAPIRecordsEveryMetricOtherControllersReport() throws {
        let metrics = ServerMetrics()
        let g1 = try GraphID(validating: "g1")
        let g2 = try GraphID(validating: "g2")
        metrics.queryCompleted(graph: g1, seconds: 0.003, rows: 10)
        metrics.queryCompleted(graph: g1, seconds: 2, rows: 5)
        metrics.queryCompleted(graph: g2, seconds: 0.5, rows: 0)
        metrics.queryFailed(graph: g1, code: "cypher_syntax_error")
        metrics.queryFailed(graph: g1, code: "cypher_syntax_error")
        metrics.rowsStreamed(1000)
        metrics.rowsStreamed(234)
        metrics.admissionRejected(reason: "query_queue_full")
        metrics.admissionRejected(reason: "memory_pressure")
        metrics.admissionRejected(reason: "query_queue_full")
        metrics.ingestRows(500, skipped: 3)
        metrics.ingestRows(20)
        metrics.setTaskCounts(["running": 2, "pending": 1])
        metrics.taskFinished(type: "backup", status: "completed")

        var text = metrics.registry.emitToString()
        #expect(ObservabilitySupport.sample(text, "graph_api_queries_total", [("graph", "g1")]) == 2)
        #expect(ObservabilitySupport.sample(text, "graph_api_query_rows_total", [("graph", "g1")]) == 15)
        #expect(ObservabilitySupport.sample(text, "graph_api_query_duration_seconds_count", [("graph", "g1")]) == 2)
        #expect(ObservabilitySupport.sample(text, "graph_api_query_duration_seconds_bucket", [("graph", "g1"), ("le", "0.005")]) == 1)
        #expect(ObservabilitySupport.sample(text, "graph_api_query_duration_seconds_sum", [("graph", "g1")]) == 2.003)
        #expect(ObservabilitySupport.sample(text, "graph_api_query_errors_total", [("graph", "g1"), ("code", "cypher_syntax_error")]) == 2)
        #expect(ObservabilitySupport.sample(text, "graph_api_rows_streamed_total") == 1234)
        #expect(ObservabilitySupport.sample(text, "graph_api_admission_rejections_total", [("reason", "query_queue_full")]) == 2)
        #expect(ObservabilitySupport.sample(text, "graph_api_admission_rejections_total", [("reason", "memory_pressure")]) == 1)
        #expect(ObservabilitySupport.sample(text, "graph_api_ingest_rows_total", [("outcome", "ingested")]) == 520)
        #expect(ObservabilitySupport.sample(text, "graph_api_ingest_rows_total", [("outcome", "skipped")]) == 3)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "running")]) == 2)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "pending")]) == 1)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "failed")]) == 0)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks_finished_total", [("type", "backup"), ("status", "completed")]) == 1)

        // A deleted graph's series go away; the others stay.
        metrics.forgetGraph(g1)
        text = metrics.registry.emitToString()
        #expect(!text.contains("graph=\"g1\""))
        #expect(ObservabilitySupport.sample(text, "graph_api_queries_total", [("graph", "g2")]) == 1)
        // Counting again after forgetting starts a new series.
        metrics.queryCompleted(graph: g1, seconds: 0.1, rows: 1)
        #expect(ObservabilitySupport.sample(metrics.registry.emitToString(), "graph_api_queries_total", [("graph", "g1")]) == 1)
    }

    @Test func samplersRunAtEachScrape() async throws {
        let metrics = ServerMetrics()
        let scrapes = ObservabilityBox(0)
        metrics.addSampler { metrics in
            let count = scrapes.withLock { value in
                value += 1
                return value
            }
            metrics.setTaskCounts(["running": count])
        }
        _ = await metrics.exposition()
        let text = String(decoding: await metrics.exposition(), as: UTF8.self)
        #expect(ObservabilitySupport.sample(text, "graph_api_tasks", [("status", "running")]) == 2)
    }

    @Test func libraryMetricsLandInTheSameRegistryWithoutClashing() throws {
        let metrics = ServerMetrics()
        metrics.rowsStreamed(7)
        let factory = ObservabilityBootstrap.makeMetricsFactory(metrics)
        // A library metric of its own name, through swift-metrics' API.
        let counter = factory.makeCounter(label: "library_events_total", dimensions: [("kind", "x")])
        counter.increment(by: 3)
        // A library metric using the server's reserved prefix (even with another type) is renamed
        // instead of clashing with the server's own metric.
        let clash = factory.makeMeter(label: "graph_api_rows_streamed_total", dimensions: [])
        clash.set(99.0)
        let text = metrics.registry.emitToString()
        #expect(ObservabilitySupport.sample(text, "library_events_total", [("kind", "x")]) == 3)
        #expect(ObservabilitySupport.sample(text, "lib_graph_api_rows_streamed_total") == 99)
        #expect(ObservabilitySupport.sample(text, "graph_api_rows_streamed_total") == 7)
    }

    @Test func metricsNeedAKeyWhenKeysAreConfigured() async throws {
        try await TestServer.withServer(configure: { $0.apiKeys = [APIKey(secret: "metrics-key")] }) { server in
            let client = server.client
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
                let body = try ObservabilitySupport.json(response)
                #expect(body["code"] as? String == "unauthorized")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-key"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("graph_api_http_requests_total"))
            }
        }
    }

    /// The exposition names every graph of the node: a key scoped to some graphs gets 403, a key
    /// for every graph (read-only or not) gets the metrics.
    @Test func metricsAreForOperatorsOnly() async throws {
        let keys = [
            APIKey(secret: "operator-key"), APIKey(secret: "reader-key", scope: KeyScope(readOnly: true)),
            APIKey(secret: "tenant-key", scope: KeyScope(graphs: ["mine"])),
            APIKey(secret: "tenant-reader-key", scope: KeyScope(graphs: ["mine"], readOnly: true)),
        ]
        try await TestServer.withServer(configure: { $0.apiKeys = keys }) { server in
            let client = server.client
            // A graph of another tenant, queried once so that it shows up in the labels.
            let operatorKey: HTTPFields = [AuthMiddleware.keyHeader: "operator-key"]
            let create = ByteBuffer(string: #"{"graph_id": "theirs_secret_graph"}"#)
            try await client.execute(uri: "/databases", method: .post, headers: operatorKey, body: create) {
                #expect($0.status == .created)
            }
            let query = ByteBuffer(string: #"{"cypher": "RETURN 1 AS n"}"#)
            try await client.execute(uri: "/databases/theirs_secret_graph/query", method: .post, headers: operatorKey, body: query) {
                #expect($0.status == .ok)
            }
            for key in ["tenant-key", "tenant-reader-key"] {
                try await client.execute(uri: "/metrics", method: .get, headers: [AuthMiddleware.keyHeader: key]) { response in
                    #expect(response.status == .forbidden)
                    let text = String(buffer: response.body)
                    #expect(!text.contains("theirs_secret_graph"))
                    let body = try ObservabilitySupport.json(response)
                    #expect(body["code"] as? String == "key_not_operator")
                }
            }
            for key in ["operator-key", "reader-key"] {
                try await client.execute(uri: "/metrics", method: .get, headers: [AuthMiddleware.keyHeader: key]) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("graph=\"theirs_secret_graph\""))
                }
            }
        }
    }
}

@Suite struct ObservabilityLoggingTests {
    @Test func jsonLinesCarryTheExpectedFields() throws {
        let capture = LogCapture(format: .json)
        var logger = capture.logger(label: "graph-api.test")
        logger[metadataKey: "hb.request.id"] = "req-123"
        logger.notice(
            "audit: \"quoted\"\nsecond line",
            metadata: [
                "audit": "auth_failure", "count": .stringConvertible(3), "ratio": .stringConvertible(0.5),
                "flag": .stringConvertible(true), "nested": ["inner": "v", "list": ["a", "b"]],
            ]
        )
        logger.debug("plain")

        let raw = capture.jsonLines
        #expect(raw.count == 2)
        #expect(raw.allSatisfy { $0.hasSuffix("}\n") && $0.dropLast().contains("\n") == false })
        let lines = try capture.jsonObjects()
        let line = try #require(lines.first)
        let timestamp = try #require(line["timestamp"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        #expect(line["level"] as? String == "notice")
        #expect(line["label"] as? String == "graph-api.test")
        #expect(line["message"] as? String == "audit: \"quoted\"\nsecond line")
        #expect(line["request_id"] as? String == "req-123")
        #expect(line["source"] as? String == "GraphAPITests")
        let metadata = try #require(line["metadata"] as? [String: Any])
        #expect(metadata["hb.request.id"] == nil)
        #expect(metadata["audit"] as? String == "auth_failure")
        #expect(metadata["count"] as? Int == 3)
        #expect(metadata["ratio"] as? Double == 0.5)
        #expect(metadata["flag"] as? Bool == true)
        let nested = try #require(metadata["nested"] as? [String: Any])
        #expect(nested["inner"] as? String == "v")
        #expect(nested["list"] as? [String] == ["a", "b"])
        #expect(lines[1]["level"] as? String == "debug")
        #expect(lines[1]["request_id"] as? String == "req-123")
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        var buffer = ByteBuffer()
        JSONLogHandler.writeTimestamp(Date(timeIntervalSince1970: 1_767_517_200.123_4), into: &buffer)
        #expect(String(buffer: buffer) == "2026-01-04T09:00:00.123Z")
        buffer.clear()
        JSONLogHandler.writeTimestamp(Date(timeIntervalSince1970: 0.9996), into: &buffer)
        #expect(String(buffer: buffer) == "1970-01-01T00:00:00.999Z")
    }

    @Test func logFormatResolvesFlagThenEnvironmentThenDeployment() throws {
        #expect(try LogFormat.resolve(flag: nil, environment: [:], deployment: .production) == .json)
        #expect(try LogFormat.resolve(flag: nil, environment: [:], deployment: .development) == .text)
        #expect(try LogFormat.resolve(flag: nil, environment: ["GRAPH_API_LOG_FORMAT": "json"], deployment: .development) == .json)
        #expect(try LogFormat.resolve(flag: "text", environment: ["GRAPH_API_LOG_FORMAT": "json"], deployment: .production) == .text)
        #expect(try LogFormat.resolve(flag: nil, environment: ["GRAPH_API_LOG_FORMAT": ""], deployment: .production) == .json)
        #expect(throws: ConfigurationError.self) { try LogFormat.resolve(flag: "xml", environment: [:], deployment: .production) }
    }

    @Test func everyResponseCarriesItsRequestIDAndEveryRequestIsLogged() async throws {
        let capture = LogCapture(format: .json)
        let ids = ObservabilityBox<[String]>([])
        try await TestServer.withServer(logs: capture, logLevel: .debug, configure: { $0.apiKeys = [APIKey(secret: "k")] }) { server in
            let client = server.client
            // Success, a handler's error, an auth error, no route.
            for (uri, status) in [("/health", 200), ("/databases/unknown", 404), ("/info", 401), ("/nope", 404)] {
                let headers: HTTPFields = uri == "/info" ? [:] : [AuthMiddleware.keyHeader: "k"]
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(Int(response.status.code) == status)
                    let id = try #require(response.headers[RequestIdentification.header])
                    #expect(!id.isEmpty)
                    ids.withLock { $0.append(id) }
                }
            }
            // A client's own safe id is used and echoed; an unsafe one is replaced.
            try await client.execute(uri: "/health", method: .get, headers: [RequestIdentification.header: "trace-abc_1.2:3"]) {
                #expect($0.headers[RequestIdentification.header] == "trace-abc_1.2:3")
            }
            try await client.execute(uri: "/health", method: .get, headers: [RequestIdentification.header: "bad id\" injected"]) {
                let id = $0.headers[RequestIdentification.header]
                #expect(id != nil && id != "bad id\" injected")
            }
        }
        let seen = ids.withLock { $0 }
        #expect(Set(seen).count == 4)

        let requests = try capture.jsonObjects().filter { $0["message"] as? String == "request" }
        #expect(requests.count == 6)
        let lookup = try #require(requests.first { ($0["metadata"] as? [String: Any])?["route"] as? String == "/databases/{graph_id}" })
        let metadata = try #require(lookup["metadata"] as? [String: Any])
        #expect(lookup["level"] as? String == "info")
        #expect(lookup["request_id"] as? String == seen[1])
        #expect(metadata["method"] as? String == "GET")
        #expect(metadata["path"] as? String == "/databases/unknown")
        #expect(metadata["status"] as? Int == 404)
        #expect(metadata["code"] as? String == "database_not_found")
        #expect((metadata["ms"] as? Double).map { $0 >= 0 } == true)
        #expect(requests.contains { $0["request_id"] as? String == "trace-abc_1.2:3" })
        // The auth failure's audit line carries the same request id as its response.
        let audit = try #require(try capture.jsonObjects().first { ($0["metadata"] as? [String: Any])?["audit"] as? String == "auth_failure" })
        #expect(audit["request_id"] as? String == seen[2])
    }

    @Test func requestIDsAreCheckedBeforeUse() {
        #expect(RequestObservabilityMiddleware<GraphAPIRequestContext>.isAcceptableRequestID("a"))
        #expect(RequestObservabilityMiddleware<GraphAPIRequestContext>.isAcceptableRequestID(String(repeating: "x", count: 128)))
        #expect(!RequestObservabilityMiddleware<GraphAPIRequestContext>.isAcceptableRequestID(String(repeating: "x", count: 129)))
        #expect(!RequestObservabilityMiddleware<GraphAPIRequestContext>.isAcceptableRequestID(""))
        #expect(!RequestObservabilityMiddleware<GraphAPIRequestContext>.isAcceptableRequestID("a b"))
        #expect(!RequestObservabilityMiddleware<GraphAPIRequestContext>.isAcceptableRequestID("é"))
        #expect(!RequestObservabilityMiddleware<GraphAPIRequestContext>.isAcceptableRequestID("a\nb"))
    }
}

@Suite struct ObservabilityInfoTests {
    @Test func infoReportsTheNodeAndNoSecret() async throws {
        let dir = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secrets = ["plain-secret-KEY-4f9a2c", "rotated-secret-KEY-77b1e0", "scoped-secret-KEY-0d3e5b"]
        let keys = [
            APIKey(secret: secrets[0]), APIKey(secret: secrets[1]),
            APIKey(secret: secrets[2], scope: KeyScope(graphs: ["g1"], readOnly: true)),
        ]
        try FileManager.default.createDirectory(atPath: dir + "/databases/g1", withIntermediateDirectories: true)
        let nodeID = ObservabilityBox<String?>(nil)
        for round in 0..<2 {
            try await TestServer.withServer(dataDirectory: dir, configure: { $0.apiKeys = keys }) { server in
                let client = server.client
                try await client.execute(uri: "/info", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[RequestIdentification.header] != nil)
                }
                try await client.execute(uri: "/info", method: .get, headers: [AuthMiddleware.keyHeader: secrets[1]]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                    let text = String(buffer: response.body)
                    for secret in secrets {
                        #expect(!text.contains(secret))
                        #expect(!text.contains(String(secret.prefix(12))))
                    }
                    let body = try ObservabilitySupport.json(response)
                    let id = try #require(body["node_id"] as? String)
                    #expect(UUID(uuidString: id) != nil)
                    if round == 0 {
                        nodeID.withLock { $0 = id }
                    } else {
                        #expect(id == nodeID.withLock { $0 })  // stable across restarts
                    }
                    #expect(body["node_id_persisted"] as? Bool == true)
                    #expect(body["node_type"] as? String == "writer")
                    #expect(body["tier"] as? String == "standard")
                    #expect(body["read_only"] as? Bool == false)
                    #expect(body["version"] as? String == GraphAPIVersion.string)
                    let engines = try #require(body["engines"] as? [String: Any])
                    #expect(engines["ladybug"] as? String == EngineVersion.ladybug)
                    #expect((engines["duckdb"] as? String)?.isEmpty == false)
                    let capacity = try #require(body["capacity"] as? [String: Any])
                    #expect(capacity["max_databases"] as? Int == 10)
                    #expect(capacity["current_databases"] as? Int == 1)
                    #expect(capacity["capacity_remaining"] as? Int == 9)
                    #expect(capacity["open_databases"] as? Int == 0)
                    #expect(body["active_connections"] as? Int == 0)
                    #expect(body["queue_depth"] as? Int == 0)
                    let configuration = try #require(body["configuration"] as? [String: Any])
                    #expect(configuration["max_rows"] as? Int == 10_000)
                    #expect(configuration["connection_idle_timeout_seconds"] as? Int == 60)
                    #expect(configuration["request_head_timeout_seconds"] as? Int == 10)
                    #expect(configuration["chunk_size"] as? Int == 1_000)
                    #expect(configuration["memory_per_database_bytes"] as? Int == 64 << 20)
                    let authentication = try #require(configuration["authentication"] as? [String: Any])
                    #expect(authentication["required"] as? Bool == true)
                    #expect(authentication["max_failures_per_address"] as? Int == 10)
                    #expect(authentication["address_window_seconds"] as? Int == 300)
                    #expect(authentication["max_failures_node_wide"] as? Int == 100)
                    #expect(authentication["node_window_seconds"] as? Int == 60)
                    #expect(authentication["api_keys_configured"] as? Int == 3)
                    #expect(authentication["scoped_api_keys"] as? Int == 1)
                    #expect(authentication["read_only_api_keys"] as? Int == 1)
                }
            }
        }
        // A key scoped to some graphs gets the node and its settings, but nothing that counts other
        // tenants or their work.
        try await TestServer.withServer(dataDirectory: dir, configure: { $0.apiKeys = keys }) { server in
            let client = server.client
            try await client.execute(uri: "/info", method: .get, headers: [AuthMiddleware.keyHeader: secrets[2]]) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                for secret in secrets { #expect(!text.contains(secret)) }
                let body = try ObservabilitySupport.json(response)
                #expect(body["node_id"] as? String == nodeID.withLock { $0 })
                #expect(body["version"] as? String == GraphAPIVersion.string)
                for hidden in ["capacity", "active_connections", "queue_depth"] {
                    #expect(body[hidden] == nil, "\(hidden)")
                }
                let configuration = try #require(body["configuration"] as? [String: Any])
                #expect(configuration["max_rows"] as? Int == 10_000)
                #expect(configuration["authentication"] == nil)
            }
        }
        let stored = try String(contentsOfFile: dir + "/node-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(stored == nodeID.withLock { $0 })
    }

    @Test func nodeIdentityIsCreatedOnceAndRepairedWhenUnreadable() throws {
        let dir = TestServer.temporaryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try NodeIdentity.loadOrCreate(dataDirectory: dir)
        #expect(try NodeIdentity.loadOrCreate(dataDirectory: dir) == first)
        try Data("not a uuid".utf8).write(to: URL(fileURLWithPath: dir + "/node-id"))
        let repaired = try NodeIdentity.loadOrCreate(dataDirectory: dir)
        #expect(repaired != first)
        #expect(try NodeIdentity.loadOrCreate(dataDirectory: dir) == repaired)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["node-id"])
        // A data folder that does not exist cannot hold an id.
        #expect(throws: (any Error).self) { try NodeIdentity.loadOrCreate(dataDirectory: dir + "/missing") }
    }
}
