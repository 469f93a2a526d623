// The write journal's cost and its restores, through the server (release build), in one run:
//
// - write throughput: auto-commit single-row `CREATE`s from 8 clients (wrk -t2 -c8) with
//   `--journal on` and `--journal off`, alternating runs of one fresh server each (off, on, then
//   on, off, …), so machine noise and the order hit both alike; req/s and latency percentiles, the
//   range of each, the ratio of the medians on ÷ off and the median of each repetition's ratio;
// - restore time: a graph of `--rows` rows loaded by COPY (the journal's base) and backed up right
//   after, then N single-row writes; a point-in-time restore to the last of them (base + N journal
//   entries replayed) next to the plain restore of the backup, each into a new graph, for each N
//   of `--entries`.
import BenchmarkSupport
import Foundation

struct Options {
    let seconds: Int
    let repetitions: Int
    let rows: Int
    let entries: [Int]
    let server: String

    init(arguments: [String]) {
        let flags = Flags(arguments, known: ["--seconds", "--repetitions", "--rows", "--entries", "--server"])
        seconds = flags.int("--seconds", 10)
        repetitions = flags.int("--repetitions", 3)
        rows = flags.int("--rows", 100_000)
        entries = flags.string("--entries", "10000,100000").split(separator: ",").compactMap { Int($0) }
        server = flags.string("--server", defaultServerPath)
    }
}

/// A line on standard output, unbuffered (the figures show as they are measured).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
let options = Options(arguments: CommandLine.arguments)
let root = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-journal-bench-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

func number(_ value: Double) -> String { String(format: "%.0f", value) }

// MARK: Write throughput, journal on and off

let createBody = #"{"cypher":"CREATE (:W {v: 1})"}"#
var rates: [String: [Double]] = ["on": [], "off": []]
var latencies: [String: [String]] = ["on": [], "off": []]
var pairRatios: [Double] = []
for repetition in 1...options.repetitions {
    for mode in repetition % 2 == 1 ? ["off", "on"] : ["on", "off"] {
        let folder = root + "/writes-\(mode)-\(repetition)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server = try ServerProcess(executable: options.server, root: folder, arguments: ["--journal", mode])
        try await server.createGraph("w", ddl: "CREATE NODE TABLE W(id SERIAL PRIMARY KEY, v INT64)")
        let figures = try wrk(
            url: "http://127.0.0.1:\(server.port)/databases/w/query", connections: 8, threads: 2, seconds: options.seconds, body: createBody,
            scriptDirectory: folder
        )
        let count = try await server.count("w", "MATCH (w:W) RETURN count(w)")
        server.stop()
        try? FileManager.default.removeItem(atPath: folder)
        guard figures["errors"] == nil, let rate = figures["req/s"].flatMap(Double.init) else { fatalError("wrk (\(mode)): \(figures)") }
        rates[mode, default: []].append(rate)
        latencies[mode, default: []].append("p50 \(figures["50%"] ?? "?") p99 \(figures["99%"] ?? "?")")
        say("journal \(mode), run \(repetition): \(number(rate)) writes/s (\(latencies[mode]!.last!)), \(count) rows")
    }
    pairRatios.append(rates["on"]!.last! / rates["off"]!.last!)
}

// MARK: Restore times

/// Starts a task and waits for it; returns its record.
func finished(_ server: ServerProcess, _ path: String, _ body: [String: Any]) async throws -> [String: Any] {
    let (status, accepted) = try await server.request("POST", path, body)
    guard status == 202, let id = accepted["task_id"] as? String else { fatalError("\(path): \(status) \(accepted)") }
    while true {
        let (_, record) = try await server.request("GET", "/tasks/\(id)/status")
        if let state = record["status"] as? String, ["completed", "failed", "cancelled"].contains(state) {
            guard state == "completed" else { fatalError("\(path): \(record)") }
            return record
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

var restoreRows: [String] = []
for entries in options.entries {
    let folder = root + "/restore-\(entries)"
    try FileManager.default.createDirectory(atPath: folder + "/data/import", withIntermediateDirectories: true)
    let server = try ServerProcess(executable: options.server, root: folder, arguments: ["--journal", "on", "--max-databases", "100"])
    try await server.createGraph("g", ddl: "CREATE NODE TABLE W(id INT64 PRIMARY KEY, v INT64, s STRING)")
    let csv = "id,v,s\n" + (1...options.rows).map { "\($0),\($0 % 97),row \($0)" }.joined(separator: "\n")
    try csv.write(toFile: folder + "/data/import/rows.csv", atomically: true, encoding: .utf8)
    _ = try await finished(server, "/databases/g/copy", ["table_name": "W", "source": "rows.csv"])
    let backup = try await finished(server, "/databases/g/backup", ["compression": "zstd"])
    guard let backupID = (backup["result"] as? [String: Any])?["backup_id"] as? String else { fatalError("backup: \(backup)") }
    // N single-row writes from 8 clients.
    let writeStart = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for client in 0..<8 {
            group.addTask {
                var n = client
                while n < entries {
                    let (status, body) = try await server.request(
                        "POST", "/databases/g/query", ["cypher": "CREATE (:W {id: $id, v: 1, s: 'journaled'})", "parameters": ["id": options.rows + 1 + n]])
                    guard status == 200 else { fatalError("write: \(status) \(body)") }
                    n += 8
                }
            }
        }
        try await group.waitForAll()
    }
    let writeSeconds = seconds(since: writeStart)
    let (_, window) = try await server.request("GET", "/databases/g/recovery-window")
    guard let latest = window["latest_position"] as? Int else { fatalError("window: \(window)") }
    var plain: [Double] = []
    var pointInTime: [Double] = []
    for repetition in 1...options.repetitions {
        let fromBackup = try await finished(server, "/databases/g/restore", ["backup_id": backupID, "target_graph_id": "plain\(repetition)"])
        plain.append((fromBackup["result"] as? [String: Any])?["execution_time_ms"] as? Double ?? .nan)
        let replayed = try await finished(server, "/databases/g/restore", ["position": latest, "target_graph_id": "pit\(repetition)"])
        pointInTime.append((replayed["result"] as? [String: Any])?["execution_time_ms"] as? Double ?? .nan)
        let expected = try await server.count("g", "MATCH (w:W) RETURN count(w)")
        let restored = try await server.count("pit\(repetition)", "MATCH (w:W) RETURN count(w)")
        guard restored == expected, expected == options.rows + entries else { fatalError("restored \(restored) rows, the graph has \(expected)") }
        _ = try await server.request("DELETE", "/databases/plain\(repetition)")
        _ = try await server.request("DELETE", "/databases/pit\(repetition)")
    }
    server.stop()
    try? FileManager.default.removeItem(atPath: folder)
    say("\(entries) entries written in \(String(format: "%.1f", writeSeconds)) s; restore ms plain \(plain), point in time \(pointInTime)")
    restoreRows.append(
        "| \(options.rows) rows + \(entries) journal entries | \(number(median(plain))) ms | \(number(median(pointInTime))) ms | \(String(format: "%.2f", median(pointInTime) / median(plain))) |"
    )
}

say("")
say("\(options.repetitions) runs each (median), \(options.seconds) s per wrk run")
func range(_ values: [Double]) -> String { "\(number(values.min()!))–\(number(values.max()!))" }
say("writes/s: off \(range(rates["off"]!)), on \(range(rates["on"]!)); on ÷ off per repetition "
    + pairRatios.map { String(format: "%.2f", $0) }.joined(separator: ", ") + String(format: " (median %.2f)", median(pairRatios)))
say("")
say("| Writes/s, 8 clients, single-row CREATE | journal off | journal on | on ÷ off |")
say("|---|---|---|---|")
say(
    "| wrk -t2 -c8 | \(number(median(rates["off"]!))) (\(latencies["off"]!.joined(separator: "; "))) | \(number(median(rates["on"]!))) (\(latencies["on"]!.joined(separator: "; "))) | \(String(format: "%.2f", median(rates["on"]!) / median(rates["off"]!))) |"
)
say("")
say("| Restore | plain (backup) | point in time (base + journal) | ratio |")
say("|---|---|---|---|")
for row in restoreRows { say(row) }
