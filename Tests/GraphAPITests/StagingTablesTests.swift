import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Staging
import Testing

@testable import GraphAPI
@testable import GraphService

/// `POST|GET /databases/{id}/tables`, `DELETE .../tables/{t}` and `.../files/{file_id}` on local files.
@Suite struct StagingTablesTests {
    @Test func createsListsAndDeletesATableFromLocalParquetWithDeduplication() async throws {
        let logs = LogCapture()
        try await TestServer.withDatabases(logs: logs) { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            // 1,000 rows in two files: identifiers 0..<800 (200 repeated across files), 10 without one.
            try StagingFixtures.write(
                "SELECT 'p' || range AS identifier, 'name ' || range AS name, range AS age FROM range(500)", to: imports + "/people/a.parquet")
            try StagingFixtures.write(
                "SELECT CASE WHEN range < 10 THEN NULL ELSE 'p' || (range + 290) END AS identifier, 'other' AS name, range AS age FROM range(500)",
                to: imports + "/people/b.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            let created = try await client.send(
                .post, "/databases/g1/tables",
                object: ["table_name": "Person", "source": "people/*.parquet", "file_id_map": ["people/b.parquet": "batch-b"]])
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let body = try created.object()
            #expect(body["row_count"] as? Int == 790)  // p0..p789 once each
            #expect(body["rows_read"] as? Int == 1000)
            #expect(body["shape"] as? String == "node")
            #expect(body["format"] as? String == "parquet")
            #expect(logs.audit("staging_table_created").count == 1)

            let list = try await client.send(.get, "/databases/g1/tables")
            #expect(list.status == .ok)
            let tables = try #require(try JSONSerialization.jsonObject(with: Data(list.body.readableBytesView)) as? [[String: Any]])
            #expect(tables.count == 1)
            let table = try #require(tables.first)
            #expect(table["table_name"] as? String == "Person")
            #expect(table["graph_id"] as? String == "g1")
            #expect(table["row_count"] as? Int == 790)
            #expect((table["size_bytes"] as? Int ?? 0) > 0)
            #expect((table["source"] as? [String])?.first?.hasSuffix("/import/people/*.parquet") == true)
            let columns = (table["columns"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(columns == ["identifier", "name", "age", "file_id"])

            // The rows of b.parquet that survived deduplication carry its mapped file id.
            let query = try await client.send(
                .post, "/databases/g1/tables/query",
                object: ["sql": "SELECT file_id, count(*) FROM Person GROUP BY file_id ORDER BY file_id"])
            #expect(query.status == .ok, "\(String(buffer: query.body))")
            let rows = try query.object()["rows"] as? [[Any]] ?? []
            #expect(rows.count == 2)
            #expect(rows.first?.first as? String == "a.parquet")
            #expect(rows.last?.first as? String == "batch-b")
            let fromB = rows.last?.last as? Int ?? 0

            let deletedFile = try await client.send(.delete, "/databases/g1/tables/Person/files/batch-b")
            #expect(deletedFile.status == .ok)
            #expect(try deletedFile.object()["rows_deleted"] as? Int == fromB)
            #expect(try await client.send(.delete, "/databases/g1/tables/Person/files/batch-b").errorCode == "file_not_found")
            #expect(try await client.send(.delete, "/databases/g1/tables/Person/files/..").errorCode == "invalid_file_id")

            let deleted = try await client.send(.delete, "/databases/g1/tables/Person")
            #expect(deleted.status == .ok)
            #expect(try deleted.object()["rows_deleted"] as? Int == 790 - fromB)
            let again = try await client.send(.delete, "/databases/g1/tables/Person")
            #expect(again.status == .notFound)
            #expect(again.errorCode == "table_not_found")
            let empty = try await client.send(.get, "/databases/g1/tables")
            #expect(String(buffer: empty.body) == "[]")
        }
    }

    @Test func relationshipShapedCSVBecomesSrcDstDeduplicatedAndReplacesTheTable() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try StagingFixtures.write(
                "SELECT 'p' || (range % 10) AS \"from\", 'p' || ((range + 1) % 10) AS \"to\", range AS since FROM range(30)",
                to: fixture.importDirectory + "/knows.csv")
            try StagingFixtures.write("SELECT 'p1' AS \"from\", 'p2' AS \"to\", 7 AS since", to: fixture.importDirectory + "/one.csv")
            try await StagingFixtures.createPeople(client, "g1")
            let created = try await client.send(.post, "/databases/g1/tables", object: ["table_name": "KNOWS", "source": ["knows.csv"]])
            #expect(created.status == .created, "\(String(buffer: created.body))")
            #expect(try created.object()["row_count"] as? Int == 10)
            #expect(try created.object()["shape"] as? String == "relationship")
            #expect(try created.object()["format"] as? String == "csv")
            let columns = try await client.send(.post, "/databases/g1/tables/query", object: ["sql": "SELECT * FROM KNOWS LIMIT 1"])
            #expect(try columns.object()["columns"] as? [String] == ["src", "dst", "since", "file_id"])

            let replaced = try await client.send(.post, "/databases/g1/tables", object: ["table_name": "KNOWS", "source": "one.csv"])
            #expect(try replaced.object()["row_count"] as? Int == 1)
        }
    }

    @Test func sourcesOutsideTheImportDirectoryAndOtherBadInputAreRefused() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            let imports = fixture.importDirectory
            try StagingFixtures.write("SELECT 1 AS identifier", to: imports + "/ok.parquet")
            let outside = fixture.directory + "/secret.parquet"
            try StagingFixtures.write("SELECT 'x' AS identifier", to: outside)
            try FileManager.default.createSymbolicLink(atPath: imports + "/link", withDestinationPath: fixture.directory)
            try "x".write(toFile: imports + "/notes.txt", atomically: true, encoding: .utf8)
            try await StagingFixtures.createPeople(client, "g1")
            func create(_ object: [String: Any]) async throws -> TestServer.Response {
                try await client.send(.post, "/databases/g1/tables", object: object)
            }
            for source in ["../secret.parquet", outside, "/etc/passwd", "link/secret.parquet", "link/*.parquet"] {
                let response = try await create(["table_name": "t", "source": source, "format": "parquet"])
                #expect(response.status == .forbidden, "\(source): \(String(buffer: response.body))")
                #expect(response.errorCode == "source_outside_import_dir", "\(source)")
            }
            #expect(try await create(["table_name": "t", "source": "http://example.com/x.parquet"]).errorCode == "invalid_source")
            #expect(try await create(["table_name": "t", "source": "s3://"]).errorCode == "invalid_source")
            #expect(try await create(["table_name": "t", "source": []]).errorCode == "invalid_source")
            #expect(try await create(["table_name": "t", "source": "absent.parquet"]).errorCode == "source_not_found")
            #expect(try await create(["table_name": "t", "source": "notes.txt"]).errorCode == "unknown_format")
            #expect(try await create(["table_name": "t", "source": "*.parquet", "format": "xml"]).status == .unprocessableContent)
            #expect(try await create(["table_name": "t", "source": "ok.parquet", "s3_pattern": "s3://b/x"]).status == .unprocessableContent)
            #expect(try await create(["table_name": "t"]).status == .unprocessableContent)
            #expect(try await create(["table_name": "t", "source": 5]).status == .unprocessableContent)
            #expect(try await create(["table_name": "1bad", "source": "ok.parquet"]).errorCode == "invalid_table_name")
            #expect(try await create(["table_name": "t", "source": "ok.parquet", "file_id_map": ["ok.parquet": "a/b"]]).errorCode == "invalid_file_id")
            #expect(try await create(["table_name": "t", "source": "nothing-*.parquet"]).errorCode == "source_not_found")
            // S3 without credentials anywhere.
            let s3 = try await create(["table_name": "t", "s3_pattern": "s3://bucket/x/*.parquet"])
            #expect(s3.status == .badRequest)
            #expect(s3.errorCode == "missing_s3_credentials")
            // Unknown graph, and a table that does not exist.
            #expect(try await client.send(.post, "/databases/nope/tables", object: ["table_name": "t", "source": "ok.parquet"]).status == .notFound)
            #expect(try await client.send(.get, "/databases/nope/tables").status == .notFound)
            #expect(try await client.send(.delete, "/databases/g1/tables/absent").errorCode == "table_not_found")
            #expect(try await client.send(.delete, "/databases/g1/tables/absent/files/f1").errorCode == "table_not_found")
            // Nothing was staged by any of these.
            #expect(String(buffer: try await client.send(.get, "/databases/g1/tables").body) == "[]")
        }
    }

    @Test func readOnlyGraphsAndKeysCannotStage() async throws {
        try await TestServer.withDatabases(keys: [APIKey(secret: "admin"), APIKey(secret: "reader", scope: KeyScope(readOnly: true))]) { fixture in
            let client = fixture.client
            try StagingFixtures.write("SELECT 'a' AS identifier", to: fixture.importDirectory + "/a.parquet")
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "ro", "read_only": true}"#, key: "admin").status == .created)
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "rw"}"#, key: "admin").status == .created)
            let readOnly = try await client.send(.post, "/databases/ro/tables", object: ["table_name": "Entity", "source": "a.parquet"], key: "admin")
            #expect(readOnly.status == .forbidden)
            #expect(readOnly.errorCode == "read_only_database")
            let key = try await client.send(.post, "/databases/rw/tables", object: ["table_name": "Entity", "source": "a.parquet"], key: "reader")
            #expect(key.errorCode == "read_only_key")
            #expect(try await client.send(.post, "/databases/rw/tables/Entity/ingest", object: [:], key: "reader").errorCode == "read_only_key")
            #expect(try await client.send(.delete, "/databases/rw/tables/Entity", key: "reader").errorCode == "read_only_key")
            // Reading staged tables is fine with a read-only key.
            #expect(try await client.send(.get, "/databases/rw/tables", key: "reader").status == .ok)
        }
    }

    @Test func deletingTheGraphRemovesItsStagingFile() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try StagingFixtures.write("SELECT 'a' AS identifier", to: fixture.importDirectory + "/a.parquet")
            try await StagingFixtures.createPeople(client, "g1")
            #expect(try await client.send(.post, "/databases/g1/tables", object: ["table_name": "Person", "source": "a.parquet"]).status == .created)
            #expect(FileManager.default.fileExists(atPath: fixture.directory + "/databases/g1/staging.duckdb"))
            #expect(try await client.send(.delete, "/databases/g1").status == .ok)
            #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/databases/g1"))
            try await StagingFixtures.createPeople(client, "g1")
            #expect(String(buffer: try await client.send(.get, "/databases/g1/tables").body) == "[]")
        }
    }
}
