import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GraphAPI

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

    @Test func locksOutAfterTenFailuresUntilTheWindowPasses() {
        let auth = Authenticator(keys: [APIKey(secret: "k")], maxFailures: 10, window: .seconds(300))
        let start = ContinuousClock.now
        for i in 0..<10 {
            #expect(auth.authenticate(presented: "wrong", client: "1.2.3.4", now: start + .seconds(i)) == .rejected)
        }
        // The right key is refused too while locked out; another client is not affected.
        guard case .lockedOut(let retry) = auth.authenticate(presented: "k", client: "1.2.3.4", now: start + .seconds(10)) else {
            Issue.record("expected a lockout")
            return
        }
        #expect(retry == 290)
        #expect(auth.authenticate(presented: "k", client: "5.6.7.8", now: start + .seconds(10)) == .accepted(.unrestricted))
        // Once the oldest failure is 5 minutes old, the client may try again.
        #expect(auth.authenticate(presented: "k", client: "1.2.3.4", now: start + .seconds(300)) == .accepted(.unrestricted))
    }

    @Test func constantTimeComparisonIsCorrect() {
        #expect(Authenticator.constantTimeEquals("abc", "abc"))
        #expect(!Authenticator.constantTimeEquals("abc", "abd"))
        #expect(!Authenticator.constantTimeEquals("abc", "abcd"))
        #expect(!Authenticator.constantTimeEquals("", "a"))
        #expect(Authenticator.constantTimeEquals("", ""))
    }

    static func app(keys: [String], dataDirectory: String) throws -> some ApplicationProtocol {
        var config = ServerConfiguration()
        config.dataDirectory = dataDirectory
        config.port = 0
        config.apiKeys = keys.map { APIKey(secret: $0) }
        return try buildApplication(configuration: config, logger: Logger(label: "test"))
    }

    @Test func liveServerRequiresAKeyExceptOnPublicRoutes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-auth-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let app = try Self.app(keys: ["secret-1", "secret-2"], dataDirectory: dir)
        try await app.test(.live) { client in
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

    @Test func liveServerLocksOutAClientAfterTenFailures() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-auth-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let app = try Self.app(keys: ["secret"], dataDirectory: dir)
        try await app.test(.live) { client in
            for _ in 0..<10 {
                try await client.execute(uri: "/databases", method: .get, headers: [AuthMiddleware.keyHeader: "bad"]) {
                    #expect($0.status == .unauthorized)
                }
            }
            try await client.execute(uri: "/databases", method: .get, headers: [AuthMiddleware.keyHeader: "secret"]) { response in
                #expect(response.status == .tooManyRequests)
                let retry = try #require(response.headers[.retryAfter].flatMap(Int.init))
                #expect(retry > 0 && retry <= 300)
            }
            // Public routes still answer.
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
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
