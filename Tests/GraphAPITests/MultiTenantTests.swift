import Foundation
import GraphAPITesting
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// Many tenants at once through the HTTP API, and the request body limit.
@Suite struct MultiTenantTests {
    @Test(.slow) func fiftyTenantsQueriedConcurrentlyAnswerOnlyWithTheirOwnData() async throws {
        try await TestServer.withServer(configure: {
            $0.maxDatabases = 60
            $0.maxOpenDatabases = 64
            $0.connectionsPerDatabase = 2
        }) { server in
            let client = server.client
            let port = server.port
            let tenants = (1...50).map { "tenant-\($0)" }
            for tenant in tenants {
                let body = #"{"graph_id":"\#(tenant)","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE Owner(name STRING PRIMARY KEY)"}"#
                let created = try await client.execute(
                    uri: "/databases", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
                )
                #expect(created.status == .created, "\(String(buffer: created.body))")
                let write = try await client.cypher(tenant, "CREATE (:Owner {name: $name})", parameters: ["name": tenant])
                #expect(write.status == .ok, "\(write.body)")
            }
            // Every tenant asked four times, all at once, over separate connections.
            let answers = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for tenant in tenants {
                    for _ in 0..<4 {
                        group.addTask {
                            let answer = try await ExtraClient.cypher(port: port, tenant, "MATCH (o:Owner) RETURN o.name AS name")
                            let rows = (try? answer.json())?["data"] as? [[String: Any]]
                            return (tenant, rows?.count == 1 ? rows?.first?["name"] as? String : "\(answer.status): \(answer.body)")
                        }
                    }
                }
                var all: [(String, String?)] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.count == 200)
            for (tenant, name) in answers {
                #expect(name == tenant, "tenant \(tenant) got \(name ?? "nothing")")
            }
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await TestServer.withServer(graphs: [TestGraph(id: "small", ddl: [])], configure: { $0.maxBodyBytes = 1024 }) { server in
            let client = server.client
            let big = String(repeating: "x", count: 4096)
            let answer = try await client.cypher("small", "RETURN '\(big)' AS big")
            #expect(answer.status == .contentTooLarge, "\(answer.body.prefix(200))")
            #expect(answer.code == "payload_too_large")
            let small = try await client.cypher("small", "RETURN 'ok' AS ok")
            #expect(small.status == .ok)
        }
    }
}
