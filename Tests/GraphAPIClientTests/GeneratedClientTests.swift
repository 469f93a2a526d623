import Foundation
import GraphAPIContract
import Testing

@testable import GraphAPIClient

/// The code generated from `openapi/openapi.json`: not stale, and working against the real server.
@Suite(.serialized) struct GeneratedClientTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every generated file names the SHA-256 of the document it came from; it must be the
    /// checked-in document's (run `scripts/generate-openapi.sh` after editing the document).
    @Test func generatedFilesComeFromTheCheckedInDocument() throws {
        let document = Self.repository.appendingPathComponent("openapi/openapi.json").path
        let sha = String(try ClientTransportTests.runProcess("/usr/bin/env", ["sha256sum", document]).prefix(64))
        #expect(sha.count == 64)
        // The contract's types (the server's HTTP layer and the client share them) and the client's calls.
        let folders = ["Sources/GraphAPIContract/Generated": "Types.swift", "Sources/GraphAPIClient/Generated": "Client.swift"]
        for (folder, expected) in folders {
            let directory = Self.repository.appendingPathComponent(folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }.sorted()
            #expect(files.contains(expected), "\(folder): \(files)")
            for file in files {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                let stamp = text.split(separator: "\n").prefix(3).first { $0.hasPrefix("// openapi.json SHA-256: ") }
                #expect(stamp == "// openapi.json SHA-256: \(sha)"[...], "\(folder)/\(file) is stale: run scripts/generate-openapi.sh")
            }
        }
    }

    @Test func generatedCallsWorkAgainstTheServer() async throws {
        try await LiveServer.with { url in
            try await GraphAPIClient.withClient(configuration: try .init(url: url, apiKey: LiveServer.apiKey)) { client in
                let health = try await client.api.getHealth()
                #expect(try health.ok.body.json.status == .healthy)
                let created = try await client.api.createDatabase(
                    body: .json(.init(graphId: "g", schemaType: .custom, customSchemaDdl: "CREATE NODE TABLE N(id INT64, PRIMARY KEY(id));"))
                )
                #expect(try created.created.body.json.graphId == "g")
                let list = try await client.api.listDatabases()
                #expect(try list.ok.body.json.databases.map(\.graphId) == ["g"])
                let missing = try await client.api.getDatabase(path: .init(graphId: "none"))
                #expect(try missing.notFound.body.json.code == "database_not_found")
            }
            // Without a key: the typed 401, never retried.
            try await GraphAPIClient.withClient(configuration: try .init(url: url)) { client in
                let refused = try await client.api.listDatabases()
                #expect(try refused.unauthorized.body.json.code == "unauthorized")
            }
        }
    }
}
