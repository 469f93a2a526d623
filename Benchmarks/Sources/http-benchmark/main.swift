// The query path through the server vs calling the engine directly, in one run:
//
// - `RETURN 1`: `POST /databases/{id}/query` under wrk (16 connections, in its own process) vs a C
//   loop over the LadybugDB C API on 2 threads (each its own connection, sending the text each
//   time, as a client does; the same loop executing a prepared statement is printed too);
// - an NDJSON stream of `MATCH (r:R) RETURN r.id, r.name, r.score` over 1M rows read by curl vs
//   the C loop reading every value of the same query through flat tuples, with the server's
//   resident memory before and after;
// - `GET /health` at 32 connections, alone and while a 30-second query runs on another tenant.
//
// Repetitions alternate engine-direct and server runs so machine noise hits both alike.
import BenchmarkSupport
import EngineBaseline
import Foundation

struct Options {
    let rows: Int
    let repetitions: Int
    let seconds: Int
    let server: String

    init(arguments: [String]) {
        let flags = Flags(arguments, known: ["--rows", "--repetitions", "--seconds", "--server"])
        rows = flags.int("--rows", 1_000_000)
        repetitions = flags.int("--repetitions", 3)
        seconds = flags.int("--seconds", 8)
        server = flags.string("--server", defaultServerPath)
    }
}

let options = Options(arguments: CommandLine.arguments)
let root = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-http-bench-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

let table = "CREATE NODE TABLE R(id INT64 PRIMARY KEY, name STRING, score DOUBLE)"
let fill = "UNWIND range(1, \(options.rows)) AS i CREATE (:R {id: i, name: 'name-' + string(i), score: i * 0.5})"
let scan = "MATCH (r:R) RETURN r.id, r.name, r.score"
let bufferPool: UInt64 = 512 << 20

// MARK: Engine-direct database (same rows)
print("filling the engine-direct database and the server's graph with \(options.rows) rows …")
let directPath = root + "/direct.lbug"
do {
    guard let connection = baseline_open(directPath, bufferPool, 1 << 33, 2, 0) else { fatalError("cannot open \(directPath)") }
    guard baseline_execute(connection, table) == 1, baseline_execute(connection, fill) == 1 else { fatalError("cannot fill \(directPath)") }
    baseline_close(connection)
}

// MARK: Server
let server = try ServerProcess(executable: options.server, root: root, arguments: ["--memory-per-database-mb", "512"])
try await server.createGraph("bench", ddl: table)
let (filled, fillBody) = try await server.request("POST", "/databases/bench/query", ["cypher": fill, "timeout": 600])
guard filled == 200 else { fatalError("fill: \(filled) \(fillBody)") }
guard try await server.count("bench", "MATCH (r:R) RETURN count(r)") == options.rows else { fatalError("the graph lacks rows") }
try await server.createGraph("slow", ddl: "CREATE NODE TABLE P(id INT64 PRIMARY KEY, age INT64)")
let (slowFilled, slowBody) = try await server.request("POST", "/databases/slow/query", ["cypher": "UNWIND range(1, 3000) AS i CREATE (:P {id: i, age: i})"])
guard slowFilled == 200 else { fatalError("fill slow: \(slowFilled) \(slowBody)") }

/// An NDJSON stream of the scan read by curl: seconds and bytes.
func stream() throws -> (seconds: Double, bytes: Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download} %{http_code}", "-X", "POST",
        "http://127.0.0.1:\(server.port)/databases/bench/query", "-H", "Content-Type: application/json",
        "-H", "Accept: application/x-ndjson", "-d", #"{"cypher": "\#(scan)", "timeout": 600}"#,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ")
    process.waitUntilExit()
    guard output.count == 3, output[2] == "200", let time = Double(output[0]), let bytes = Int(output[1]) else {
        fatalError("stream failed: \(output)")
    }
    return (time, bytes)
}

let queryURL = "http://127.0.0.1:\(server.port)/databases/bench/query"
let healthURL = "http://127.0.0.1:\(server.port)/health"
var directReturnOne: [Double] = [], directPrepared: [Double] = [], serverReturnOne: [Double] = []
var directScan: [Double] = [], serverScan: [Double] = []
var streamBytes = 0
/// The server's resident memory before and after each stream.
var rss: [(before: Int, after: Int)] = []
for repetition in 0..<options.repetitions {
    print("repetition \(repetition + 1) of \(options.repetitions) …")
    let returnOnePath = root + "/return-one-\(repetition).lbug"
    let direct = baseline_return_one_parallel(returnOnePath, bufferPool, 2, 2, Double(options.seconds), 0)
    guard direct.ok == 1 else { fatalError("engine-direct RETURN 1 failed") }
    directReturnOne.append(Double(direct.rows) / direct.seconds)
    let prepared = baseline_return_one_parallel(returnOnePath, bufferPool, 2, 2, Double(options.seconds), 1)
    guard prepared.ok == 1 else { fatalError("engine-direct prepared RETURN 1 failed") }
    directPrepared.append(Double(prepared.rows) / prepared.seconds)
    let figures = try wrk(
        url: queryURL, connections: 16, threads: 2, seconds: options.seconds, body: #"{"cypher":"RETURN 1"}"#, scriptDirectory: root
    )
    guard figures["errors"] == nil, let rate = figures["req/s"].flatMap(Double.init) else { fatalError("wrk: \(figures)") }
    serverReturnOne.append(rate)

    guard let connection = baseline_open(directPath, bufferPool, 1 << 33, 2, 1) else { fatalError("cannot open \(directPath)") }
    let scanned = baseline_scan_flat(connection)
    baseline_close(connection)
    guard scanned.ok == 1, scanned.rows == UInt64(options.rows) else { fatalError("engine-direct scan failed") }
    directScan.append(Double(scanned.rows) / scanned.seconds)
    let before = server.residentBytes
    let streamed = try stream()
    rss.append((before, server.residentBytes))
    streamBytes = streamed.bytes
    serverScan.append(Double(options.rows) / streamed.seconds)
}

print("GET /health …")
let health = try wrk(url: healthURL, connections: 32, threads: 2, seconds: options.seconds, scriptDirectory: root)
// A query that runs until its 30-second timeout on another tenant, then /health under load.
let long = Task.detached {
    try await server.request(
        "POST", "/databases/slow/query",
        ["cypher": "MATCH (a:P), (b:P), (c:P) WHERE a.age + b.age + c.age = -1 RETURN count(*)", "timeout": 30]
    ).0
}
try await Task.sleep(for: .seconds(1))
let busyHealth = try wrk(url: healthURL, connections: 32, threads: 2, seconds: min(20, max(options.seconds, 10)), scriptDirectory: root)
let longStatus = try await long.value
server.stop()

func number(_ value: Double) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.maximumFractionDigits = 0
    return formatter.string(from: NSNumber(value: value)) ?? String(value)
}
func ratio(_ value: Double) -> String { String(format: "%.2f", value) }
func mebibytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

print("")
print("\(options.repetitions) repetitions (median), \(options.seconds) s per wrk run, \(options.rows) rows")
print("")
print("| benchmark | engine-direct (C API) | through the server | server / engine |")
print("|---|---|---|---|")
print(
    "| `RETURN 1` (queries/s; C: 2 threads sending the text; server: wrk -t2 -c16) | \(number(median(directReturnOne))) | \(number(median(serverReturnOne))) | \(ratio(median(serverReturnOne) / median(directReturnOne))) |"
)
print(
    "| `RETURN 1`, C executing a prepared statement on 2 threads | \(number(median(directPrepared))) | \(number(median(serverReturnOne))) | \(ratio(median(serverReturnOne) / median(directPrepared))) |"
)
print(
    "| \(options.rows) rows × 3 columns (rows/s; C: flat tuples; server: NDJSON read by curl, \(mebibytes(streamBytes))) | \(number(median(directScan))) | \(number(median(serverScan))) | \(ratio(median(serverScan) / median(directScan))) |"
)
print("")
print(
    "server RSS growth during each stream: " + rss.map { mebibytes($0.after - $0.before) }.joined(separator: ", ")
        + " (\(mebibytes(rss[0].before)) before the first, \(mebibytes(rss[rss.count - 1].after)) after the last)"
)
print("GET /health, wrk -t2 -c32: \(health["req/s"] ?? "?") req/s, p50 \(health["50%"] ?? "?") p99 \(health["99%"] ?? "?")\(health["errors"].map { ", " + $0 } ?? "")")
print(
    "GET /health while a 30-second query runs on another tenant (it ended with \(longStatus)): \(busyHealth["req/s"] ?? "?") req/s, p50 \(busyHealth["50%"] ?? "?") p90 \(busyHealth["90%"] ?? "?") p99 \(busyHealth["99%"] ?? "?")\(busyHealth["errors"].map { ", " + $0 } ?? "")"
)
