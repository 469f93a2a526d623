// Ingest through the server vs the engine's own COPY of the same Parquet files, in one run:
//
// - engine-direct: a fresh database opened through the LadybugDB C API (same buffer pool and
//   thread count as the server's databases), `COPY Person FROM nodes.parquet`, then
//   `COPY KNOWS FROM rels.parquet`;
// - `POST /databases/{id}/copy` of the same two files on a `graph-api serve` process (release
//   build), timed from the first request until the second task reports `completed`;
// - staging → graph: `POST /databases/{id}/tables` for both files, then
//   `POST /databases/{id}/tables/{t}/ingest` (validation + Parquet + engine COPY), timed apart;
// - the latency of point lookups on another tenant (wrk, in its own process) without and during
//   an ingest through the API.
//
// Repetitions alternate engine-direct and API runs so machine noise hits both alike.
import BenchmarkSupport
import EngineBaseline
import Foundation
import Staging

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Options {
    let nodes: Int
    let relationships: Int
    let repetitions: Int
    let memoryMB: Int
    let threads: Int
    let server: String

    init(arguments: [String]) {
        let flags = Flags(arguments, known: ["--nodes", "--relationships", "--repetitions", "--memory-mb", "--threads", "--server"])
        nodes = flags.int("--nodes", 1_000_000)
        relationships = flags.int("--relationships", 2_000_000)
        repetitions = flags.int("--repetitions", 3)
        memoryMB = flags.int("--memory-mb", 2_048)
        threads = flags.int("--threads", 2)
        server = flags.string("--server", defaultServerPath)
    }
}

let options = Options(arguments: CommandLine.arguments)
let root = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-ingest-bench-\(UUID().uuidString)").path
let importDirectory = root + "/import"
try FileManager.default.createDirectory(atPath: importDirectory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

// MARK: Data

let nodesFile = importDirectory + "/nodes.parquet"
let relationshipsFile = importDirectory + "/rels.parquet"
print("writing \(options.nodes) nodes and \(options.relationships) relationships as Parquet …")
do {
    let duckdb = try StagingDatabase.inMemory(configuration: StagingConfiguration(memoryLimit: .mebibytes(2_048), threads: 2))
    let connection = try duckdb.connect()
    let n = options.nodes
    try connection.execute(
        "COPY (SELECT 'p' || range AS identifier, 'name ' || range AS name, range % 100 AS age, (range * 0.5)::DOUBLE AS score FROM range(\(n))) TO '\(nodesFile)' (FORMAT parquet)"
    )
    // Distinct (from, to) pairs: row i links i % n to a scattered node that differs for each i / n.
    try connection.execute(
        "COPY (SELECT 'p' || (range % \(n)) AS \"from\", 'p' || (((range % \(n)) * 7919 + 1 + (range // \(n)) * 104729) % \(n)) AS \"to\", range AS since FROM range(\(options.relationships))) TO '\(relationshipsFile)' (FORMAT parquet)"
    )
    connection.close()
    duckdb.close()
}
let ddl = """
    CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, name STRING, age INT64, score DOUBLE);
    CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64)
    """

// MARK: Engine-direct

/// COPY of both files into a fresh database through the C API; seconds for nodes and relationships.
func engineDirect(_ index: Int) -> (nodes: Double, relationships: Double) {
    let path = root + "/direct-\(index).lbug"
    guard let connection = baseline_open(path, UInt64(options.memoryMB) << 20, 1 << 36, UInt64(options.threads), 0) else {
        fatalError("cannot open \(path)")
    }
    for statement in ddl.split(separator: ";") where baseline_execute(connection, String(statement)) != 1 {
        fatalError("DDL failed: \(statement)")
    }
    var start = ContinuousClock.now
    guard baseline_execute(connection, "COPY Person FROM '\(nodesFile)'") == 1 else { fatalError("engine COPY Person failed") }
    let nodes = seconds(since: start)
    start = ContinuousClock.now
    guard baseline_execute(connection, "COPY KNOWS FROM '\(relationshipsFile)'") == 1 else { fatalError("engine COPY KNOWS failed") }
    let relationships = seconds(since: start)
    baseline_close(connection)
    for suffix in ["", ".wal", ".shadow"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    return (nodes, relationships)
}

// MARK: Server
/// The server process with what this benchmark does through it.
extension ServerProcess {
    func createGraph(_ id: String) async throws {
        try await createGraph(id, ddl: ddl)
    }

    /// `POST /copy`, then polls the task every 10 ms until it completes.
    func copy(_ graph: String, _ table: String, _ source: String) async throws {
        let (status, body) = try await request("POST", "/databases/\(graph)/copy", ["table_name": table, "source": source])
        guard status == 202, let task = body["task_id"] as? String else { fatalError("copy: \(status) \(body)") }
        while true {
            let (_, record) = try await request("GET", "/tasks/\(task)/status")
            switch record["status"] as? String {
            case "completed": return
            case "failed", "cancelled": fatalError("copy task ended: \(record)")
            default: try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}

/// Both files through `POST /copy` into a fresh graph; seconds for nodes and relationships.
func apiCopy(_ server: ServerProcess, graph: String) async throws -> (nodes: Double, relationships: Double) {
    try await server.createGraph(graph)
    var start = ContinuousClock.now
    try await server.copy(graph, "Person", "nodes.parquet")
    let nodes = seconds(since: start)
    start = ContinuousClock.now
    try await server.copy(graph, "KNOWS", "rels.parquet")
    let relationships = seconds(since: start)
    let persons = try await server.count(graph, "MATCH (p:Person) RETURN count(p)")
    let knows = try await server.count(graph, "MATCH ()-[k:KNOWS]->() RETURN count(k)")
    guard persons == options.nodes, knows == options.relationships else { fatalError("\(graph) has \(persons) nodes, \(knows) edges") }
    return (nodes, relationships)
}

/// Stages both files, then ingests them; seconds for staging and for ingesting each.
func apiStageAndIngest(_ server: ServerProcess, graph: String) async throws -> (staging: Double, nodes: Double, relationships: Double) {
    try await server.createGraph(graph)
    let start = ContinuousClock.now
    for (table, source) in [("Person", "nodes.parquet"), ("KNOWS", "rels.parquet")] {
        let (status, body) = try await server.request("POST", "/databases/\(graph)/tables", ["table_name": table, "source": source])
        guard status == 201 else { fatalError("stage \(table): \(status) \(body)") }
    }
    let staging = seconds(since: start)
    // The staging file's writes reach the disk before the ingest is timed, as the engine-direct
    // COPY has no such writes in flight.
    sync()
    var times: [Double] = []
    for table in ["Person", "KNOWS"] {
        let begin = ContinuousClock.now
        let (status, body) = try await server.request("POST", "/databases/\(graph)/tables/\(table)/ingest", [:])
        guard status == 200 else { fatalError("ingest \(table): \(status) \(body)") }
        times.append(seconds(since: begin))
    }
    let knows = try await server.count(graph, "MATCH ()-[k:KNOWS]->() RETURN count(k)")
    guard knows == options.relationships else { fatalError("\(graph) has \(knows) edges") }
    return (staging, times[0], times[1])
}

// MARK: Query latency on another tenant (wrk)

/// Runs wrk (one thread, 4 connections) against point lookups on `graph` for `duration` seconds.
func wrk(port: Int, graph: String, duration: Int) throws -> [String: String] {
    try wrk(
        url: "http://127.0.0.1:\(port)/databases/\(graph)/query", connections: 4, threads: 1, seconds: duration,
        body: #"{"cypher":"MATCH (p:Person) WHERE p.identifier = $id RETURN p.name","parameters":{"id":"p12345"}}"#, scriptDirectory: root
    )
}

// MARK: Run

let server = try ServerProcess(
    executable: options.server, root: root,
    arguments: [
        "--import-dir", importDirectory, "--memory-per-database-mb", String(options.memoryMB), "--threads-per-query", String(options.threads),
        "--staging-memory-mb", "2048",
    ]
)
var directNodes: [Double] = [], directRelationships: [Double] = []
var apiNodes: [Double] = [], apiRelationships: [Double] = []
var staging: [Double] = [], ingestNodes: [Double] = [], ingestRelationships: [Double] = []
for repetition in 0..<options.repetitions {
    print("repetition \(repetition + 1) of \(options.repetitions) …")
    let direct = engineDirect(repetition)
    directNodes.append(direct.nodes)
    directRelationships.append(direct.relationships)
    let api = try await apiCopy(server, graph: "copy\(repetition)")
    apiNodes.append(api.nodes)
    apiRelationships.append(api.relationships)
    let staged = try await apiStageAndIngest(server, graph: "staged\(repetition)")
    staging.append(staged.staging)
    ingestNodes.append(staged.nodes)
    ingestRelationships.append(staged.relationships)
    for graph in ["copy\(repetition)", "staged\(repetition)"] { _ = try await server.request("DELETE", "/databases/\(graph)") }
}

// Another tenant's point lookups: alone, then while an ingest through the API runs.
print("query latency on another tenant …")
try await server.createGraph("other")
try await server.copy("other", "Person", "nodes.parquet")
let duration = max(3, Int((median(apiNodes) + median(apiRelationships)).rounded(.up)))
let quiet = try wrk(port: server.port, graph: "other", duration: duration)
let loadedLatency = Task.detached { try wrk(port: server.port, graph: "other", duration: duration) }
let busyStart = ContinuousClock.now
let underLoad = try await apiCopy(server, graph: "busy")
let busyIngest = seconds(since: busyStart)
let loaded = try await loadedLatency.value
server.stop()

func format(_ value: Double) -> String { String(format: "%.2f", value) }
let directTotal = median(zip(directNodes, directRelationships).map(+))
let apiTotal = median(zip(apiNodes, apiRelationships).map(+))
let ingestTotal = median(zip(ingestNodes, ingestRelationships).map(+))
print("")
print("\(options.nodes) nodes + \(options.relationships) relationships, \(options.repetitions) repetitions (median), buffer pool \(options.memoryMB) MiB, \(options.threads) threads")
print("")
print("| step | engine COPY (C API) s | through the server s | engine / server |")
print("|---|---|---|---|")
print("| nodes: `POST /copy` | \(format(median(directNodes))) | \(format(median(apiNodes))) | \(format(median(directNodes) / median(apiNodes))) |")
print("| relationships: `POST /copy` | \(format(median(directRelationships))) | \(format(median(apiRelationships))) | \(format(median(directRelationships) / median(apiRelationships))) |")
print("| both: `POST /copy` | \(format(directTotal)) | \(format(apiTotal)) | \(format(directTotal / apiTotal)) |")
print("| nodes: staged table → `/ingest` | \(format(median(directNodes))) | \(format(median(ingestNodes))) | \(format(median(directNodes) / median(ingestNodes))) |")
print("| relationships: staged table → `/ingest` | \(format(median(directRelationships))) | \(format(median(ingestRelationships))) | \(format(median(directRelationships) / median(ingestRelationships))) |")
print("| both: staged table → `/ingest` | \(format(directTotal)) | \(format(ingestTotal)) | \(format(directTotal / ingestTotal)) |")
print("| (staging both files: `POST /tables`) | – | \(format(median(staging))) | – |")
print("")
print("Point lookups on another tenant (wrk -t1 -c4, \(duration) s): alone p50 \(quiet["50%"] ?? "?") p90 \(quiet["90%"] ?? "?") p99 \(quiet["99%"] ?? "?") (\(quiet["req/s"] ?? "?") req/s)\(quiet["errors"].map { ", " + $0 } ?? "")")
print("during a `POST /copy` of both files (\(format(busyIngest)) s; nodes \(format(underLoad.nodes)) s, relationships \(format(underLoad.relationships)) s): p50 \(loaded["50%"] ?? "?") p90 \(loaded["90%"] ?? "?") p99 \(loaded["99%"] ?? "?") (\(loaded["req/s"] ?? "?") req/s)\(loaded["errors"].map { ", " + $0 } ?? "")")
