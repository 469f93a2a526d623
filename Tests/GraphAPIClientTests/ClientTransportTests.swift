import Foundation
import GraphAPIContract
import GraphJSON
import Testing

@testable import GraphAPIClient

/// The transport against the real server: waiting without spinning, retries, `Retry-After`, the
/// circuit breaker and per-request timeouts.
@Suite(.serialized) struct ClientTransportTests {
    static let ddl = "CREATE NODE TABLE N(id INT64, PRIMARY KEY(id));"
    /// A statement the engine needs seconds for (about 2–10 s here, depending on the load).
    static let slowCypher = "UNWIND range(1, 150000000) AS x RETURN count(*) AS n"

    static func client(
        _ url: String, key: String? = LiveServer.apiKey, retry: RetryPolicy = .none, breaker: CircuitBreakerPolicy = .disabled,
        requestTimeout: Double = 60
    ) throws -> GraphAPIClient {
        GraphAPIClient(
            configuration: try .init(
                url: url, apiKey: key, requestTimeoutSeconds: requestTimeout, connectTimeoutSeconds: 0.5, retry: retry, circuitBreaker: breaker
            )
        )
    }

    /// A loopback port nothing listens on.
    static func closedPort() throws -> Int {
        let result = try runProcess(
            "/usr/bin/env",
            ["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()"]
        )
        return try #require(Int(result.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    static func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Waiting

    @Test func queryCommandUsesAlmostNoCPUWhileTheServerWorks() async throws {
        try await LiveServer.with { url in
            let setup = try Self.client(url)
            _ = try await setup.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: Self.ddl))
            try await setup.shutdown()
            let measured = try await CLIProcess.runMeasured(
                ["query", "g", Self.slowCypher, "--url", url], environment: ["GRAPH_API_KEY": LiveServer.apiKey]
            )
            #expect(measured.outcome.status == 0, "\(measured.outcome)")
            #expect(measured.outcome.stdout.contains("150000000"))
            // Only meaningful when the client really waited.
            try #require(measured.wallSeconds >= 1.5, "the query took \(measured.wallSeconds) s: too fast to measure waiting")
            #expect(measured.cpuSeconds >= 0)
            #expect(
                measured.cpuSeconds < 0.1 * measured.wallSeconds,
                "graph-api used \(measured.cpuSeconds) s of CPU over \(measured.wallSeconds) s waiting for a query"
            )
        }
    }

    @Test func tasksWatchUsesAlmostNoCPUWhileTheTaskRuns() async throws {
        try await TaskTestServer.with { server in
            let id = try await server.submitProgressing(graph: nil, steps: 6, stepMilliseconds: 500)
            let measured = try await CLIProcess.runMeasured(
                ["tasks", "watch", id, "--url", server.url], environment: ["GRAPH_API_KEY": LiveServer.apiKey]
            )
            #expect(measured.outcome.status == 0, "\(measured.outcome)")
            try #require(measured.wallSeconds >= 1.5, "the task took \(measured.wallSeconds) s: too fast to measure waiting")
            #expect(measured.cpuSeconds >= 0)
            #expect(
                measured.cpuSeconds < 0.1 * measured.wallSeconds,
                "graph-api used \(measured.cpuSeconds) s of CPU over \(measured.wallSeconds) s watching a task"
            )
        }
    }

    // MARK: Retries

    @Test func busyDatabaseIsRetriedAfterRetryAfterForGETsOnly() async throws {
        var settings = LiveServer.Settings()
        settings.connectionsPerDatabase = 1
        settings.connectionWaitMilliseconds = 100
        try await LiveServer.with(settings) { url in
            let setup = try Self.client(url)
            _ = try await setup.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: Self.ddl))
            // The only connection is busy with a slow query while the calls below run.
            let slow = Task { try await setup.query("g", QueryRequest(cypher: Self.slowCypher)) }
            try await Task.sleep(for: .milliseconds(500))

            let once = try Self.client(url)
            let refused = await #expect(throws: GraphAPIClientError.self) { try await once.schema("g") }
            #expect(refused?.status == 503)
            #expect(refused?.code == "database_busy")
            #expect(refused?.retryAfterSeconds == 1)
            #expect(refused?.attempts == 1)

            let retrying = try Self.client(url, retry: RetryPolicy(maxAttempts: 60, maxRetryAfterSeconds: 5))
            // A POST is never sent twice, whatever the policy.
            let post = await #expect(throws: GraphAPIClientError.self) { try await retrying.query("g", QueryRequest(cypher: "RETURN 1")) }
            #expect(post?.status == 503)
            #expect(post?.attempts == 1)
            // A GET waits out Retry-After and succeeds once the slow query is done.
            let started = ContinuousClock.now
            let schema = try await retrying.schema("g")
            #expect(schema.nodeTables.map(\.name) == ["N"])
            #expect(ContinuousClock.now - started >= .milliseconds(900))
            _ = try await slow.value
            for client in [setup, once, retrying] { try await client.shutdown() }
        }
    }

    @Test func authThrottle429IsNotRetriedPastTheLimitAnd401NeverIs() async throws {
        var settings = LiveServer.Settings()
        settings.maxAuthFailuresPerMinute = 3
        try await LiveServer.with(settings) { url in
            let wrong = try Self.client(url, key: "wrong-key", retry: RetryPolicy(maxAttempts: 5, baseDelaySeconds: 0.01, maxRetryAfterSeconds: 2))
            for _ in 0..<3 {
                let error = await #expect(throws: GraphAPIClientError.self) { try await wrong.listDatabases() }
                #expect(error?.status == 401)
                #expect(error?.attempts == 1)
            }
            let started = ContinuousClock.now
            let throttled = await #expect(throws: GraphAPIClientError.self) { try await wrong.listDatabases() }
            #expect(throttled?.status == 429)
            #expect(throttled?.code == "too_many_failed_authentications_node")
            #expect((throttled?.retryAfterSeconds ?? 0) > 2)  // longer than this client waits
            #expect(throttled?.attempts == 1)
            #expect(ContinuousClock.now - started < .seconds(2))
            // A valid key still passes.
            let valid = try Self.client(url)
            #expect(try await valid.listDatabases().databases.isEmpty)
            try await wrong.shutdown()
            try await valid.shutdown()
        }
    }

    @Test func unreachableServerIsRetriedEvenForPOSTsAndOpensTheBreaker() async throws {
        let port = try Self.closedPort()
        let url = "http://127.0.0.1:\(port)"
        let retrying = try Self.client(url, retry: RetryPolicy(maxAttempts: 3, baseDelaySeconds: 0.01))
        // Never sent, so even a query is tried again.
        let error = await #expect(throws: GraphAPIClientError.self) { try await retrying.query("g", QueryRequest(cypher: "RETURN 1")) }
        #expect(error?.kind == .transport)
        #expect(error?.requestNotSent == true)
        #expect(error?.attempts == 3)
        try await retrying.shutdown()

        let guarded = try Self.client(url, breaker: CircuitBreakerPolicy(failureThreshold: 3, cooldownSeconds: 1))
        for _ in 0..<3 {
            let failure = await #expect(throws: GraphAPIClientError.self) { try await guarded.health() }
            #expect(failure?.kind == .transport)
        }
        let fast = await #expect(throws: GraphAPIClientError.self) { try await guarded.health() }
        #expect(fast?.kind == .circuitOpen)
        #expect(guarded.breaker.current != .closed(consecutiveFailures: 0))
        // After the cool-down one probe goes out; the server is back, so the breaker closes.
        var settings = LiveServer.Settings()
        settings.port = port
        try await LiveServer.with(settings) { _ in
            let stillOpen = await #expect(throws: GraphAPIClientError.self) { try await guarded.health() }
            #expect(stillOpen?.kind == .circuitOpen)
            try await Task.sleep(for: .milliseconds(1_100))
            #expect(try await guarded.health().status == .healthy)
            #expect(guarded.breaker.current == .closed(consecutiveFailures: 0))
            #expect(try await guarded.health().status == .healthy)
        }
        // The server is gone again: a half-open probe that fails opens the breaker at once.
        try await Task.sleep(for: .milliseconds(100))
        for _ in 0..<3 { _ = try? await guarded.health() }
        let reopened = await #expect(throws: GraphAPIClientError.self) { try await guarded.health() }
        #expect(reopened?.kind == .circuitOpen)
        try await Task.sleep(for: .milliseconds(1_100))
        let probe = await #expect(throws: GraphAPIClientError.self) { try await guarded.health() }
        #expect(probe?.kind == .transport)
        let afterProbe = await #expect(throws: GraphAPIClientError.self) { try await guarded.health() }
        #expect(afterProbe?.kind == .circuitOpen)
        try await guarded.shutdown()
    }

    // MARK: Timeouts

    @Test func aRequestGivesUpAtItsOwnTimeout() async throws {
        try await LiveServer.with { url in
            let client = try Self.client(url, retry: RetryPolicy(maxAttempts: 3))
            _ = try await client.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: Self.ddl))
            var request = client.queryRequest("g", QueryRequest(cypher: Self.slowCypher))
            request.timeoutSeconds = 0.5
            let started = ContinuousClock.now
            let error = await #expect(throws: GraphAPIClientError.self) { try await client.send(request) }
            #expect(error?.kind == .transport)
            #expect(error?.detail.contains("did not answer within 0.5 s") == true, "\(String(describing: error))")
            #expect(error?.attempts == 1)  // the POST reached the server: not sent again
            #expect(ContinuousClock.now - started < .seconds(5))
            // Other requests keep their own (default) timeout.
            #expect(try await client.health().status == .healthy)
            try await client.shutdown()
        }
    }

    // MARK: Command line

    @Test func commandLineSettingsReachTheClient() async throws {
        let port = try Self.closedPort()
        let url = "http://127.0.0.1:\(port)"
        // AsyncHTTPClient keeps trying to connect until the connect timeout: keep it short.
        let environment = ["GRAPH_API_CONNECT_TIMEOUT_SECONDS": "0.3"]
        let off = try await CLIProcess.run(["health", "--url", url, "--retries", "0"], environment: environment)
        #expect(off.status == 1)
        #expect(off.stderr.contains("cannot connect to the server at 127.0.0.1:\(port)"))
        #expect(!off.stderr.contains("attempts"))
        let flag = try await CLIProcess.run(
            ["health", "--url", url, "--retries", "2", "--retry-delay-ms", "1"], environment: environment
        )
        #expect(flag.stderr.contains("after 3 attempts"), "\(flag)")
        let fromEnvironment = try await CLIProcess.run(
            ["health", "--url", url, "--connect-timeout", "0.3"], environment: ["GRAPH_API_RETRIES": "1", "GRAPH_API_RETRY_DELAY_MS": "1"]
        )
        #expect(fromEnvironment.stderr.contains("after 2 attempts"), "\(fromEnvironment)")
        let invalid = try await CLIProcess.run(["health", "--url", url], environment: ["GRAPH_API_RETRIES": "many"])
        #expect(invalid.status == 64)
        #expect(invalid.stderr.contains("GRAPH_API_RETRIES"))
        let help = try await CLIProcess.run(["query", "--help"])
        for option in ["--request-timeout", "--connect-timeout", "--retries", "--retry-delay-ms", "--breaker-failures", "--breaker-cooldown"] {
            #expect(help.stdout.contains(option), "\(option) missing from --help")
        }
    }

    // MARK: Policy arithmetic

    @Test func backoffIsExponentialWithFullJitterAndCapped() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelaySeconds: 0.1, maxDelaySeconds: 1)
        for _ in 0..<200 {
            #expect((0...0.1).contains(policy.backoffSeconds(retry: 1)))
            #expect((0...0.4).contains(policy.backoffSeconds(retry: 3)))
            #expect((0...1).contains(policy.backoffSeconds(retry: 9)))
        }
        let spread = Set((0..<50).map { _ in policy.backoffSeconds(retry: 5) })
        #expect(spread.count > 10)  // jittered, not a fixed delay
        let busy = GraphAPIClientError(kind: .server, status: 503, detail: "busy", retryAfterSeconds: 2)
        #expect(policy.delayBeforeRetry(after: busy, attempt: 1, method: "GET") == 2)
        #expect(policy.delayBeforeRetry(after: busy, attempt: 1, method: "POST") == nil)
        #expect(policy.delayBeforeRetry(after: busy, attempt: 10, method: "GET") == nil)
        let notFound = GraphAPIClientError(kind: .server, status: 404, detail: "no")
        #expect(policy.delayBeforeRetry(after: notFound, attempt: 1, method: "GET") == nil)
    }
}
