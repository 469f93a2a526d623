// Replica lag under a steady write load, through the servers (release build):
//
// a `shared_master` (journal shipped every `--ship-seconds`, default 5) and a `shared_replica`
// following its backup folder, as separate processes. Writers send single-row `CREATE`s to the
// master at a steady `--rate` (500/s) for `--seconds` (60), each paced to its own slot; a poller
// counts the replica's rows every 20 ms. The n-th write acknowledged is visible on the replica
// once its count reaches n (the master commits them in that order, holding the write gate), so
// its lag is the time from its acknowledgement to that poll. The goal (issue 13): p99 below the
// ship interval + 1 s.
//
// `--preload-rows N` first writes N rows of 100-byte strings into another table of the same
// graph, so that the graph is large and each applied batch would have to copy it; the replica
// process's disk writes (`/proc/<pid>/io`, `write_bytes`) during the steady load are reported.
import BenchmarkSupport
import Foundation
import Synchronization

struct Options {
    let seconds: Int
    let rate: Int
    let shipSeconds: Int
    let server: String
    let preloadRows: Int

    init(arguments: [String]) {
        let flags = Flags(arguments, known: ["--seconds", "--rate", "--ship-seconds", "--server", "--preload-rows"])
        preloadRows = flags.int("--preload-rows", 0)
        seconds = flags.int("--seconds", 60)
        rate = flags.int("--rate", 500)
        shipSeconds = flags.int("--ship-seconds", 5)
        server = flags.string("--server", defaultServerPath)
    }
}

func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
let options = Options(arguments: CommandLine.arguments)
let root = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-replica-bench-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: root + "/master", withIntermediateDirectories: true)
try FileManager.default.createDirectory(atPath: root + "/replica", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

let master = try ServerProcess(
    executable: options.server, root: root + "/master",
    arguments: ["--node-type", "shared_master", "--journal-ship-seconds", String(options.shipSeconds)]
)
try await master.createGraph("w", ddl: "CREATE NODE TABLE W(id INT64 PRIMARY KEY, v INT64); CREATE NODE TABLE Big(id INT64 PRIMARY KEY, payload STRING)")
var preloaded = 0
while preloaded < options.preloadRows {
    let chunk = min(200_000, options.preloadRows - preloaded)
    let (status, body) = try await master.request(
        "POST", "/databases/w/query",
        ["cypher": "UNWIND range(\(preloaded), \(preloaded + chunk - 1)) AS i CREATE (:Big {id: i, payload: lpad(string(i), 100, 'x')})", "timeout": 300]
    )
    guard status == 200 else { fatalError("preload: \(status) \(body)") }
    preloaded += chunk
}
if preloaded > 0 {
    let size = (try? FileManager.default.attributesOfItem(atPath: root + "/master/data/databases/w/graph.lbug")[.size] as? Int) ?? 0
    say("preloaded \(preloaded) rows; the graph's file is \(size >> 20) MiB")
}
_ = try await master.request("POST", "/databases/w/query", ["cypher": "CREATE (:W {id: 0, v: 0})"])
let replica = try ServerProcess(
    executable: options.server, root: root + "/replica",
    arguments: ["--node-type", "shared_replica", "--replica-of", root + "/master/data/backups"]
)
defer {
    replica.stop()
    master.stop()
}

/// The replica's row count, or `nil` while it does not serve the graph yet.
func replicaCount() async throws -> Int? {
    let (status, body) = try await replica.request("POST", "/databases/w/query", ["cypher": "MATCH (w:W) RETURN count(w)"])
    guard status == 200, let row = (body["data"] as? [[String: Any]])?.first else { return nil }
    return row.values.first as? Int
}

let bootstrapStart = ContinuousClock.now
while try await replicaCount() != 1 {
    guard seconds(since: bootstrapStart) < 60 else { fatalError("the replica did not restore the first base within 60 s") }
    try await Task.sleep(for: .milliseconds(50))
}
say("replica serving after \(String(format: "%.1f", seconds(since: bootstrapStart))) s")

/// Bytes the replica process has written to disk so far.
func replicaWrittenBytes() -> Int {
    let text = (try? String(contentsOfFile: "/proc/\(replica.process.processIdentifier)/io", encoding: .utf8)) ?? ""
    let line = text.split(separator: "\n").first { $0.hasPrefix("write_bytes:") }
    return line.flatMap { Int($0.dropFirst("write_bytes:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
}
let writtenBefore = replicaWrittenBytes()

let total = options.rate * options.seconds
let acknowledged = Mutex<[Double]>([])  // seconds since start, in the order the answers came
let visible = Mutex<[(time: Double, count: Int)]>([])
let start = ContinuousClock.now
let writers = 8
try await withThrowingTaskGroup(of: Void.self) { group in
    for writer in 0..<writers {
        group.addTask {
            var n = writer
            while n < total {
                let slot = start + .microseconds(Int64(n) * 1_000_000 / Int64(options.rate))
                if slot > .now { try await Task.sleep(until: slot) }
                let (status, body) = try await master.request("POST", "/databases/w/query", ["cypher": "CREATE (:W {id: \(n + 1), v: \(n)})"])
                guard status == 200 else { fatalError("write \(n): \(status) \(body)") }
                let at = seconds(since: start)
                acknowledged.withLock { $0.append(at) }
                n += writers
            }
        }
    }
    group.addTask {
        let end = start + .seconds(options.seconds) + .seconds(options.shipSeconds * 4 + 10)
        while ContinuousClock.now < end {
            if let count = try await replicaCount() {
                let at = seconds(since: start)
                visible.withLock { $0.append((at, count - 1)) }
                if count - 1 >= total { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
    try await group.waitForAll()
}
let acks = acknowledged.withLock { $0 }
let polls = visible.withLock { $0 }
let elapsed = acks.last ?? 0
var lags: [Double] = []
var poll = 0
for (rank, ack) in acks.enumerated() {
    while poll < polls.count, polls[poll].count < rank + 1 { poll += 1 }
    guard poll < polls.count else { break }
    lags.append(max(0, polls[poll].time - ack))
}
guard lags.count == acks.count else { fatalError("only \(lags.count) of \(acks.count) writes became visible on the replica") }
let sorted = lags.sorted()
func percentile(_ p: Double, of values: [Double]) -> Double { values[min(values.count - 1, Int(Double(values.count) * p))] }
say("the replica wrote \((replicaWrittenBytes() - writtenBefore) >> 20) MiB to disk during the load")
say(
    "\(acks.count) writes in \(String(format: "%.1f", elapsed)) s (\(String(format: "%.0f", Double(acks.count) / elapsed))/s); "
        + "replica lag p50 \(String(format: "%.2f", percentile(0.5, of: sorted))) s, p99 \(String(format: "%.2f", percentile(0.99, of: sorted))) s, "
        + "max \(String(format: "%.2f", sorted.last!)) s (goal: p99 < \(options.shipSeconds + 1) s)"
)
