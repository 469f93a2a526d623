import Foundation
import GraphAPITesting
import Hummingbird
import Logging
import Testing

@testable import GraphAPI
@testable import GraphService

@Suite struct OperationsTests {
    @Test func healthAndStatusAnswerOnALiveServer() async throws {
        let dir = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/databases/g1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/databases/g2", withIntermediateDirectories: true)
        try await TestServer.withServer(dataDirectory: dir) { server in
            let client = server.client
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(body["status"] as? String == "healthy")
                #expect(body["version"] as? String == GraphAPIVersion.string)
                #expect((body["uptime_seconds"] as? Double).map { $0 >= 0 } == true)
            }
            try await client.execute(uri: "/status", method: .get) { response in
                #expect(response.status == .ok)
                let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(body["status"] as? String == "healthy")
                #expect(body["node_type"] as? String == "writer")
                #expect(body["tier"] as? String == "standard")
                #expect(body["databases"] as? Int == 2)
                #expect(body["max_databases"] as? Int == 10)
                #expect(body["open_databases"] as? Int == 0)
                #expect((body["memory_usage_mb"] as? Double).map { $0 > 1 } == true)
            }
        }
    }

    @Test func healthIs503WhenTheDataDirectoryIsGone() async throws {
        try await TestServer.withServer { server in
            let client = server.client
            try FileManager.default.removeItem(atPath: server.dataDirectory)
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(body["status"] as? String == "unhealthy")
            }
        }
    }

    @Test func unknownRouteIs404WithTheContractsErrorBody() async throws {
        try await TestServer.withServer { server in
            let client = server.client
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(body["code"] as? String == "not_found")
                #expect((body["detail"] as? String)?.isEmpty == false)
            }
        }
    }
}
