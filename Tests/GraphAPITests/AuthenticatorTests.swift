import Foundation
import GraphAPITesting
import HTTPTypes
import Hummingbird
import Logging
import Testing

@testable import GraphAPI
@testable import GraphService

@Suite struct AuthenticatorTests {
    @Test func acceptsEveryConfiguredKeyWithItsScope() {
        let scoped = KeyScope(graphs: ["g1"], readOnly: true)
        let auth = Authenticator(keys: [APIKey(secret: "old"), APIKey(secret: "new"), APIKey(secret: "reader", scope: scoped)])
        #expect(auth.authenticate(presented: "old", client: "a") == .accepted(.unrestricted))
        #expect(auth.authenticate(presented: "new", client: "a") == .accepted(.unrestricted))
        #expect(auth.authenticate(presented: "reader", client: "a") == .accepted(scoped))
        #expect(auth.authenticate(presented: "ol", client: "a") == .rejected)
        #expect(auth.authenticate(presented: "old ", client: "a") == .rejected)
        #expect(auth.authenticate(presented: nil, client: "a") == .rejected)
        #expect(scoped.allows("g1") && !scoped.allows("g2"))
    }

    @Test func throttlesWrongKeysFromAnAddressButNeverARightOne() {
        let auth = Authenticator(keys: [APIKey(secret: "k")], limits: AuthenticationLimits(failuresPerClient: 10, clientWindow: .seconds(300)))
        let start = ContinuousClock.now
        for i in 0..<10 {
            #expect(auth.authenticate(presented: "wrong", client: "1.2.3.4", now: start + .seconds(i)) == .rejected)
        }
        // The address is throttled: a wrong or missing key gets 429 (the first refusal of the
        // episode is flagged, for the one audit line), the right key still passes.
        #expect(
            auth.authenticate(presented: "wrong", client: "1.2.3.4", now: start + .seconds(10))
                == .throttled(retryAfterSeconds: 290, reason: .client, first: true)
        )
        #expect(
            auth.authenticate(presented: nil, client: "1.2.3.4", now: start + .seconds(11))
                == .throttled(retryAfterSeconds: 289, reason: .client, first: false)
        )
        #expect(auth.authenticate(presented: "k", client: "1.2.3.4", now: start + .seconds(12)) == .accepted(.unrestricted))
        // Refusals are not counted: once the oldest failure is 5 minutes old, one more attempt is a 401 again.
        #expect(auth.authenticate(presented: "wrong", client: "1.2.3.4", now: start + .seconds(300)) == .rejected)
        #expect(
            auth.authenticate(presented: "wrong", client: "1.2.3.4", now: start + .seconds(300))
                == .throttled(retryAfterSeconds: 1, reason: .client, first: true)
        )
        // Another address is not affected.
        #expect(auth.authenticate(presented: "wrong", client: "5.6.7.8", now: start + .seconds(300)) == .rejected)
    }

    @Test func throttlesWrongKeysNodeWideAcrossAddresses() {
        let auth = Authenticator(
            keys: [APIKey(secret: "k")], limits: AuthenticationLimits(failuresPerClient: 10, failuresPerNode: 5, nodeWindow: .seconds(60))
        )
        let start = ContinuousClock.now
        for i in 0..<5 {
            #expect(auth.authenticate(presented: "guess-\(i)", client: "10.0.0.\(i)", now: start + .seconds(i)) == .rejected)
        }
        // A sixth address, with no failure of its own, is throttled by the node's budget.
        #expect(
            auth.authenticate(presented: "guess-5", client: "10.0.0.5", now: start + .seconds(10))
                == .throttled(retryAfterSeconds: 50, reason: .node, first: true)
        )
        #expect(
            auth.authenticate(presented: nil, client: "10.0.0.6", now: start + .seconds(20))
                == .throttled(retryAfterSeconds: 40, reason: .node, first: false)
        )
        #expect(auth.authenticate(presented: "k", client: "10.0.0.6", now: start + .seconds(20)) == .accepted(.unrestricted))
        // The oldest failure leaves the window at 60 s: one more failure fits.
        #expect(auth.authenticate(presented: "guess-7", client: "10.0.0.7", now: start + .seconds(60)) == .rejected)
        #expect(
            auth.authenticate(presented: "guess-8", client: "10.0.0.8", now: start + .seconds(60))
                == .throttled(retryAfterSeconds: 1, reason: .node, first: true)
        )
    }

    @Test func failuresOfManyAddressesAreForgottenOnceExpired() {
        let auth = Authenticator(
            keys: [APIKey(secret: "k")],
            limits: AuthenticationLimits(failuresPerClient: 10, clientWindow: .seconds(1), failuresPerNode: 100_000, nodeWindow: .seconds(1))
        )
        let start = ContinuousClock.now
        for i in 0..<5_000 {
            #expect(auth.authenticate(presented: "x", client: "a\(i)", now: start) == .rejected)
        }
        #expect(auth.trackedClientCount == 5_000)
        // Later failures of other addresses sweep the expired ones away.
        for i in 0..<4_000 {
            #expect(auth.authenticate(presented: "x", client: "b\(i)", now: start + .seconds(2)) == .rejected)
        }
        #expect(auth.trackedClientCount == 4_000)
    }

    @Test func constantTimeComparisonIsCorrect() {
        #expect(Authenticator.constantTimeEquals("abc", "abc"))
        #expect(!Authenticator.constantTimeEquals("abc", "abd"))
        #expect(!Authenticator.constantTimeEquals("abc", "abcd"))
        #expect(!Authenticator.constantTimeEquals("", "a"))
        #expect(Authenticator.constantTimeEquals("", ""))
    }

    /// Runs `body` with a server that has these keys.
    static func withServer(
        keys: [String], logs: LogCapture = LogCapture(), configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> Void
    ) async throws {
        try await TestServer.withServer(logs: logs, configure: { configuration in
            configuration.apiKeys = keys.map { APIKey(secret: $0) }
            configure(&configuration)
        }, body)
    }

    @Test func liveServerRequiresAKeyExceptOnPublicRoutes() async throws {
        try await Self.withServer(keys: ["secret-1", "secret-2"]) { server in
            let client = server.client
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/status", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/databases/x/query", method: .post) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(body["code"] as? String == "unauthorized")
            }
            // A valid key (either of the rotation pair, in either header) gets past auth: the
            // unknown route is then a 404, not a 401.
            try await client.execute(uri: "/nope", method: .get, headers: [AuthMiddleware.keyHeader: "secret-1"]) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/nope", method: .get, headers: [.authorization: "Bearer secret-2"]) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/nope", method: .get, headers: [.authorization: "Basic secret-2"]) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func liveServerThrottlesWrongKeysOfAnAddressButLetsTheRightKeyThrough() async throws {
        let logs = LogCapture()
        try await Self.withServer(keys: ["secret"], logs: logs) { server in
            let client = server.client
            for _ in 0..<10 {
                try await client.execute(uri: "/databases", method: .get, headers: [AuthMiddleware.keyHeader: "bad"]) {
                    #expect($0.status == .unauthorized)
                }
            }
            for headers: HTTPFields in [[AuthMiddleware.keyHeader: "bad"], [:], [.authorization: "Bearer worse"]] {
                try await client.execute(uri: "/databases", method: .get, headers: headers) { response in
                    #expect(response.status == .tooManyRequests)
                    let retry = try #require(response.headers[.retryAfter].flatMap(Int.init))
                    #expect(retry > 0 && retry <= 300)
                    let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                    #expect(body["code"] as? String == "too_many_failed_authentications")
                }
            }
            // The owner's key, from the very same address, is never refused.
            for headers: HTTPFields in [[AuthMiddleware.keyHeader: "secret"], [.authorization: "Bearer secret"]] {
                try await client.execute(uri: "/databases", method: .get, headers: headers) { #expect($0.status == .ok) }
            }
            // Public routes still answer.
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
        // Every 401 is an audit line; the throttled refusals one notice for the episode.
        let entries = logs.records.filter { $0.level >= .notice }
        #expect(entries.filter { $0.metadata["audit"] == "auth_failure" }.count == 10)
        let throttled = entries.filter { $0.metadata["audit"] == "auth_throttled" }
        #expect(throttled.count == 1)
        #expect(throttled.first?.metadata["throttle"] == "client")
    }

    @Test func liveServerThrottlesWrongKeysNodeWideAcrossDistinctAddresses() async throws {
        let logs = LogCapture()
        try await Self.withServer(keys: ["secret"], logs: logs, configure: { $0.maxAuthFailuresPerMinute = 3 }) { server in
            let port = server.port
            // Three addresses (all loopback), one wrong key each: 401s, and the node's budget is spent.
            for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
                let answer = try await RawHTTP.request(port: port, from: source, path: "/databases", headers: ["X-Graph-API-Key: guess"])
                #expect(answer.status == 401, "\(source)")
            }
            // A fourth address, with no failure of its own, is throttled...
            let refused = try await RawHTTP.request(port: port, from: "127.0.0.5", path: "/databases", headers: ["X-Graph-API-Key: guess"])
            #expect(refused.status == 429)
            #expect(refused.headers["retry-after"].flatMap(Int.init).map { $0 > 0 && $0 <= 60 } == true)
            #expect(refused.body.contains("\"too_many_failed_authentications_node\""))
            let missing = try await RawHTTP.request(port: port, from: "127.0.0.6", path: "/databases")
            #expect(missing.status == 429)
            // ...while the right key passes from any address.
            for source in ["127.0.0.5", "127.0.0.2"] {
                let accepted = try await RawHTTP.request(port: port, from: source, path: "/databases", headers: ["X-Graph-API-Key: secret"])
                #expect(accepted.status == 200, "\(source)")
            }
        }
        // The server saw each source address as a client of its own.
        let failures = logs.records.filter { $0.metadata["audit"] == "auth_failure" }.compactMap { $0.metadata["client"]?.description }
        #expect(failures == ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        let throttled = logs.records.filter { $0.metadata["audit"] == "auth_throttled" }
        #expect(throttled.map { $0.metadata["throttle"] } == ["node"])
        #expect(throttled.first?.metadata["client"] == "127.0.0.5")
    }

    @Test func scopedKeysFileIsReadAndValidated() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = dir + "/keys.json"
        try Data(#"[{"key":"a","graphs":["g1","g2"],"read_only":true},{"key":"b"}]"#.utf8).write(to: URL(fileURLWithPath: good))
        let config = try ServerConfiguration.resolve(flags: .init(), environment: ["GRAPH_API_KEYS_FILE": good])
        #expect(config.apiKeys == [APIKey(secret: "a", scope: KeyScope(graphs: ["g1", "g2"], readOnly: true)), APIKey(secret: "b")])

        let bad = dir + "/bad.json"
        try Data(#"[{"key":"a","graphs":["../etc"]}]"#.utf8).write(to: URL(fileURLWithPath: bad))
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.resolve(flags: .init(settings: ["KEYS_FILE": bad]), environment: [:])
        }
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.resolve(flags: .init(settings: ["KEYS_FILE": dir + "/missing.json"]), environment: [:])
        }
    }
}
