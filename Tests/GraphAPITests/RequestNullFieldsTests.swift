import Foundation
import GraphAPITesting
import HTTPTypes
import Testing

@testable import GraphAPI
@testable import GraphService

/// `null` in a request body: where the document types a field with `"null"` it means "not
/// given"; anywhere else the body does not match the schema (422 naming the field), as the
/// document says, instead of being read as "not given".
@Suite struct RequestNullFieldsTests {
    @Test(arguments: [
        (HTTPRequest.Method.post, "/databases", #"{"graph_id": "h", "read_only": null}"#, "read_only"),
        (.post, "/databases", #"{"graph_id": "h", "schema_type": null}"#, "schema_type"),
        (.post, "/databases/g/backup", #"{"destination": null}"#, "destination"),
        (.post, "/databases/g/backup", #"{"compression": "gzip", "label": null}"#, "label"),
        (.put, "/databases/g/backup-schedule", #"{"interval": "6h", "retention": {"keep_last": null}}"#, "retention.keep_last"),
        (.put, "/databases/g/backup-schedule", #"{"interval": "6h", "enabled": null}"#, "enabled"),
        (.post, "/databases/g/restore", #"{"backup_id": "b", "force_overwrite": null}"#, "force_overwrite"),
        (.post, "/databases/g/tables", #"{"table_name": "T", "source": null, "s3_pattern": "a.csv"}"#, "source"),
        (.post, "/databases/g/copy", #"{"table_name": "T", "source": "a.csv", "format": null}"#, "format"),
        (.post, "/databases/g/tables/T/ingest", #"{"rebuild": null}"#, "rebuild"),
    ])
    func nullForAFieldTheDocumentDoesNotTypeWithNullIs422(method: HTTPRequest.Method, path: String, json: String, field: String) async throws {
        try await TestServer.withDatabases { server in
            #expect(try await server.client.send(.post, "/databases", json: #"{"graph_id": "g"}"#).status == .created)
            let response = try await server.client.send(method, path, json: json)
            #expect(response.status == .unprocessableContent, "\(json)")
            #expect(response.errorCode == "validation_error")
            #expect(response.errorDetail.contains("'\(field)' must not be null"), "\(response.errorDetail)")
            #expect(try server.databaseFolderEntries() == ["g"])
        }
    }

    @Test func nullWhereTheDocumentAllowsItMeansNotGiven() async throws {
        try await TestServer.withDatabases { server in
            let created = try await server.client.send(
                .post, "/databases", json: #"{"graph_id": "g", "repository_name": null, "custom_schema_ddl": null}"#
            )
            #expect(created.status == .created, "\(created.errorDetail)")
            // Decoded, then refused for what it asks (no such staged table), not for its nulls.
            let ingest = try await server.client.send(.post, "/databases/g/tables/T/ingest", json: #"{"file_ids": null}"#)
            #expect(ingest.status == .notFound, "\(ingest.errorDetail)")
            let credentials = #"{"aws_access_key_id": "a", "aws_secret_access_key": "b", "region": null, "endpoint_url": null, "aws_session_token": null}"#
            let staged = try await server.client.send(
                .post, "/databases/g/tables", json: #"{"table_name": "T", "source": "missing.csv", "s3_credentials": \#(credentials)}"#
            )
            #expect(staged.status != .unprocessableContent, "\(staged.errorDetail)")
            #expect(staged.errorCode != "validation_error")
        }
    }

    /// The fields the decoder lets be `null` (read from the document by `RequestSchema`) are exactly
    /// those the document types with `"null"`, for every JSON request body it documents.
    @Test func nullableFieldsAreTheDocumentsOwn() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.embeddedJSON.utf8)) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        func nullable(in schema: [String: Any], prefix: String) -> Set<String> {
            var found: Set<String> = []
            for (name, value) in schema["properties"] as? [String: Any] ?? [:] {
                guard var property = value as? [String: Any] else { continue }
                if let reference = property["$ref"] as? String, let target = schemas[String(reference.split(separator: "/").last!)] as? [String: Any] {
                    property = target
                }
                if let types = property["type"] as? [String], types.contains("null") { found.insert(prefix + name) }
                if property["properties"] != nil { found.formUnion(nullable(in: property, prefix: prefix + name + ".")) }
            }
            return found
        }
        // The decoder's view of the document (RequestSchema) against this independent reading.
        func nullable(in schema: RequestSchema, prefix: String) -> Set<String> {
            var found: Set<String> = []
            for (name, field) in schema.fields {
                if field.nullable { found.insert(prefix + name) }
                if let object = field.object { found.formUnion(nullable(in: object, prefix: prefix + name + ".")) }
            }
            return found
        }
        #expect(
            Set(RequestSchema.bodies.keys) == [
                "CreateDatabaseRequest", "SchemaChangeRequest", "CreateStagingTableRequest", "CopyRequest", "IngestRequest",
                "BackupRequest", "RestoreRequest", "BackupSchedule", "BackupDownloadRequest",
                // Read by the query routes' own parsers (hot paths), which take the same view of `null`.
                "QueryRequest", "StagingQueryRequest",
            ]
        )
        for (name, schema) in RequestSchema.bodies {
            let documented = try #require(schemas[name] as? [String: Any], "\(name)")
            #expect(nullable(in: schema, prefix: "") == nullable(in: documented, prefix: ""), "\(name)")
        }
        #expect(nullable(in: try #require(RequestSchema.bodies["CopyRequest"]), prefix: "").contains("s3_credentials.region"))
        #expect(nullable(in: try #require(RequestSchema.bodies["IngestRequest"]), prefix: "") == ["file_ids"])
    }
}
