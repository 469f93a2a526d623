import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import GraphJSON
import Logging
import NIOCore
import Testing

@testable import BackupArchive
@testable import GraphAPI
@testable import GraphService

/// Backups and restores through the API, on the real engine: what comes back is what was there
/// at the snapshot, the live graph is untouched by every failure, and every fault is named.
@Suite(.serialized) struct BackupRestoreTests {
    static let key = Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }).base64EncodedString()
    static let otherKey = Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 1) }).base64EncodedString()

    /// A graph with a value of (nearly) every engine type, and a relationship table.
    static let everything = TestGraph(
        id: "g1",
        ddl: [
            """
            CREATE NODE TABLE Item(id INT64, i8 INT8, i16 INT16, i32 INT32, i128 INT128, u8 UINT8, u16 UINT16, u32 UINT32,
            u64 UINT64, f FLOAT, d DOUBLE, dec DECIMAL(18, 4), b BOOLEAN, s STRING, dt DATE, ts TIMESTAMP, iv INTERVAL,
            u UUID, bl BLOB, l INT64[], arr DOUBLE[3], st STRUCT(a INT64, b STRING), m MAP(STRING, INT64), PRIMARY KEY (id))
            """,
            "CREATE REL TABLE Link(FROM Item TO Item, w DOUBLE, since DATE)",
            """
            UNWIND range(1, 300) AS k CREATE (:Item {id: k, i8: to_int8(k % 100), i16: to_int16(k), i32: to_int32(k * 1000),
            i128: to_int128(k) * to_int128(1000000000000), u8: to_uint8(k % 200), u16: to_uint16(k), u32: to_uint32(k), u64: to_uint64(k),
            f: to_float(k) / 3, d: to_double(k) / 7, dec: CAST(k / 3.0 AS DECIMAL(18, 4)), b: k % 2 = 0, s: 'item ' + string(k),
            dt: date('2026-01-01') + to_days(k), ts: timestamp('2026-01-01 10:00:00') + to_hours(k), iv: to_minutes(k),
            u: UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), bl: BLOB('\\\\xAA\\\\xBB'), l: [k, k + 1], arr: [1.0, 2.0, to_double(k)],
            st: {a: k, b: 'x'}, m: map(['k'], [k])})
            """,
            "MATCH (a:Item), (b:Item) WHERE b.id = a.id + 1 CREATE (a)-[:Link {w: to_double(a.id) / 2, since: date('2026-02-01')}]->(b)",
        ]
    )

    static func withBackupServer<T>(
        graphs: [TestGraph] = [everything], key: String? = BackupRestoreTests.key, directory: String? = nil,
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        try await TestServer.withServer(graphs: graphs, dataDirectory: directory, logLevel: .debug, configure: { configuration in
            configuration.backupKeys = key.map { BackupKeyRing([try! BackupKey(id: "k1", base64: $0)]) } ?? .empty
        }, body)
    }

    /// Every row of both tables, as the API answers them (the comparison of a restore).
    static func contents(_ client: TestServer.Client, _ graph: String) async throws -> String {
        let nodes = try await client.send(.post, "/databases/\(graph)/query", object: ["cypher": "MATCH (n:Item) RETURN n ORDER BY n.id"])
        let links = try await client.send(
            .post, "/databases/\(graph)/query", object: ["cypher": "MATCH (a)-[r:Link]->(b) RETURN a.id, b.id, r.w, r.since ORDER BY a.id"])
        #expect(nodes.status == .ok, "\(String(buffer: nodes.body))")
        let rows = { (body: [String: Any]) throws -> String in
            let data = try #require(body["data"] ?? body["rows"], "\(body)")
            return String(decoding: try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]), as: UTF8.self)
        }
        return try rows(try nodes.object()) + "\n" + (try rows(try links.object()))
    }

    /// Starts a backup and waits for its task; returns the task record.
    static func backup(_ client: TestServer.Client, _ graph: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        let accepted = try await client.send(.post, "/databases/\(graph)/backup", object: body)
        #expect(accepted.status == .accepted, "\(String(buffer: accepted.body))")
        let backupID = try #require(try accepted.object()["backup_id"] as? String)
        let record = try await StagingCopyTests.finished(client, accepted)
        if let result = record["result"] as? [String: Any] { #expect(result["backup_id"] as? String == backupID) }
        return record
    }

    static func restore(_ client: TestServer.Client, _ graph: String, _ body: [String: Any]) async throws -> [String: Any] {
        try await StagingCopyTests.finished(client, try await client.send(.post, "/databases/\(graph)/restore", object: body))
    }

    @Test func aBackupRestoresExactlyInPlaceAndAsAClone() async throws {
        try await Self.withBackupServer { server in
            let client = server.client
            let before = try await Self.contents(client, "g1")
            let record = try await Self.backup(client, "g1", ["label": "first"])
            #expect(record["status"] as? String == "completed", "\(record)")
            let manifest = try #require(record["result"] as? [String: Any])
            let backupID = try #require(manifest["backup_id"] as? String)
            #expect(manifest["tables"] as? [String: Int] == ["Item": 300, "Link": 299])
            #expect(manifest["node_count"] as? Int == 300)
            #expect(manifest["relationship_count"] as? Int == 299)
            #expect((manifest["encryption"] as? [String: Any])?["key_id"] as? String == "k1")
            #expect(manifest["compression"] as? String == "zstd")
            #expect(manifest["source"] as? String == "manual")
            #expect(manifest["label"] as? String == "first")
            #expect((manifest["write_pause_ms"] as? Double ?? -1) >= 0)
            #expect((manifest["schema_ddl"] as? [String])?.count == 2)
            let archive = server.dataDirectory + "/backups/g1/\(backupID).gbak"
            #expect(manifest["sha256"] as? String == (try ArchiveReader.sha256(ofFile: archive)))
            #expect(manifest["stored_bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int))

            // Listed and inspectable.
            let list = try await client.send(.get, "/databases/g1/backups").object()
            #expect(list["total"] as? Int == 1)
            #expect(((list["backups"] as? [[String: Any]])?.first)?["backup_id"] as? String == backupID)
            #expect(try await client.send(.get, "/databases/g1/backups/\(backupID)").object()["sha256"] as? String == manifest["sha256"] as? String)

            // Change the graph, then restore over it.
            _ = try await client.send(.post, "/databases/g1/query", object: ["cypher": "MATCH (n:Item) WHERE n.id > 250 DETACH DELETE n"])
            _ = try await client.send(.post, "/databases/g1/query", object: ["cypher": "CREATE (:Item {id: 5000, s: 'after'})"])
            #expect(try await Self.contents(client, "g1") != before)
            let refused = try await client.send(.post, "/databases/g1/restore", object: ["backup_id": backupID])
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "database_exists")
            let restored = try await Self.restore(client, "g1", ["backup_id": backupID, "force_overwrite": true])
            #expect(restored["status"] as? String == "completed", "\(restored)")
            #expect(try await Self.contents(client, "g1") == before)
            let result = try #require(restored["result"] as? [String: Any])
            let systemID = try #require(result["system_backup_id"] as? String)
            #expect(result["replaced"] as? Bool == true)

            // The state replaced was kept as a system backup, newest first in the list.
            let backups = try #require(try await client.send(.get, "/databases/g1/backups").object()["backups"] as? [[String: Any]])
            #expect(backups.map { $0["backup_id"] as? String } == [systemID, backupID])
            #expect(backups.first?["source"] as? String == "system")
            #expect((backups.first?["tables"] as? [String: Int])?["Item"] == 251)

            // A clone into a new graph, while the source stays in use.
            let clone = try await Self.restore(client, "g1", ["backup_id": backupID, "target_graph_id": "g2"])
            #expect(clone["status"] as? String == "completed", "\(clone)")
            #expect(try await Self.contents(client, "g2") == before)
            let info = try await client.send(.get, "/databases/g2").object()
            #expect(info["graph_id"] as? String == "g2")
            // Writable, and independent of the source.
            _ = try await client.send(.post, "/databases/g2/query", object: ["cypher": "CREATE (:Item {id: 9999})"])
            #expect(try await Self.contents(client, "g1") == before)

            // Delete the backup: gone from the list and the disk.
            let deleted = try await client.send(.delete, "/databases/g1/backups/\(backupID)")
            #expect(deleted.status == .ok)
            #expect(try await client.send(.get, "/databases/g1/backups/\(backupID)").status == .notFound)
            #expect(!FileManager.default.fileExists(atPath: archive))
            #expect(try await client.send(.post, "/databases/g1/restore", object: ["backup_id": backupID, "force_overwrite": true]).errorCode
                == "backup_not_found")
        }
    }

    @Test func aDeletedGraphComesBackFromItsBackup() async throws {
        try await Self.withBackupServer { server in
            let client = server.client
            let before = try await Self.contents(client, "g1")
            let record = try await Self.backup(client, "g1", ["compression": "gzip", "encryption": false])
            let manifest = try #require(record["result"] as? [String: Any])
            #expect(manifest["encryption"] is NSNull)
            let backupID = try #require(manifest["backup_id"] as? String)
            #expect(try await client.send(.delete, "/databases/g1").status == .ok)
            #expect(try await client.send(.get, "/databases/g1/backups").object()["total"] as? Int == 1)
            let restored = try await Self.restore(client, "g1", ["backup_id": backupID])
            #expect(restored["status"] as? String == "completed", "\(restored)")
            #expect((restored["result"] as? [String: Any])?["replaced"] as? Bool == false)
            #expect(try await Self.contents(client, "g1") == before)
        }
    }

    @Test func downloadsStreamTheArchiveAsStored() async throws {
        try await Self.withBackupServer { server in
            let client = server.client
            let manifest = try #require(try await Self.backup(client, "g1", ["compression": "none"])["result"] as? [String: Any])
            let backupID = try #require(manifest["backup_id"] as? String)
            let archive = try Data(contentsOf: URL(fileURLWithPath: server.dataDirectory + "/backups/g1/\(backupID).gbak"))
            let got = try await client.send(.get, "/databases/g1/backup-download?backup_id=\(backupID)")
            #expect(got.status == .ok)
            #expect(Data(got.body.readableBytesView) == archive)
            #expect(got.headers[.contentType] == "application/octet-stream")
            #expect(got.headers[.contentLength] == String(archive.count))
            #expect(got.headers[HTTPField.Name("X-Backup-SHA256")!] == manifest["sha256"] as? String)
            let posted = try await client.send(.post, "/databases/g1/backup-download", object: ["backup_id": backupID])
            #expect(Data(posted.body.readableBytesView) == archive)
            let missing = try await client.send(.get, "/databases/g1/backup-download")
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == "missing_parameter")
            #expect(try await client.send(.get, "/databases/g1/backup-download?backup_id=nope").errorCode == "backup_not_found")
            #expect(try await client.send(.get, "/databases/g1/backup-download?backup_id=..%2F..%2Fetc").errorCode == "backup_not_found")
        }
    }

    @Test func badRequestsAreRefusedBeforeATaskExists() async throws {
        try await Self.withBackupServer(key: nil) { server in
            let client = server.client
            let noKey = try await client.send(.post, "/databases/g1/backup", object: ["encryption": true])
            #expect(noKey.status == .badRequest)
            #expect(noKey.errorCode == "backup_key_missing")
            let s3 = try await client.send(.post, "/databases/g1/backup", object: ["destination": "s3"])
            #expect(s3.errorCode == "backup_destination_unavailable")
            let unknown = try await client.send(.post, "/databases/g1/backup", object: ["compresion": "zstd"])
            #expect(unknown.status == .unprocessableContent)
            let badCompression = try await client.send(.post, "/databases/g1/backup", object: ["compression": "lz4"])
            #expect(badCompression.status == .unprocessableContent)
            #expect(badCompression.errorDetail.contains("'zstd', 'gzip', 'none'"), "\(badCompression.errorDetail)")
            #expect(try await client.send(.post, "/databases/nope/backup", object: [:]).status == .notFound)
            #expect(try await client.send(.post, "/databases/g1/restore", object: [:]).status == .unprocessableContent)
            // A point in time picks its own base: not with a backup.
            #expect(try await client.send(.post, "/databases/g1/restore", object: ["backup_id": "x", "position": 3]).errorCode == "validation_error")
            let badTarget = try await client.send(.post, "/databases/g1/restore", object: ["backup_id": "x", "target_graph_id": "../x"])
            #expect(badTarget.status == .notFound || badTarget.status == .badRequest)
            #expect(try await client.send(.get, "/databases/nope/backups").status == .notFound)
            #expect(try await client.send(.get, "/tasks?task_type=backup").object()["total"] as? Int == 0)
            // Without a key a backup is unencrypted, and says so.
            let manifest = try #require(try await Self.backup(client, "g1")["result"] as? [String: Any])
            #expect(manifest["encryption"] is NSNull)
        }
    }

    /// A damaged archive, a wrong or missing key: the task fails naming the cause, and the live
    /// graph is as it was.
    @Test func faultsFailTheRestoreAndLeaveTheGraph() async throws {
        let directory = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let backupID = try await Self.withBackupServer(directory: directory) { server in
            let manifest = try #require(try await Self.backup(server.client, "g1")["result"] as? [String: Any])
            return try #require(manifest["backup_id"] as? String)
        }
        let archive = directory + "/backups/g1/\(backupID).gbak"
        let pristine = try Data(contentsOf: URL(fileURLWithPath: archive))

        // A wrong key, then no key.
        for (key, cause) in [(Self.otherKey, "wrong_key"), (nil, "key_missing")] as [(String?, String)] {
            try await Self.withBackupServer(graphs: [], key: key, directory: directory) { server in
                let before = try await Self.contents(server.client, "g1")
                let record = try await Self.restore(server.client, "g1", ["backup_id": backupID, "force_overwrite": true, "create_system_backup": false])
                #expect(record["status"] as? String == "failed")
                #expect((record["error"] as? String ?? "").contains(cause), "\(record)")
                #expect(try await Self.contents(server.client, "g1") == before)
            }
        }
        // A changed byte in the middle, a cut archive.
        for damage in ["flip", "cut"] {
            var data = pristine
            if damage == "flip" { data[data.count / 2] ^= 0x40 } else { data = data.prefix(data.count - 100) }
            try data.write(to: URL(fileURLWithPath: archive))
            try await Self.withBackupServer(graphs: [], directory: directory) { server in
                let before = try await Self.contents(server.client, "g1")
                let record = try await Self.restore(server.client, "g1", ["backup_id": backupID, "force_overwrite": true])
                #expect(record["status"] as? String == "failed")
                let error = record["error"] as? String ?? ""
                #expect(error.contains(damage == "flip" ? "tampered" : "truncated"), "\(record)")
                #expect(try await Self.contents(server.client, "g1") == before)
                // No system backup was taken for a restore that could not go ahead.
                #expect(try await server.client.send(.get, "/databases/g1/backups").object()["total"] as? Int == 1)
            }
        }
        try pristine.write(to: URL(fileURLWithPath: archive))
    }

    /// `include_staging`: the staging file after its own checkpoint goes into the archive, and
    /// comes back with a restore, in place (the open staging store is replaced) or as a clone.
    @Test func stagedTablesComeBackWhenIncluded() async throws {
        try await Self.withBackupServer { server in
            let client = server.client
            try StagingFixtures.write("SELECT range AS id, 'row ' || range AS label FROM range(250)", to: server.importDirectory + "/rows.parquet")
            let staged = try await client.send(.post, "/databases/g1/tables", object: ["table_name": "rows", "source": "rows.parquet"])
            #expect(staged.status == .created, "\(String(buffer: staged.body))")
            let manifest = try #require(try await Self.backup(client, "g1", ["include_staging": true])["result"] as? [String: Any])
            #expect(manifest["include_staging"] as? Bool == true)
            #expect(manifest["files"] as? [String] == ["graph.lbug", "staging.duckdb"])
            let backupID = try #require(manifest["backup_id"] as? String)

            func stagedRows(_ graph: String) async throws -> Int? {
                let answer = try await client.send(.post, "/databases/\(graph)/tables/query", object: ["sql": "SELECT count(*) AS n FROM rows"])
                guard answer.status == .ok else { return nil }
                return (try answer.object()["rows"] as? [[Int]])?.first?.first
            }
            #expect(try await stagedRows("g1") == 250)
            // The staged table goes away, then comes back with the restore (the store was open).
            #expect(try await client.send(.delete, "/databases/g1/tables/rows").status == .ok)
            #expect(try await stagedRows("g1") == nil)
            let restored = try await Self.restore(client, "g1", ["backup_id": backupID, "force_overwrite": true])
            #expect(restored["status"] as? String == "completed", "\(restored)")
            #expect((restored["result"] as? [String: Any])?["staging_restored"] as? Bool == true)
            #expect(try await stagedRows("g1") == 250)
            // The system backup before it kept the staging area as it was (without the table).
            let clone = try await Self.restore(client, "g1", ["backup_id": backupID, "target_graph_id": "g2"])
            #expect(clone["status"] as? String == "completed", "\(clone)")
            #expect(try await stagedRows("g2") == 250)
            // Staging still works after the swap: a new table, and a write to the restored one.
            let again = try await client.send(.post, "/databases/g1/tables", object: ["table_name": "more", "source": "rows.parquet"])
            #expect(again.status == .created, "\(String(buffer: again.body))")
        }
    }

    @Test func infoNamesTheBackupSettingsButNeverAKey() async throws {
        try await Self.withBackupServer { server in
            let answer = try await server.client.send(.get, "/info")
            let text = String(buffer: answer.body)
            let backup = try #require((try answer.object()["configuration"] as? [String: Any])?["backup"] as? [String: Any])
            #expect(backup["key_ids"] as? [String] == ["k1"])
            #expect(backup["encrypted_by_default"] as? Bool == true)
            #expect(backup["default_destination"] as? String == "local")
            #expect(backup["directory"] as? String == server.dataDirectory + "/backups")
            #expect(!text.contains(Self.key))
        }
    }

    @Test func metricsAndAuditLinesCountBackupsAndRestores() async throws {
        let logs = LogCapture()
        try await TestServer.withServer(graphs: [Self.everything], logs: logs) { server in
            let client = server.client
            let manifest = try #require(try await Self.backup(client, "g1")["result"] as? [String: Any])
            let backupID = try #require(manifest["backup_id"] as? String)
            _ = try await client.send(.get, "/databases/g1/backup-download?backup_id=\(backupID)")
            _ = try await Self.restore(client, "g1", ["backup_id": backupID, "target_graph_id": "g3"])
            _ = try await client.send(.delete, "/databases/g1/backups/\(backupID)")
            let metrics = String(buffer: try await client.send(.get, "/metrics").body)
            #expect(metrics.contains("graph_api_backups_total{kind=\"backup\",outcome=\"completed\"} 1"), "\(metrics)")
            #expect(metrics.contains("graph_api_backups_total{kind=\"restore\",outcome=\"completed\"} 1"))
            #expect(metrics.contains("graph_api_backup_last_success_timestamp_seconds{graph_id=\"g1\"}"))
            let audits = Set(logs.records.compactMap { $0.metadata["audit"] })
            #expect(audits.isSuperset(of: ["backup", "download_backup", "restore", "delete_backup"]), "\(audits)")
        }
    }
}

/// A restore whose body is the archive itself: streamed to disk, checked like any other.
@Suite(.serialized) struct BackupUploadTests {
    static func upload(_ client: TestServer.Client, _ graph: String, _ query: String, _ archive: Data) async throws -> TestServer.Response {
        try await client.execute(
            uri: "/databases/\(graph)/restore\(query)", method: .post, headers: [.contentType: "application/octet-stream"],
            body: ByteBuffer(bytes: archive)
        )
    }

    @Test func anUploadedArchiveRestoresAndADamagedOneIsRefused() async throws {
        try await BackupRestoreTests.withBackupServer { server in
            let client = server.client
            let before = try await BackupRestoreTests.contents(client, "g1")
            let manifest = try #require(try await BackupRestoreTests.backup(client, "g1")["result"] as? [String: Any])
            let backupID = try #require(manifest["backup_id"] as? String)
            let archive = Data(try await client.send(.get, "/databases/g1/backup-download?backup_id=\(backupID)").body.readableBytesView)

            // Checked before a byte is received: the target exists.
            let refused = try await Self.upload(client, "g1", "", archive)
            #expect(refused.status == .conflict)
            let bad = try await Self.upload(client, "g1", "?force_overwrite=maybe", archive)
            #expect(bad.status == .badRequest)
            #expect(bad.errorCode == "invalid_parameter")
            #expect(try await Self.upload(client, "g1", "?backup_id=x", archive).errorCode == "invalid_parameter")

            let accepted = try await Self.upload(client, "g1", "?target_graph_id=up", archive)
            let record = try await StagingCopyTests.finished(client, accepted)
            #expect(record["status"] as? String == "completed", "\(record)")
            #expect((record["metadata"] as? [String: Any])?["uploaded"] as? Bool == true)
            #expect(try await BackupRestoreTests.contents(client, "up") == before)

            var damaged = archive
            damaged[damaged.count / 3] ^= 0x08
            let failed = try await StagingCopyTests.finished(client, try await Self.upload(client, "g1", "?target_graph_id=up2", damaged))
            #expect(failed["status"] as? String == "failed")
            #expect((failed["error"] as? String ?? "").contains("tampered"), "\(failed)")
            #expect(try await client.send(.get, "/databases/up2").status == .notFound)
            // Nothing left in the work folder.
            #expect(try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory + "/backups/.work").isEmpty)
        }
    }

    @Test func anUploadPastTheLimitIs413() async throws {
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything], configure: { $0.maxRestoreUploadBytes = 1000 }) { server in
            let answer = try await Self.upload(server.client, "g1", "?target_graph_id=x", Data(repeating: 1, count: 5000))
            #expect(answer.status == .contentTooLarge)
            #expect(answer.errorCode == "payload_too_large")
            #expect(try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory + "/backups/.work").isEmpty)
        }
    }
}

/// Archives whose manifest does not fit their contents, or that a newer engine wrote, are
/// refused by the restore before the graph is touched (made here by rewriting a real backup
/// with another manifest).
@Suite(.serialized) struct BackupManifestMismatchTests {
    /// A real backup of `g1`, unencrypted, rewritten with `change` applied to its manifest.
    static func rewritten(_ server: TestServer, _ change: (inout [String: Any]) -> Void) async throws -> Data {
        let manifest = try #require(try await BackupRestoreTests.backup(server.client, "g1", ["encryption": false])["result"] as? [String: Any])
        let backupID = try #require(manifest["backup_id"] as? String)
        let archive = server.dataDirectory + "/backups/g1/\(backupID).gbak"
        let folder = TestServer.temporaryPath("rewritten")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try ArchiveReader.extract(archive, to: folder, keys: .empty)
        var header = try #require(try JSONSerialization.jsonObject(with: Data(try ArchiveReader.header(of: archive).manifest.jsonText.utf8)) as? [String: Any])
        change(&header)
        let changed = try JSONValue(parsing: String(decoding: try JSONSerialization.data(withJSONObject: header), as: UTF8.self))
        let output = folder + "/out.gbak"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("graph.lbug") }.sorted()
        _ = try ArchiveWriter.write(
            files: files.map { ArchiveSource(name: $0, path: folder + "/" + $0) }, manifest: changed, to: output, compression: .none, key: nil
        )
        return try Data(contentsOf: URL(fileURLWithPath: output))
    }

    @Test func countsThatDifferAndANewerEngineAreRefused() async throws {
        try await BackupRestoreTests.withBackupServer(key: nil) { server in
            let client = server.client
            let before = try await BackupRestoreTests.contents(client, "g1")
            let wrongCounts = try await Self.rewritten(server) { $0["tables"] = ["Item": 5, "Link": 299] }
            var record = try await StagingCopyTests.finished(
                client, try await BackupUploadTests.upload(client, "g1", "?force_overwrite=true", wrongCounts))
            #expect(record["status"] as? String == "failed")
            #expect((record["error"] as? String ?? "").contains("Item has 300, the manifest says 5"), "\(record)")

            let newer = try await Self.rewritten(server) { $0["storage_version"] = 999 }
            record = try await StagingCopyTests.finished(client, try await BackupUploadTests.upload(client, "g1", "?force_overwrite=true", newer))
            #expect(record["status"] as? String == "failed")
            #expect((record["error"] as? String ?? "").contains("storage version 999"), "\(record)")
            #expect(try await BackupRestoreTests.contents(client, "g1") == before)
        }
    }
}
