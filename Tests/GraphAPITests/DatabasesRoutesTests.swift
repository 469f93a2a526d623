import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// `GET /databases`, `GET|DELETE /databases/{graph_id}`, `GET /databases/{graph_id}/metrics`.
@Suite struct DatabasesRoutesTests {
    static let peopleDDL = """
        CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, age INT64);
        CREATE NODE TABLE City(identifier STRING PRIMARY KEY, name STRING);
        CREATE REL TABLE LIVES_IN(FROM Person TO City, since INT64);
        CREATE REL TABLE KNOWS(FROM Person TO Person)
        """

    static func createPeople(_ client: TestServer.Client, _ id: String, key: String? = nil) async throws {
        let response = try await client.send(
            .post, "/databases", object: ["graph_id": id, "schema_type": "custom", "custom_schema_ddl": peopleDDL], key: key
        )
        #expect(response.status == .created)
    }

    @Test func listingNeverOpensADatabase() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try await Self.createPeople(client, "alpha")
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id": "beta", "read_only": true}"#).status == .created)
            let alpha = try GraphID(validating: "alpha")
            let beta = try GraphID(validating: "beta")
            #expect(await fixture.registry.openCount == 0)

            let response = try await client.send(.get, "/databases")
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(await fixture.registry.openCount == 0)
            #expect(await fixture.registry.isOpen(alpha) == false)
            #expect(await fixture.registry.isOpen(beta) == false)

            let databases = try #require(body["databases"] as? [[String: Any]])
            #expect(databases.map { $0["graph_id"] as? String } == ["alpha", "beta"])
            #expect(body["total_databases"] as? Int == 2)
            let first = databases[0]
            #expect(first["schema_type"] as? String == "custom")
            #expect(first["repository_name"] is NSNull)
            #expect(first["read_only"] as? Bool == false)
            #expect(first["is_open"] as? Bool == false)
            #expect(first["last_accessed"] is NSNull)
            let created = try #require(first["created_at"] as? String)
            #expect(created.hasSuffix("Z") && created.contains("T"))
            #expect(ISO8601Timestamp.date(from: created).map { abs($0.timeIntervalSinceNow) < 120 } == true)
            let sizes = databases.compactMap { $0["size_bytes"] as? Int }
            #expect(sizes.count == 2 && sizes.allSatisfy { $0 > 0 })
            #expect(body["total_size_bytes"] as? Int == sizes.reduce(0, +))
            #expect(databases[1]["read_only"] as? Bool == true)
            let capacity = try #require(body["node_capacity"] as? [String: Any])
            #expect(capacity["max_databases"] as? Int == 10)
            #expect(capacity["current_databases"] as? Int == 2)
            #expect(capacity["capacity_remaining"] as? Int == 8)
            #expect(capacity["utilization_percent"] as? Double == 20)

            // Opening one (the info route may) shows in the next listing, still without opening the other.
            #expect(try await client.send(.get, "/databases/alpha").status == .ok)
            #expect(await fixture.registry.isOpen(alpha))
            let again = try await client.send(.get, "/databases").object()
            let open = (again["databases"] as? [[String: Any]] ?? []).map { $0["is_open"] as? Bool }
            #expect(open == [true, false])
            #expect(await fixture.registry.openCount == 1)
        }
    }

    @Test func aScopedKeySeesOnlyItsGraphs() async throws {
        try await TestServer.withDatabases(keys: [
            APIKey(secret: "admin-key"), APIKey(secret: "tenant-key", scope: KeyScope(graphs: ["mine", "missing"])),
        ]) { fixture in
            let client = fixture.client
            for id in ["mine", "theirs", "others"] {
                #expect(try await client.send(.post, "/databases", object: ["graph_id": id], key: "admin-key").status == .created)
            }
            let tenant = try await client.send(.get, "/databases", key: "tenant-key").object()
            #expect((tenant["databases"] as? [[String: Any]])?.map { $0["graph_id"] as? String } == ["mine"])
            #expect(tenant["total_databases"] as? Int == 1)
            let admin = try await client.send(.get, "/databases", key: "admin-key").object()
            #expect(admin["total_databases"] as? Int == 3)
            // The node's capacity counts every tenant's graphs: the operator sees it, the tenant does not.
            #expect((admin["node_capacity"] as? [String: Any])?["current_databases"] as? Int == 3)
            #expect(tenant["node_capacity"] == nil)
            #expect((tenant["total_size_bytes"] as? Int).map { $0 > 0 && $0 < (admin["total_size_bytes"] as? Int ?? 0) } == true)
            // Another tenant's graph looks exactly like one that does not exist.
            let theirs = try await client.send(.get, "/databases/theirs", key: "tenant-key")
            #expect(theirs.status == .notFound)
            #expect(try await client.send(.delete, "/databases/theirs", key: "tenant-key").status == .notFound)
            #expect(try await client.send(.get, "/databases", key: nil).status == .unauthorized)
        }
    }

    @Test func infoReportsCountsAndHealthAnd404ForUnknown() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try await Self.createPeople(client, "people")
            _ = try await fixture.run(
                "people",
                "UNWIND range(1, 5) AS i CREATE (:Person {identifier: 'p' + string(i), age: i})"
            )
            _ = try await fixture.run("people", "CREATE (:City {identifier: 'c1', name: 'Oslo'})")
            _ = try await fixture.run(
                "people", "MATCH (p:Person), (c:City) WHERE p.age <= 3 CREATE (p)-[:LIVES_IN {since: 2020}]->(c)"
            )
            let response = try await client.send(.get, "/databases/people")
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["graph_id"] as? String == "people")
            #expect(body["is_healthy"] as? Bool == true)
            #expect(body["node_count"] as? Int == 6)
            #expect(body["relationship_count"] as? Int == 3)
            #expect(body["is_open"] as? Bool == true)
            #expect((body["size_bytes"] as? Int).map { $0 > 0 } == true)
            #expect(body["schema_type"] as? String == "custom")

            let missing = try await client.send(.get, "/databases/nobody")
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "database_not_found")
            let invalid = try await client.send(.get, "/databases/-bad")
            #expect(invalid.status == .badRequest)
            #expect(invalid.errorCode == "invalid_graph_id")
        }
    }

    @Test func aDatabaseThatCannotOpenIsReportedUnhealthyAndCanBeDeleted() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try await Self.createPeople(client, "damaged")
            let folder = fixture.registry.folder(of: try GraphID(validating: "damaged"))
            try Data("this is not a graph database".utf8).write(to: URL(fileURLWithPath: folder + "/graph.lbug"))

            let response = try await client.send(.get, "/databases/damaged")
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["is_healthy"] as? Bool == false)
            #expect(body["node_count"] is NSNull)
            #expect(body["relationship_count"] is NSNull)
            #expect(body["is_open"] as? Bool == false)
            #expect((body["error"] as? String)?.isEmpty == false)

            #expect(try await client.send(.delete, "/databases/damaged").status == .ok)
            #expect(!FileManager.default.fileExists(atPath: folder))
        }
    }

    @Test func deleteRemovesEveryFileAndIsAudited() async throws {
        let logs = LogCapture()
        try await TestServer.withDatabases(keys: [APIKey(secret: "admin-key"), APIKey(secret: "reader-key", scope: KeyScope(readOnly: true))], logs: logs) { fixture in
            let client = fixture.client
            try await Self.createPeople(client, "doomed", key: "admin-key")
            _ = try await fixture.run("doomed", "CREATE (:Person {identifier: 'x', age: 1})")
            let folder = fixture.registry.folder(of: try GraphID(validating: "doomed"))
            #expect(FileManager.default.fileExists(atPath: folder + "/graph.lbug"))
            // A staging file of the graph lives in the same folder and goes with it.
            #expect(FileManager.default.createFile(atPath: folder + "/staging.duckdb", contents: Data("x".utf8)))

            let reader = try await client.send(.delete, "/databases/doomed", key: "reader-key")
            #expect(reader.status == .forbidden)
            #expect(reader.errorCode == "read_only_key")
            #expect(FileManager.default.fileExists(atPath: folder))
            #expect(try await client.send(.delete, "/databases/doomed").status == .unauthorized)

            let response = try await client.send(.delete, "/databases/doomed", key: "admin-key")
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["status"] as? String == "success")
            #expect((body["message"] as? String)?.contains("doomed") == true)
            #expect(!FileManager.default.fileExists(atPath: folder))
            #expect(try fixture.databaseFolderEntries().isEmpty)
            #expect(await fixture.registry.openCount == 0)

            let again = try await client.send(.delete, "/databases/doomed", key: "admin-key")
            #expect(again.status == .notFound)
            #expect(again.errorCode == "database_not_found")
            #expect(try await client.send(.get, "/databases/doomed/metrics", key: "admin-key").status == .notFound)
        }
        let audit = logs.audit("delete_database")
        #expect(audit.count == 1)
        #expect(audit.first?.metadata["graph_id"] == "doomed")
    }

    @Test func deleteInterruptsARunningQueryAndRemovesEveryFile() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            #expect(
                try await client.send(
                    .post, "/databases",
                    object: [
                        "graph_id": "busy", "schema_type": "custom",
                        "custom_schema_ddl": "CREATE NODE TABLE P(identifier STRING PRIMARY KEY, age INT64)",
                    ]
                ).status == .created
            )
            _ = try await fixture.run("busy", "UNWIND range(1, 3000) AS i CREATE (:P {identifier: string(i), age: i})")
            let id = try GraphID(validating: "busy")
            let folder = fixture.registry.folder(of: id)
            let registry = fixture.registry
            let executor = registry.executor
            let finishedAt = DatabasesInstantBox()
            // A query that runs until it is stopped (the filter defeats factorisation).
            let query = Task {
                defer { finishedAt.withLock { $0 = .now } }
                return try await registry.withConnection(to: id) { _, connection in
                    let result = try await connection.run(
                        "MATCH (a:P), (b:P), (c:P) WHERE a.age + b.age + c.age = -1 RETURN count(*)", on: executor
                    )
                    return try await executor.run { try result.allRows() }
                }
            }
            // Wait until the query holds a connection and has run a while.
            #expect(try await eventually { await registry.leasedConnections == 1 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(finishedAt.withLock { $0 } == nil, "the query should still be running")

            let start = ContinuousClock.now
            let response = try await client.send(.delete, "/databases/busy")
            #expect(response.status == .ok)
            let result = await query.result
            let stoppedAfter = try #require(finishedAt.withLock { $0 }) - start
            // Uninterrupted, the query would run for minutes: a bound a loaded machine keeps.
            #expect(stoppedAfter < .seconds(60), "the delete should stop the query promptly")
            switch result {
            case .success(let rows):
                Issue.record("the query should have been interrupted, returned \(rows)")
            case .failure(let error):
                let engineError = try #require(error as? EngineError, "\(error)")
                #expect([EngineError.Kind.interrupted, .closed].contains(engineError.kind), "\(engineError)")
            }
            #expect(!FileManager.default.fileExists(atPath: folder))
            #expect(try fixture.databaseFolderEntries().isEmpty)
            print("delete of a graph with a running query: query stopped \(stoppedAfter) after the DELETE was sent")
        }
    }

    @Test func deleteOnAReadOnlyNodeIs403() async throws {
        let directory = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.withDatabases(directory: directory) { writer in
            try await Self.createPeople(writer.client, "kept")
        }

        try await TestServer.withDatabases(nodeType: .sharedReplica, directory: directory) { replica in
            let client = replica.client
            let response = try await client.send(.delete, "/databases/kept")
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "read_only_node")
            #expect(FileManager.default.fileExists(atPath: replica.registry.folder(of: try GraphID(validating: "kept"))))
            // Reading works on the replica.
            #expect(try await client.send(.get, "/databases/kept/schema").status == .ok)
        }
    }

    @Test func metricsCountEveryTableAndTheQueriesRecorded() async throws {
        try await TestServer.withDatabases { fixture in
            let client = fixture.client
            try await Self.createPeople(client, "metered")
            _ = try await fixture.run("metered", "UNWIND range(1, 4) AS i CREATE (:Person {identifier: 'p' + string(i), age: i})")
            _ = try await fixture.run("metered", "UNWIND ['a', 'b'] AS c CREATE (:City {identifier: c, name: c})")
            _ = try await fixture.run("metered", "MATCH (p:Person), (c:City {identifier: 'a'}) CREATE (p)-[:LIVES_IN {since: 1}]->(c)")
            _ = try await fixture.run("metered", "MATCH (a:Person {identifier: 'p1'}), (b:Person {identifier: 'p2'}) CREATE (a)-[:KNOWS]->(b)")
            let id = try GraphID(validating: "metered")
            for _ in 0..<3 { fixture.context.activity.recordQuery(on: id) }

            let response = try await client.send(.get, "/databases/metered/metrics")
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["graph_id"] as? String == "metered")
            #expect(body["node_count"] as? Int == 6)
            #expect(body["relationship_count"] as? Int == 5)
            #expect(body["tables"] as? [String: Int] == ["Person": 4, "City": 2, "LIVES_IN": 4, "KNOWS": 1])
            #expect(body["query_count"] as? Int == 3)
            #expect((body["size_bytes"] as? Int).map { $0 > 0 } == true)
            let modified = try #require(body["last_modified"] as? String)
            #expect(ISO8601Timestamp.date(from: modified).map { abs($0.timeIntervalSinceNow) < 120 } == true)

            // Deleting and re-creating starts the count again.
            #expect(try await client.send(.delete, "/databases/metered").status == .ok)
            try await Self.createPeople(client, "metered")
            let fresh = try await client.send(.get, "/databases/metered/metrics").object()
            #expect(fresh["query_count"] as? Int == 0)
            #expect(fresh["node_count"] as? Int == 0)

            #expect(try await client.send(.get, "/databases/unknown/metrics").status == .notFound)
        }
    }

    @Test func activityCountersAreSharedPerServerAndThreadSafe() async throws {
        let id = try GraphID(validating: "g")
        try await TestServer.withDatabases { first in
            try await TestServer.withDatabases { second in
                #expect(first.context.activity === first.context.activity)
                #expect(first.context.activity !== second.context.activity)
                let activity = first.context.activity
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask { for _ in 0..<1000 { activity.recordQuery(on: id) } }
                    }
                }
                #expect(first.context.activity.queryCount(of: id) == 8000)
                #expect(second.context.activity.queryCount(of: id) == 0)
                first.context.activity.forget(id)
                #expect(first.context.activity.queryCount(of: id) == 0)
            }
        }
    }
}
