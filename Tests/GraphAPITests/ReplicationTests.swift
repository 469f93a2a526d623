import AsyncHTTPClient
import Foundation
import GraphAPITesting
import NIOCore
import S3Client
import Testing

@testable import GraphService

/// A `shared_master` and `shared_replica` nodes as separate processes on loopback: the master
/// ships its journal to its backup destination, the replicas follow it (a local folder, and the
/// local S3 server of scripts/test.sh).
@Suite(.serialized, .slow) struct ReplicationTests {
    static let ddl =
        #"{"graph_id":"g","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE P(id INT64 PRIMARY KEY, name STRING, tag STRING, at TIMESTAMP, r DOUBLE); CREATE REL TABLE K(FROM P TO P, w DOUBLE)"}"#

    /// Writes `count` rows of every kind (non-deterministic functions included) from `start`.
    static func write(_ server: ServerProcess, from start: Int, count: Int) async throws {
        for id in start..<(start + count) {
            let cypher: String
            switch id % 4 {
            case 0: cypher = "CREATE (:P {id: \(id), name: 'n\(id)', tag: string(gen_random_uuid()), at: current_timestamp(), r: random()})"
            case 1: cypher = "UNWIND range(0, 2) AS x CREATE (:P {id: \(id) * 1000 + x, name: 'bulk', r: random()})"
            case 2: cypher = "CREATE (:P {id: \(id), name: 'k'}) WITH 1 AS one MATCH (a:P {id: \(id)}), (b:P {id: \(id - 2)}) CREATE (a)-[:K {w: random()}]->(b)"
            default: cypher = "MATCH (p:P) WHERE p.id % 5 = \(id % 5) SET p.r = random()"
            }
            let (status, body) = try await server.request("POST", "/databases/g/query", json: #"{"cypher":"\#(cypher)"}"#)
            #expect(status == 200, "\(cypher): \(String(decoding: body, as: UTF8.self))")
        }
    }

    /// The whole graph, in an order that does not depend on storage.
    static func contents(_ server: ServerProcess, graph: String = "g") async throws -> [[String: AnyHashable]] {
        var rows: [[String: AnyHashable]] = []
        for cypher in [
            "MATCH (p:P) RETURN p.id AS id, p.name AS name, p.tag AS tag, string(p.at) AS at, p.r AS r ORDER BY id",
            "MATCH (a:P)-[k:K]->(b:P) RETURN a.id AS source, b.id AS target, k.w AS w ORDER BY source, target",
        ] {
            let (status, body) = try await server.request("POST", "/databases/\(graph)/query", json: #"{"cypher":"\#(cypher)"}"#)
            // A graph not there yet is empty; any other failure is the test's.
            if status == 404 { return [] }
            guard status == 200 else { throw ServerProcessError("\(cypher): \(status) \(String(decoding: body, as: UTF8.self))") }
            rows += LifecycleTests.json(body)["data"] as? [[String: AnyHashable]] ?? []
        }
        return rows
    }

    /// Waits until the replica's graph equals the master's; returns how long that took.
    @discardableResult
    static func caughtUp(_ replica: ServerProcess, with master: ServerProcess, within limit: Duration = .seconds(60)) async throws -> Duration {
        let expected = try await contents(master)
        #expect(expected.count > 10, "the master's graph should have rows to compare")
        let start = ContinuousClock.now
        var seen: [[String: AnyHashable]] = []
        while ContinuousClock.now - start < limit {
            seen = try await contents(replica)
            if seen == expected { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the replica did not catch up within \(limit): \(seen.count) rows, the master has \(expected.count); log:\n\(replica.log.suffix(3000))")
        return limit
    }

    /// How often the replica's log says it restored a base of `graph`.
    static func baseRestores(of graph: String, in log: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("replica restored a base") && $0.contains("graph_id=\(graph) ") }.count
    }

    static func master(_ dir: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> ServerProcess {
        try ServerProcess(
            dataDirectory: dir, arguments: ["--node-type", "shared_master", "--journal-ship-seconds", "1"] + arguments, environment: environment)
    }

    static func replica(_ dir: String, of source: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> ServerProcess {
        try ServerProcess(dataDirectory: dir, arguments: ["--node-type", "shared_replica", "--replica-of", source] + arguments, environment: environment)
    }

    @Test func replicasFollowTheMasterThroughAKillAGapAndABaseChange() async throws {
        let root = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let master = try Self.master(root + "/master")
        defer { _ = try? master.stop(signal: SIGTERM) }
        #expect(try await master.request("POST", "/databases", json: Self.ddl).0 == 201)
        #expect(try await master.request("POST", "/databases", json: #"{"graph_id":"other","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE O(id INT64 PRIMARY KEY)"}"#).0 == 201)
        #expect(try await master.request("POST", "/databases/other/query", json: #"{"cypher":"CREATE (:O {id: 1})"}"#).0 == 200)
        try await Self.write(master, from: 10, count: 40)

        let destination = root + "/master/backups"
        var first: ServerProcess? = try Self.replica(root + "/r1", of: destination)
        let second = try Self.replica(root + "/r2", of: destination, arguments: ["--replica-graphs", "g", "--log-level", "debug"])
        defer { _ = try? second.stop(signal: SIGTERM) }
        try await Self.caughtUp(first!, with: master)
        try await Self.caughtUp(second, with: master)
        // Only the graphs asked for; never a write.
        var otherStatus = 0
        for _ in 0..<100 where otherStatus != 200 {
            otherStatus = try await first!.request("POST", "/databases/other/query", json: #"{"cypher":"MATCH (o:O) RETURN o.id"}"#).0
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(otherStatus == 200)
        #expect(try await second.request("GET", "/databases/other").0 == 404)
        let (refused, body) = try await first!.request("POST", "/databases/g/query", json: #"{"cypher":"CREATE (:P {id: 1})"}"#)
        #expect(refused == 403 && LifecycleTests.json(body)["code"] as? String == "read_only_node")

        // New writes arrive within the ship interval plus the time to apply them.
        try await Self.write(master, from: 100, count: 20)
        let delay = try await Self.caughtUp(second, with: master)
        #expect(delay < .seconds(15), "\(delay)")
        let info = LifecycleTests.json(try await second.request("GET", "/databases/g").1)
        let replication = try #require(info["replication"] as? [String: Any], "\(info)")
        #expect(replication["applied_position"] as? Int == replication["published_position"] as? Int)
        #expect(replication["lag_seconds"] as? Double == 0)
        #expect(replication["state"] as? String == "following")
        let metrics = String(decoding: try await second.request("GET", "/metrics").1, as: UTF8.self)
        #expect(metrics.contains(#"graph_api_replica_lag_seconds{graph_id="g"} 0"#), "\(metrics.prefix(200))")
        let nodeInfo = LifecycleTests.json(try await second.request("GET", "/info").1)
        let graphs = (nodeInfo["replication"] as? [String: Any])?["graphs"] as? [[String: Any]] ?? []
        #expect(graphs.map { $0["graph_id"] as? String } == ["g"], "\(nodeInfo["replication"] ?? "none")")
        // The replica's answers are the documented ones.
        var cases: [String] = []
        for path in ["/databases/g", "/info"] {
            let body = String(decoding: try await second.request("GET", path).1, as: UTF8.self)
            cases.append(#"{"method":"get","path":"\#(path == "/info" ? path : "/databases/{graph_id}")","status":200,"media":"application/json","instance":\#(body)}"#)
        }
        let baseManifest = try #require(try FileManager.default.contentsOfDirectory(atPath: destination + "/g/journal/bases").first { $0.hasSuffix(".manifest.json") })
        let manifest = String(decoding: try Data(contentsOf: URL(fileURLWithPath: destination + "/g/journal/bases/" + baseManifest)), as: UTF8.self)
        cases.append(#"{"schema":"BackupManifest","instance":\#(manifest)}"#)
        let document = root + "/openapi.json"
        try await second.request("GET", "/openapi.json").1.write(to: URL(fileURLWithPath: document))
        try OpenAPIResponseConformanceTests.validate(cases, against: document, files: root + "/conformance")

        // Killed and restarted, a replica goes on from its copy.
        _ = try first!.stop(signal: SIGKILL)
        first = nil
        try await Self.write(master, from: 200, count: 20)
        first = try Self.replica(root + "/r1", of: destination)
        try await Self.caughtUp(first!, with: master)
        #expect(Self.baseRestores(of: "g", in: first!.log) == 0, "a restart continues the copy, it does not restore again")

        // A shipment gone from the destination: the replica waits for a base past the gap,
        // then starts again from it.
        _ = try first!.stop(signal: SIGKILL)
        first = nil
        let head = LifecycleTests.json(try Data(contentsOf: URL(fileURLWithPath: destination + "/g/journal/head.json")))
        let journal = destination + "/g/journal/" + (try #require(head["journal_id"] as? String))
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: journal))
        try await Self.write(master, from: 300, count: 20)
        try await Task.sleep(for: .seconds(3))  // shipped
        let shipped = Set(try FileManager.default.contentsOfDirectory(atPath: journal)).subtracting(before).filter { $0.hasSuffix(".jrn") }.sorted()
        try #require(!shipped.isEmpty)
        try FileManager.default.removeItem(atPath: journal + "/" + shipped[0])
        first = try Self.replica(root + "/r1", of: destination)
        try await Task.sleep(for: .seconds(2))
        let waiting = LifecycleTests.json(try await first!.request("GET", "/databases/g").1)["replication"] as? [String: Any]
        #expect(waiting?["state"] as? String == "waiting_for_base", "\(waiting ?? [:])")
        #expect((waiting?["lag_seconds"] as? Double ?? 0) > 0, "\(waiting ?? [:])")
        let backup = LifecycleTests.json(try await master.request("POST", "/databases/g/backup", json: "{}").1)
        #expect(backup["backup_id"] != nil, "\(backup)")
        try await Self.caughtUp(first!, with: master)
        #expect(Self.baseRestores(of: "g", in: first!.log) == 1)

        // A change of the files outside the log on the master (an in-place point-in-time
        // restore) reaches the replicas through a new base.
        let window = LifecycleTests.json(try await master.request("GET", "/databases/g/recovery-window").1)
        let latest = try #require(window["latest_position"] as? Int)
        let (status, task) = try await master.request(
            "POST", "/databases/g/restore", json: #"{"position": \#(latest - 10), "force_overwrite": true, "create_system_backup": false}"#)
        #expect(status == 202, "\(String(decoding: task, as: UTF8.self))")
        try await waitForTask(master, LifecycleTests.json(task)["task_id"] as? String ?? "")
        try await Self.write(master, from: 400, count: 8)
        try await Self.caughtUp(first!, with: master)
        try await Self.caughtUp(second, with: master)
        _ = try first?.stop(signal: SIGTERM)

        // The replica copies the graph's files only for its first batch after a base it restored;
        // every other batch is replayed on the files the previous swap replaced.
        let events = second.log.split(separator: "\n").filter {
            $0.contains("graph_id=g ") && ($0.contains("replica applied shipments") || $0.contains("replica restored a base"))
        }
        var afterBase = false
        for event in events {
            if event.contains("replica restored a base") {
                afterBase = true
                continue
            }
            #expect(!event.contains("replayed_on=copy") || afterBase, "\(events.joined(separator: "\n"))")
            afterBase = false
        }
        #expect(events.contains { $0.contains("replayed_on=standby") }, "\(events.joined(separator: "\n"))")
    }

    @Test func aReplicaFollowsThroughS3() async throws {
        let endpoint = try #require(ProcessInfo.processInfo.environment["GRAPH_API_TEST_S3_ENDPOINT"], "needs the local S3 server of scripts/test.sh")
        let bucket = "replicas-\(UUID().uuidString.lowercased().prefix(8))"
        let configuration = S3Client.Configuration(credentials: .init(accessKeyID: "test", secretAccessKey: "test"), endpoint: try .init(url: "http://\(endpoint)"))
        try await S3Client(httpClient: .shared, configuration: configuration).createBucket(bucket)
        let environment = ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_ENDPOINT_URL": "http://\(endpoint)", "AWS_REGION": "us-east-1"]
        let key = ["GRAPH_API_BACKUP_KEY": Data((0..<32).map { UInt8($0) }).base64EncodedString()]
        let root = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let uri = "s3://\(bucket)/published"
        let master = try Self.master(root + "/master", arguments: ["--backup-s3-uri", uri], environment: environment.merging(key) { a, _ in a })
        defer { _ = try? master.stop(signal: SIGTERM) }
        #expect(try await master.request("POST", "/databases", json: Self.ddl).0 == 201)
        try await Self.write(master, from: 10, count: 30)
        // Without the key, the encrypted shipments cannot be read: nothing is served.
        let keyless = try Self.replica(root + "/keyless", of: uri, environment: environment)
        try await Task.sleep(for: .seconds(4))
        #expect(try await keyless.request("GET", "/databases/g").0 == 404)
        _ = try keyless.stop(signal: SIGTERM)

        let replica = try Self.replica(root + "/replica", of: uri, environment: environment.merging(key) { a, _ in a })
        defer { _ = try? replica.stop(signal: SIGTERM) }
        try await Self.caughtUp(replica, with: master)
        try await Self.write(master, from: 100, count: 20)
        try await Self.caughtUp(replica, with: master)
        #expect(try await replica.request("POST", "/databases/g/query", json: #"{"cypher":"MATCH (p:P) DETACH DELETE p"}"#).0 == 403)

        // The graph deleted and made again on the master: a new journal, whose positions count
        // from 1 again; the replica starts over from its base, never mixing the two.
        #expect(try await master.request("DELETE", "/databases/g").0 == 200)
        #expect(try await master.request("POST", "/databases", json: Self.ddl).0 == 201)
        try await Self.write(master, from: 500, count: 16)
        try await Self.caughtUp(replica, with: master)
        #expect(Self.baseRestores(of: "g", in: replica.log) == 2, "\(replica.log.suffix(2000))")
        // The earlier journal's shipments went at the new journal's first base (no backup of the
        // graph needs them): the destination holds the head, the bases and the new journal only.
        let s3 = S3Client(httpClient: .shared, configuration: configuration)
        let head = try JSONSerialization.jsonObject(
            with: Data(try await s3.getObjectBytes(bucket: bucket, key: "published/g/journal/head.json", upTo: 1 << 20).readableBytesView)
        ) as? [String: Any]
        let current = try #require(head?["journal_id"] as? String)
        var folders: Set<String> = []
        for try await object in s3.listObjects(bucket: bucket, prefix: "published/g/journal/") {
            folders.insert(String(object.key.dropFirst("published/g/journal/".count).split(separator: "/").first ?? ""))
        }
        #expect(folders == ["head.json", "bases", current], "\(folders)")
    }

    func waitForTask(_ server: ServerProcess, _ id: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let record = LifecycleTests.json(try await server.request("GET", "/tasks/\(id)/status").1)
            if record["status"] as? String == "completed" { return }
            if record["status"] as? String == "failed" {
                Issue.record("task failed: \(record)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("task \(id) did not end")
    }
}
