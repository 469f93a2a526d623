import BackupArchive
import Foundation
import GraphAPI
import GraphAPITesting
@testable import GraphService
import Hummingbird
import Logging

/// A real Graph API server in this process (the test harness's ``TestServer``: the production
/// builder, stopped as production stops), on a free port, with its data in a fresh temporary
/// folder (removed afterwards). Kept in its own file: `GraphAPI` and `GraphAPIClient` both have a
/// `SchemaType`.
enum LiveServer {
    /// The key every test server accepts (unrestricted).
    static let apiKey = "cli-test-key"
    /// A key limited to reading.
    static let readOnlyKey = "cli-test-read-only-key"

    /// Settings of the test servers: small engine memory, a low row limit and small chunks so
    /// truncation and chunking show with few rows.
    struct Settings: Sendable {
        var maxRows = 50
        var chunkSize = 7
        var maxStagingStreamRows = 100
        /// Connections per database (`nil`: the tier's).
        var connectionsPerDatabase: Int?
        /// How long a query waits for a busy database's connection before `503` + `Retry-After`.
        var connectionWaitMilliseconds = 5_000
        /// Failed authentications from all addresses within a minute before `429`.
        var maxAuthFailuresPerMinute = 100
        /// The port (0: a free one).
        var port = 0
        /// The backup key (base64 of 32 bytes, id `default`); none: backups are unencrypted.
        var backupKey: String?
    }

    /// A running server.
    struct Instance: Sendable {
        /// Its base URL.
        var url: String
        /// The folder its staging and copy requests read local sources from.
        var importDirectory: String
    }

    /// Runs `body` with the base URL of a running server, then stops the server.
    static func with<Value: Sendable>(
        _ settings: Settings = Settings(), _ body: @Sendable (_ url: String) async throws -> Value
    ) async throws -> Value {
        try await withServer(settings) { server in try await body(server.url) }
    }

    /// Runs `body` with a running server, then stops the server.
    static func withServer<Value: Sendable>(
        _ settings: Settings = Settings(), _ body: @Sendable (_ server: Instance) async throws -> Value
    ) async throws -> Value {
        try await TestServer.withServer(logLevel: .critical, configure: { configuration in
            configuration.port = settings.port
            configuration.apiKeys = [APIKey(secret: apiKey), APIKey(secret: readOnlyKey, scope: KeyScope(readOnly: true))]
            configuration.maxDatabaseSizeBytes = 1 << 30
            configuration.threadsPerQuery = 1
            configuration.maxRows = settings.maxRows
            configuration.chunkSize = settings.chunkSize
            configuration.maxStagingStreamRows = settings.maxStagingStreamRows
            configuration.connectionsPerDatabase = settings.connectionsPerDatabase
            configuration.connectionWaitMilliseconds = settings.connectionWaitMilliseconds
            configuration.maxAuthFailuresPerMinute = settings.maxAuthFailuresPerMinute
            if let key = settings.backupKey {
                configuration.backupKeys = BackupKeyRing([try! BackupKey(id: "default", base64: key)])
            }
        }) { server in
            try await body(Instance(url: "http://127.0.0.1:\(server.port)", importDirectory: server.importDirectory))
        }
    }

    enum LiveServerError: Error {
        case didNotStart
    }
}
