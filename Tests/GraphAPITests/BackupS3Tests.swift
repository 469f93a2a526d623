import AsyncHTTPClient
import Foundation
import GraphAPITesting
import HTTPTypes
import NIOCore
import S3Client
import Testing

@testable import BackupArchive
@testable import GraphService

/// Backups whose destination is S3: a local S3 server that checks every request's signature
/// (moto, started by scripts/test.sh).
/// The signature-checking S3 server of scripts/test.sh, when it runs.
private let authenticatingS3Server: (endpoint: String, keyID: String, secret: String)? = {
    let env = ProcessInfo.processInfo.environment
    guard let endpoint = env["GRAPH_API_TEST_S3_AUTH_ENDPOINT"], let keyID = env["GRAPH_API_TEST_S3_AUTH_KEY_ID"],
        let secret = env["GRAPH_API_TEST_S3_AUTH_SECRET"]
    else { return nil }
    return (endpoint, keyID, secret)
}()
/// The S3 server of scripts/test.sh that accepts any key.
private let openS3Server = ProcessInfo.processInfo.environment["GRAPH_API_TEST_S3_ENDPOINT"]

@Suite(.serialized, .slow, .enabled(if: authenticatingS3Server != nil && openS3Server != nil, "needs the local S3 servers of scripts/test.sh"))
struct BackupS3Tests {
    static var authenticatingServer: (endpoint: String, keyID: String, secret: String)? { authenticatingS3Server }

    /// The destination on the signature-checking server (bucket graph-api-auth). Its check gets
    /// a `/` in a query value wrong (boto3's listings with such a prefix fail there too), so
    /// listings are tested on the open server.
    static func settings(prefix: String, secret: String? = nil) throws -> BackupS3Settings {
        let server = try #require(authenticatingServer)
        return BackupS3Settings(
            location: try S3Location("s3://graph-api-auth/\(prefix)"),
            client: S3Client.Configuration(
                credentials: .init(accessKeyID: server.keyID, secretAccessKey: secret ?? server.secret), endpoint: try .init(url: "http://\(server.endpoint)"),
                retryPolicy: .init(maxAttempts: 2, baseDelay: .milliseconds(50), maxDelay: .milliseconds(200))
            )
        )
    }

    /// A destination in a new bucket of the open server.
    static func openSettings() async throws -> BackupS3Settings {
        let endpoint = try #require(openS3Server)
        let bucket = "backups-\(UUID().uuidString.lowercased().prefix(8))"
        let configuration = S3Client.Configuration(credentials: .init(accessKeyID: "test", secretAccessKey: "test"), endpoint: try .init(url: "http://\(endpoint)"))
        try await S3Client(httpClient: .shared, configuration: configuration).createBucket(bucket)
        return BackupS3Settings(location: try S3Location("s3://\(bucket)/graphs"), client: configuration)
    }

    @Test func backupsAndRestoresPassTheSignatureCheck() async throws {
        let s3 = try Self.settings(prefix: "backups-\(UUID().uuidString)")
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything], configure: { configuration in
            configuration.backupKeys = BackupKeyRing([try! BackupKey(id: "k1", base64: BackupRestoreTests.key)])
            configuration.backupS3 = s3
        }) { server in
            let client = server.client
            let before = try await BackupRestoreTests.contents(client, "g1")
            let manifest = try #require(try await BackupRestoreTests.backup(client, "g1")["result"] as? [String: Any])
            #expect(manifest["destination"] as? String == "s3", "\(manifest)")
            let backupID = try #require(manifest["backup_id"] as? String)
            #expect(try await client.send(.get, "/databases/g1/backups/\(backupID)").object()["sha256"] as? String == manifest["sha256"] as? String)
            _ = try await client.send(.post, "/databases/g1/query", object: ["cypher": "MATCH (n:Item) WHERE n.id > 100 DETACH DELETE n"])
            let restored = try await BackupRestoreTests.restore(client, "g1", ["backup_id": backupID, "force_overwrite": true])
            #expect(restored["status"] as? String == "completed", "\(restored)")
            #expect(try await BackupRestoreTests.contents(client, "g1") == before)
        }
    }

    @Test func backupsGoToS3AndComeBack() async throws {
        let s3 = try await Self.openSettings()
        let (bucket, prefix) = (s3.location.bucket, s3.location.prefix)
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything], configure: { configuration in
            configuration.backupKeys = BackupKeyRing([try! BackupKey(id: "k1", base64: BackupRestoreTests.key)])
            configuration.backupS3 = s3
        }) { server in
            let client = server.client
            let before = try await BackupRestoreTests.contents(client, "g1")
            // S3 is the default destination once configured; a local one can still be asked for.
            let remote = try #require(try await BackupRestoreTests.backup(client, "g1")["result"] as? [String: Any])
            #expect(remote["destination"] as? String == "s3", "\(remote)")
            let local = try #require(try await BackupRestoreTests.backup(client, "g1", ["destination": "local"])["result"] as? [String: Any])
            #expect(local["destination"] as? String == "local")
            let remoteID = try #require(remote["backup_id"] as? String)
            #expect(!FileManager.default.fileExists(atPath: server.dataDirectory + "/backups/g1/\(remoteID).gbak"))

            // In the bucket, exactly as the manifest says.
            let http = S3Client(httpClient: .shared, configuration: s3.client)
            let archiveKey = "\(prefix)/g1/\(remoteID).gbak"
            let head = try #require(try await http.headObject(bucket: bucket, key: archiveKey))
            #expect(head.size == remote["stored_bytes"] as? Int64 ?? Int64(remote["stored_bytes"] as? Int ?? -1))

            // Listed with the local one, newest first; downloaded as stored.
            let listed = try await client.send(.get, "/databases/g1/backups")
            #expect(listed.status == .ok, "\(String(buffer: listed.body))")
            let list = try listed.object()
            #expect((list["backups"] as? [[String: Any]])?.compactMap { $0["destination"] as? String }.sorted() == ["local", "s3"])
            let downloaded = try await client.send(.get, "/databases/g1/backup-download?backup_id=\(remoteID)")
            #expect(downloaded.status == .ok)
            #expect(downloaded.headers[HTTPField.Name("X-Backup-SHA256")!] == remote["sha256"] as? String)
            let bytes = Data(downloaded.body.readableBytesView)
            #expect(bytes.count == remote["stored_bytes"] as? Int)

            // Restored from S3 by id, and by key; another graph's key is refused.
            _ = try await client.send(.post, "/databases/g1/query", object: ["cypher": "MATCH (n:Item) WHERE n.id > 100 DETACH DELETE n"])
            let restored = try await BackupRestoreTests.restore(client, "g1", ["backup_id": remoteID, "force_overwrite": true])
            #expect(restored["status"] as? String == "completed", "\(restored)")
            #expect(try await BackupRestoreTests.contents(client, "g1") == before)
            let byKey = try await BackupRestoreTests.restore(client, "g1", ["s3_key": archiveKey, "target_graph_id": "g2"])
            #expect(byKey["status"] as? String == "completed", "\(byKey)")
            #expect(try await BackupRestoreTests.contents(client, "g2") == before)
            let foreign = try await client.send(.post, "/databases/g2/restore", object: ["s3_key": archiveKey, "force_overwrite": true])
            #expect(foreign.status == .notFound, "\(String(buffer: foreign.body))")

            // Deleted from the bucket.
            #expect(try await client.send(.delete, "/databases/g1/backups/\(remoteID)").status == .ok)
            #expect(try await http.headObject(bucket: bucket, key: archiveKey) == nil)
            #expect(try await client.send(.get, "/databases/g1/backups/\(remoteID)").status == .notFound)
        }
    }

    @Test func wrongCredentialsFailTheTaskAndSaySo() async throws {
        let s3 = try Self.settings(prefix: "backups-\(UUID().uuidString)", secret: "wrong-secret")
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything], configure: { configuration in
            configuration.backupS3 = s3
        }) { server in
            let record = try await BackupRestoreTests.backup(server.client, "g1")
            #expect(record["status"] as? String == "failed")
            #expect((record["error"] as? String ?? "").contains("SignatureDoesNotMatch"), "\(record)")
            let list = try await server.client.send(.get, "/databases/g1/backups")
            #expect(list.status == .serviceUnavailable)
            #expect(list.errorCode == "backup_storage_unavailable")
            #expect(list.headers[.retryAfter] != nil)
            // Nothing left in the work folder.
            #expect((try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory + "/backups/.work")).isEmpty)
        }
    }
}
