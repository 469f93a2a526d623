import Foundation
import GraphAPITesting
import HTTPTypes
import Logging
import NIOCore
import Testing

@testable import GraphService

/// Issue 13: every committed write goes to the graph's journal, and a restore to any entry (by
/// position or instant) gives back exactly the graph as it was then, compared table by table.
@Suite(.serialized) struct PointInTimeTests {
    /// Every row of every table, node and relationship alike, with the engine's internal ids,
    /// as JSON text.
    static func dump(_ client: TestServer.Client, _ graph: String) async throws -> String {
        let schema = try await client.send(.get, "/databases/\(graph)/schema").object()
        var parts: [String] = []
        for table in (schema["node_tables"] as? [[String: Any]] ?? []).compactMap({ $0["name"] as? String }).sorted() {
            parts.append(try await rows(client, graph, "MATCH (n:\(table)) RETURN n ORDER BY offset(id(n))"))
        }
        for table in (schema["rel_tables"] as? [[String: Any]] ?? []).compactMap({ $0["name"] as? String }).sorted() {
            parts.append(try await rows(client, graph, "MATCH (a)-[r:\(table)]->(b) RETURN id(a), id(b), r ORDER BY offset(id(r))"))
        }
        return parts.joined(separator: "\n")
    }

    static func rows(_ client: TestServer.Client, _ graph: String, _ cypher: String) async throws -> String {
        let answer = try await client.send(.post, "/databases/\(graph)/query", object: ["cypher": cypher])
        #expect(answer.status == .ok, "\(cypher): \(String(buffer: answer.body))")
        let data = try answer.object()["data"] ?? []
        return String(decoding: try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]), as: UTF8.self)
    }

    static func window(_ client: TestServer.Client, _ graph: String) async throws -> [String: Any] {
        let answer = try await client.send(.get, "/databases/\(graph)/recovery-window")
        #expect(answer.status == .ok, "\(String(buffer: answer.body))")
        return try answer.object()
    }

    static func write(_ client: TestServer.Client, _ graph: String, _ cypher: String, _ parameters: [String: Any] = [:]) async throws {
        let answer = try await client.send(.post, "/databases/\(graph)/query", object: ["cypher": cypher, "parameters": parameters])
        #expect(answer.status == .ok, "\(cypher): \(String(buffer: answer.body))")
    }

    static let graph = TestGraph(
        id: "g",
        ddl: [
            "CREATE NODE TABLE P(id INT64 PRIMARY KEY, name STRING, age INT64, tag STRING, at TIMESTAMP, r DOUBLE)",
            "CREATE REL TABLE K(FROM P TO P, w DOUBLE)",
        ]
    )

    /// Writes of every kind the API takes (single and batch creates, updates, deletes, merges,
    /// relationships, schema changes, non-deterministic functions, a COPY), explicit checkpoints,
    /// one during a long read; snapshots at chosen entries; then a restore to each
    /// of them, by position and by instant (also between two commits), into clones.
    @Test func restoresReproduceTheGraphAtEveryChosenEntry() async throws {
        try await TestServer.withServer(graphs: [Self.graph]) { server in
            let client = server.client
            try StagingFixtures.write("SELECT 100000 + range AS id, 'copied' AS name FROM range(500)", to: server.dataDirectory + "/import/more.parquet")
            var generator = SystemRandomNumberGenerator()
            var snapshots: [(position: Int, time: String, dump: String)] = []
            var nextID = 0
            var columns = ["name"]
            for step in 1...120 {
                switch step % 12 {
                case 0, 1, 2:
                    nextID += 1
                    try await Self.write(
                        client, "g",
                        "CREATE (:P {id: $id, name: $name, age: $age, tag: string(gen_random_uuid()), at: current_timestamp(), r: random()})",
                        ["id": nextID, "name": "p\(nextID)", "age": Int.random(in: 1...90, using: &generator)]
                    )
                case 3:
                    try await Self.write(
                        client, "g", "UNWIND range(1, 40) AS x CREATE (:P {id: $base + x, name: 'bulk', age: x, r: random()})",
                        ["base": 10_000 + step * 100]
                    )
                case 4 where nextID > 2:
                    try await Self.write(
                        client, "g", "MATCH (a:P {id: $a}), (b:P {id: $b}) CREATE (a)-[:K {w: random()}]->(b)",
                        ["a": Int.random(in: 1...nextID, using: &generator), "b": Int.random(in: 1...nextID, using: &generator)]
                    )
                case 5:
                    try await Self.write(client, "g", "MATCH (p:P) WHERE p.id % 7 = $m SET p.age = p.age + 1, p.r = random()", ["m": step % 7])
                case 6 where nextID > 0:
                    try await Self.write(client, "g", "MATCH (p:P {id: $id}) DETACH DELETE p", ["id": Int.random(in: 1...nextID, using: &generator)])
                case 7:
                    try await Self.write(client, "g", "MERGE (p:P {id: $id}) ON MATCH SET p.name = 'merged' ON CREATE SET p.name = 'new'", ["id": -(step % 30)])
                case 8 where step % 24 == 8:
                    let column = "c\(step)"
                    columns.append(column)
                    let answer = try await client.send(
                        .post, "/databases/g/schema", object: ["ddl": "ALTER TABLE P ADD \(column) STRING DEFAULT 'd\(step)'"])
                    #expect(answer.status == .ok, "\(String(buffer: answer.body))")
                case 9:
                    try await Self.write(client, "g", "MATCH ()-[k:K]->() WHERE k.w < 0.3 DELETE k")
                case 10 where step == 58:
                    // A COPY changes the data file without the log: the journal takes a base.
                    let copy = try await client.send(.post, "/databases/g/copy", object: ["table_name": "P", "source": "more.parquet"])
                    let record = try await StagingCopyTests.finished(client, copy)
                    #expect(record["status"] as? String == "completed", "\(record)")
                case 11 where step % 36 == 11:
                    try await Self.write(client, "g", "CHECKPOINT")
                case 11 where step == 71:
                    // A checkpoint while a long read runs (the checkpoint waits for it).
                    let reader = Task {
                        try await client.send(
                            .post, "/databases/g/query",
                            object: ["cypher": "MATCH (a:P), (b:P), (c:P), (d:P) WHERE a.age + b.age + c.age + d.age = -1 RETURN count(*)", "timeout": 1.5]
                        )
                    }
                    try await Task.sleep(for: .milliseconds(300))
                    try await Self.write(client, "g", "CHECKPOINT")
                    try await Self.write(client, "g", "CREATE (:P {id: 999999, name: 'during the read'})")
                    _ = try await reader.value
                default:
                    try await Self.write(client, "g", "MATCH (p:P) WHERE p.id = $id SET p.name = p.name + 'x'", ["id": step % 20])
                }
                if step % 10 == 0 || step == 59 || step == 72 || step == 120 {
                    let window = try await Self.window(client, "g")
                    let position = try #require(window["latest_position"] as? Int)
                    let time = try #require(window["latest"] as? String)
                    snapshots.append((position, time, try await Self.dump(client, "g")))
                }
            }
            let window = try await Self.window(client, "g")
            #expect((window["earliest_position"] as? Int ?? 0) >= 1)
            #expect(window["latest_position"] as? Int == snapshots.last?.position)
            #expect(Set(snapshots.map(\.dump)).count == snapshots.count, "every snapshot should differ")
            // The run crossed what the journal must handle: a base after the COPY, and checkpoints
            // (JournalReplayTests covers one a reader pins, which the API cannot force).
            let journal = try GraphJournal(
                folder: server.dataDirectory + "/databases/g/journal", databasePath: server.dataDirectory + "/databases/g/graph.lbug",
                logger: .init(label: "test")
            )
            var kinds: [String: Int] = [:]
            try JournalReplay(journal).forEachRecord { record in
                kinds["\(record.kind)", default: 0] += 1
                return true
            }
            #expect(kinds["base", default: 0] >= 2, "\(kinds)")
            #expect(kinds["checkpoint", default: 0] >= 3, "\(kinds)")

            for (index, snapshot) in snapshots.enumerated() {
                // By position, into a clone.
                let clone = "byposition\(index)"
                let restored = try await StagingCopyTests.finished(
                    client, try await client.send(.post, "/databases/g/restore", object: ["position": snapshot.position, "target_graph_id": clone]))
                #expect(restored["status"] as? String == "completed", "\(restored)")
                #expect(try await Self.dump(client, clone) == snapshot.dump, "position \(snapshot.position)")
                #expect((restored["result"] as? [String: Any])?["position"] as? Int == snapshot.position)
                #expect(try await client.send(.delete, "/databases/\(clone)").status == .ok)
            }
            // By instant: the instant the window printed, and one just after it (before the next commit).
            for snapshot in [snapshots[1], snapshots[5], snapshots[snapshots.count - 1]] {
                for (suffix, time) in [("exact", snapshot.time), ("after", Self.shift(snapshot.time, micros: 1))] {
                    let clone = "bytime\(snapshot.position)\(suffix)"
                    let restored = try await StagingCopyTests.finished(
                        client, try await client.send(.post, "/databases/g/restore", object: ["point_in_time": time, "target_graph_id": clone]))
                    #expect(restored["status"] as? String == "completed", "\(restored)")
                    #expect(try await Self.dump(client, clone) == snapshot.dump, "\(time)")
                    #expect(try await client.send(.delete, "/databases/\(clone)").status == .ok)
                }
            }
            // In place: the live graph goes back, and the journal goes on from there.
            let target = snapshots[3]
            let inPlace = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g/restore", object: ["position": target.position, "force_overwrite": true]))
            #expect(inPlace["status"] as? String == "completed", "\(inPlace)")
            #expect(try await Self.dump(client, "g") == target.dump)
            try await Self.write(client, "g", "CREATE (:P {id: 424242, name: 'after the restore'})")
            let after = try await Self.window(client, "g")
            let latest = try #require(after["latest_position"] as? Int)
            #expect(latest > snapshots.last!.position + 1, "the restore is an entry, and so is the write after it")
            let expected = try await Self.dump(client, "g")
            let again = try await StagingCopyTests.finished(
                client, try await client.send(.post, "/databases/g/restore", object: ["position": latest, "target_graph_id": "afterrestore"]))
            #expect(again["status"] as? String == "completed", "\(again)")
            #expect(try await Self.dump(client, "afterrestore") == expected)
        }
    }

    static func shift(_ instant: String, micros: Int64) -> String {
        JournalTime.string(micros: JournalTime.micros(from: instant)! + micros)
    }

    /// Instants are read to the microsecond, with any zone, as the document's pattern allows.
    @Test func instantsAreReadToTheMicrosecond() throws {
        let base = try #require(JournalTime.micros(from: "2026-12-07T10:00:00Z"))
        #expect(base == 1_796_637_600_000_000)
        #expect(JournalTime.micros(from: "2026-12-07T10:00:00.123456Z") == base + 123_456)
        #expect(JournalTime.micros(from: "2026-12-07T10:00:00.1234567Z") == base + 123_456)
        #expect(JournalTime.micros(from: "2026-12-07t10:00:00.5z") == base + 500_000)
        #expect(JournalTime.micros(from: "2026-12-07T11:30:00+01:30") == base)
        #expect(JournalTime.micros(from: "2026-12-07T09:00:00-01:00") == base)
        #expect(JournalTime.micros(from: "2026-12-07T09:59:60Z") == base)
        #expect(JournalTime.micros(from: "1969-12-31T23:59:59.999999Z") == -1)
        #expect(JournalTime.string(micros: base + 7) == "2026-12-07T10:00:00.000007Z")
        #expect(JournalTime.string(micros: -1) == "1969-12-31T23:59:59.999999Z")
        for text in ["", "yesterday", "2026-12-07", "2026-13-07T10:00:00Z", "2026-12-07T10:00:00", "2026-12-07T10:00:00.Z", "2026-12-07T10:00:00+0100"] {
            #expect(JournalTime.micros(from: text) == nil, "\(text)")
        }
        let pattern = try Regex(JournalTime.pattern)
        for text in ["2026-12-07T10:00:00.123456Z", "2026-12-07t10:00:00+01:00"] {
            #expect(text.wholeMatch(of: pattern) != nil && JournalTime.micros(from: text) != nil)
        }
    }

    /// Points outside the window, malformed instants and mixed options are refused before any
    /// task starts.
    @Test func pointsOutsideTheWindowAndBadOptionsAreRefused() async throws {
        try await TestServer.withServer(graphs: [Self.graph]) { server in
            let client = server.client
            try await Self.write(client, "g", "CREATE (:P {id: 1})")
            let window = try await Self.window(client, "g")
            let latest = try #require(window["latest_position"] as? Int)
            let earliest = try #require(window["earliest"] as? String)
            for (body, status, code) in [
                (["position": latest + 1, "target_graph_id": "x"] as [String: Any], 400, "recovery_unavailable"),
                (["position": 0, "target_graph_id": "x"], 422, "validation_error"),
                (["point_in_time": "yesterday", "target_graph_id": "x"], 422, "validation_error"),
                (["point_in_time": "2000-01-01T00:00:00Z", "target_graph_id": "x"], 400, "recovery_unavailable"),
                (["point_in_time": earliest, "position": 1, "target_graph_id": "x"], 422, "validation_error"),
                (["position": 1, "backup_id": "b", "target_graph_id": "x"], 422, "validation_error"),
                (["position": latest], 409, "database_exists"),
            ] {
                let answer = try await client.send(.post, "/databases/g/restore", object: body)
                #expect(answer.status.code == status, "\(body): \(String(buffer: answer.body))")
                #expect(answer.errorCode == code, "\(body): \(String(buffer: answer.body))")
            }
            #expect(try await client.send(.get, "/databases/nope/recovery-window").status == .notFound)
        }
    }
}

/// `kill -9` of a server while eight clients write: every write that was answered is in the
/// journal, and a restore to the journal's latest entry has it — and equals the live graph, also
/// when the kill fell between a commit and its entry (the restart journals that commit before
/// the graph is even opened).
@Suite(.serialized) struct JournalCrashTests {
    @Test func everyAcknowledgedWriteSurvivesAKillInTheJournal() async throws {
        let dir = LifecycleTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try ServerProcess(dataDirectory: dir)
        let ddl = #"{"graph_id":"w","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE W(id INT64 PRIMARY KEY, at TIMESTAMP)"}"#
        #expect(try await server.request("POST", "/databases", json: ddl).0 == 201)
        let acknowledged = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in 0..<8 {
                group.addTask {
                    var done: [Int] = []
                    for n in 0..<100_000 {
                        let id = client * 1_000_000 + n
                        guard let (status, _) = try? await server.request(
                            "POST", "/databases/w/query", json: #"{"cypher":"CREATE (:W {id: \#(id), at: current_timestamp()})"}"#)
                        else { break }
                        if status == 200 { done.append(id) } else { break }
                    }
                    return done
                }
            }
            try await Task.sleep(for: .seconds(2))
            _ = try server.stop(signal: SIGKILL)
            var all: [Int] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(acknowledged.count > 100, "the writes should run for a while before the kill")

        let restarted = try ServerProcess(dataDirectory: dir)
        defer { _ = try? restarted.stop(signal: SIGTERM) }
        let window = LifecycleTests.json(try await restarted.request("GET", "/databases/w/recovery-window").1)
        let latest = try #require(window["latest_position"] as? Int, "\(window)")
        let (status, body) = try await restarted.request(
            "POST", "/databases/w/restore", json: #"{"position": \#(latest), "target_graph_id": "restored"}"#)
        #expect(status == 202, "\(String(decoding: body, as: UTF8.self))")
        let taskID = try #require(LifecycleTests.json(body)["task_id"] as? String)
        let deadline = ContinuousClock.now + .seconds(120)
        var record: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            record = LifecycleTests.json(try await restarted.request("GET", "/tasks/\(taskID)/status").1)
            if ["completed", "failed"].contains(record["status"] as? String ?? "") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(record["status"] as? String == "completed", "\(record)")
        for graph in ["w", "restored"] {
            let answer = LifecycleTests.json(
                try await restarted.request("POST", "/databases/\(graph)/query", json: #"{"cypher":"MATCH (x:W) RETURN x.id AS id"}"#).1)
            let ids = Set((answer["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int })
            let missing = Set(acknowledged).subtracting(ids)
            #expect(missing.isEmpty, "\(graph): \(missing.count) of \(acknowledged.count) acknowledged writes missing")
        }
        let live = try await restarted.request("POST", "/databases/w/query", json: #"{"cypher":"MATCH (x:W) RETURN x.id, x.at ORDER BY x.id"}"#).1
        let copy = try await restarted.request("POST", "/databases/restored/query", json: #"{"cypher":"MATCH (x:W) RETURN x.id, x.at ORDER BY x.id"}"#).1
        let liveRows = LifecycleTests.json(live)["data"] as? [[String: AnyHashable]] ?? []
        let copyRows = LifecycleTests.json(copy)["data"] as? [[String: AnyHashable]] ?? []
        #expect(liveRows.count == copyRows.count)
        let differing = zip(liveRows, copyRows).filter { $0 != $1 }
        #expect(differing.isEmpty, "\(differing.count) rows differ, e.g. \(differing.prefix(3))")
    }
}
