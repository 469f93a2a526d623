// Backup and restore through the server vs the same work done by standard tools on the same
// files, in one run:
//
// - backup: `POST /databases/{id}/backup` (zstd + AES-256-GCM, local folder), timed from the
//   request until its task reads `completed`, vs `tar -c <graph files> | zstd -1 -T0 > file`
//   (no encryption, no checkpoint, no verification) on the same graph files;
// - restore: `POST /databases/{id}/restore` into a new graph (checks every tag and the SHA-256,
//   extracts, opens the result and counts every table, adds the graph), timed until `completed`,
//   vs `zstd -d | tar -x`;
// - `write_pause_ms` (the manifest's: checkpoint + copy under the write gate) for the graph and
//   for one 4× larger, with the `CHECKPOINT` part alone;
// - the archive format alone, in this process (`BackupArchive`): compress + encrypt, and
//   check + decrypt + decompress, of the graph's data file;
// - point-read latency on the graph (wrk) alone and while backups run back to back.
//
// Repetitions alternate tools and server so machine noise hits both alike.
import BackupArchive
import BenchmarkSupport
import Foundation
import GraphJSON
import Staging

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    let nodes: Int
    let relationships: Int
    let repetitions: Int
    let memoryMB: Int
    let server: String
    let large: Bool

    init(arguments: [String]) {
        let flags = Flags(arguments, known: ["--nodes", "--relationships", "--repetitions", "--memory-mb", "--server", "--large"])
        nodes = flags.int("--nodes", 1_000_000)
        relationships = flags.int("--relationships", 2_000_000)
        repetitions = flags.int("--repetitions", 3)
        memoryMB = flags.int("--memory-mb", 2_048)
        server = flags.string("--server", defaultServerPath)
        large = flags.string("--large", "yes") == "yes"
    }
}

let options = Options(arguments: CommandLine.arguments)
let root = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-backup-bench-\(UUID().uuidString)").path
let importDirectory = root + "/import"
try FileManager.default.createDirectory(atPath: importDirectory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

// MARK: Data

func writeParquet(nodes: Int, relationships: Int, suffix: String) throws {
    let duckdb = try StagingDatabase.inMemory(configuration: StagingConfiguration(memoryLimit: .mebibytes(2_048), threads: 2))
    let connection = try duckdb.connect()
    try connection.execute(
        "COPY (SELECT 'p' || range AS identifier, 'name ' || range AS name, range % 100 AS age, (range * 0.5)::DOUBLE AS score FROM range(\(nodes))) TO '\(importDirectory)/nodes\(suffix).parquet' (FORMAT parquet)"
    )
    try connection.execute(
        "COPY (SELECT 'p' || (range % \(nodes)) AS \"from\", 'p' || (((range % \(nodes)) * 7919 + 1 + (range // \(nodes)) * 104729) % \(nodes)) AS \"to\", range AS since FROM range(\(relationships))) TO '\(importDirectory)/rels\(suffix).parquet' (FORMAT parquet)"
    )
    connection.close()
    duckdb.close()
}
print("writing \(options.nodes) nodes and \(options.relationships) relationships as Parquet …")
try writeParquet(nodes: options.nodes, relationships: options.relationships, suffix: "")
if options.large {
    print("writing the 4× graph's Parquet …")
    try writeParquet(nodes: options.nodes * 4, relationships: options.relationships * 4, suffix: "4")
}
let ddl = """
    CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, name STRING, age INT64, score DOUBLE);
    CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64)
    """

// MARK: Server

let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
let keyFile = root + "/keys.json"
try #"{"bench": "\#(key)"}"#.write(toFile: keyFile, atomically: true, encoding: .utf8)
let server = try ServerProcess(
    executable: options.server, root: root,
    arguments: ["--import-dir", importDirectory, "--memory-per-database-mb", String(options.memoryMB), "--backup-key-file", keyFile]
)
let graphFolder = root + "/data/databases"

extension ServerProcess {
    /// Starts a task with `body` at `path`; polls it every 5 ms until it completes; returns its
    /// record and the seconds from the request.
    func runTask(_ path: String, _ body: [String: Any]) async throws -> (record: [String: Any], seconds: Double) {
        let start = ContinuousClock.now
        let (status, answer) = try await request("POST", path, body)
        guard status == 202, let task = answer["task_id"] as? String else { fatalError("\(path): \(status) \(answer)") }
        while true {
            let (_, record) = try await request("GET", "/tasks/\(task)/status")
            switch record["status"] as? String {
            case "completed": return (record, seconds(since: start))
            case "failed", "cancelled": fatalError("task ended: \(record)")
            default: try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    func load(_ graph: String, suffix: String) async throws {
        try await createGraph(graph, ddl: ddl)
        for (table, file) in [("Person", "nodes\(suffix).parquet"), ("KNOWS", "rels\(suffix).parquet")] {
            _ = try await runTask("/databases/\(graph)/copy", ["table_name": table, "source": file])
        }
    }
}

func shell(_ command: String) -> Double {
    let start = ContinuousClock.now
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    do { try process.run() } catch { fatalError("\(command): \(error)") }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("\(command) exited \(process.terminationStatus)") }
    return seconds(since: start)
}

func fileSize(_ path: String) -> Int64 { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0 }

print("loading the graph through POST /copy …")
try await server.load("g", suffix: "")
// Settle the files: the first backup checkpoints; the tools then read the same data file.
_ = try await server.runTask("/databases/g/backup", ["compression": "none", "encryption": false])
let engineFiles = try FileManager.default.contentsOfDirectory(atPath: graphFolder + "/g").filter { $0.hasPrefix("graph.lbug") }.sorted()
let dataBytes = engineFiles.reduce(Int64(0)) { $0 + fileSize(graphFolder + "/g/" + $1) }

var toolBackup: [Double] = [], toolRestore: [Double] = [], apiBackup: [Double] = [], apiRestore: [Double] = []
var pauses: [Double] = [], checkpoints: [Double] = [], stored: [Int64] = [], toolStored: [Int64] = []
for repetition in 0..<options.repetitions {
    print("repetition \(repetition + 1) of \(options.repetitions) …")
    let tarball = root + "/tool-\(repetition).tar.zst"
    toolBackup.append(shell("tar -C '\(graphFolder)/g' -c \(engineFiles.joined(separator: " ")) | zstd -1 -T0 -q -o '\(tarball)'"))
    toolStored.append(fileSize(tarball))
    let out = root + "/tool-out-\(repetition)"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    toolRestore.append(shell("zstd -d -c -q '\(tarball)' | tar -x -C '\(out)'"))
    try? FileManager.default.removeItem(atPath: out)
    try? FileManager.default.removeItem(atPath: tarball)

    let backup = try await server.runTask("/databases/g/backup", [:])
    apiBackup.append(backup.seconds)
    let manifest = backup.record["result"] as? [String: Any] ?? [:]
    pauses.append(manifest["write_pause_ms"] as? Double ?? .nan)
    checkpoints.append(manifest["checkpoint_ms"] as? Double ?? .nan)
    stored.append(Int64(manifest["stored_bytes"] as? Int ?? 0))
    let backupID = manifest["backup_id"] as? String ?? ""
    let restore = try await server.runTask("/databases/g/restore", ["backup_id": backupID, "target_graph_id": "r\(repetition)"])
    apiRestore.append(restore.seconds)
    let restored = try await server.count("r\(repetition)", "MATCH ()-[k:KNOWS]->() RETURN count(k)")
    guard restored == options.relationships else { fatalError("the restored graph has \(restored) relationships") }
    _ = try await server.request("DELETE", "/databases/r\(repetition)")
    _ = try await server.request("DELETE", "/databases/g/backups/\(backupID)")
}

// MARK: The archive format alone

print("the archive format in this process …")
let snapshot = root + "/snapshot.lbug"
_ = shell("cp '\(graphFolder)/g/graph.lbug' '\(snapshot)'")
let keyRing = BackupKeyRing([try BackupKey(id: "bench", base64: key)])
var sealSeconds: [Double] = [], openSeconds: [Double] = []
for repetition in 0..<options.repetitions {
    let archive = root + "/format-\(repetition).gbak"
    var start = ContinuousClock.now
    _ = try ArchiveWriter.write(
        files: [ArchiveSource(name: "graph.lbug", path: snapshot)], manifest: [:], to: archive, compression: .zstd, key: keyRing.encryptionKey
    )
    sealSeconds.append(seconds(since: start))
    start = ContinuousClock.now
    _ = try ArchiveReader.extract(archive, to: nil, keys: keyRing)
    openSeconds.append(seconds(since: start))
    try? FileManager.default.removeItem(atPath: archive)
}
let snapshotBytes = fileSize(snapshot)

// MARK: Reads during backups

print("point reads alone and during backups …")
let lookup = #"{"cypher":"MATCH (p:Person) WHERE p.identifier = $id RETURN p.name","parameters":{"id":"p12345"}}"#
let window = max(3, Int((median(apiBackup) * 3).rounded(.up)))
let quiet = try wrk(url: "http://127.0.0.1:\(server.port)/databases/g/query", connections: 4, threads: 1, seconds: window, body: lookup, scriptDirectory: root)
let busy = Task.detached {
    try wrk(url: "http://127.0.0.1:\(server.port)/databases/g/query", connections: 4, threads: 1, seconds: window, body: lookup, scriptDirectory: root)
}
var during = 0
let windowStart = ContinuousClock.now
while seconds(since: windowStart) < Double(window) - 0.5 {
    let backup = try await server.runTask("/databases/g/backup", [:])
    during += 1
    if let id = (backup.record["result"] as? [String: Any])?["backup_id"] as? String { _ = try await server.request("DELETE", "/databases/g/backups/\(id)") }
}
let loaded = try await busy.value

// MARK: The 4× graph's write pause

var largePause: (pause: Double, checkpoint: Double, bytes: Int64)?
var largeMemory: (before: Int, peak: Int)?
if options.large {
    print("loading the 4× graph …")
    try await server.load("big", suffix: "4")
    _ = try await server.runTask("/databases/big/backup", ["compression": "none", "encryption": false])
    var runs: [(Double, Double, Int64)] = []
    let before = server.residentBytes
    let sampling = Task.detached {
        var peak = 0
        while !Task.isCancelled {
            peak = max(peak, server.residentBytes)
            try? await Task.sleep(for: .milliseconds(10))
        }
        return peak
    }
    for _ in 0..<options.repetitions {
        let manifest = try await server.runTask("/databases/big/backup", [:]).record["result"] as? [String: Any] ?? [:]
        runs.append((manifest["write_pause_ms"] as? Double ?? .nan, manifest["checkpoint_ms"] as? Double ?? .nan, Int64(manifest["size_bytes"] as? Int ?? 0)))
    }
    sampling.cancel()
    largePause = (median(runs.map(\.0)), median(runs.map(\.1)), runs[0].2)
    largeMemory = (before, await sampling.value)
}
server.stop()

// MARK: Report

func format(_ value: Double) -> String { String(format: "%.2f", value) }
func mb(_ bytes: Int64) -> String { String(format: "%.0f MB", Double(bytes) / 1e6) }
func rate(_ bytes: Int64, _ seconds: Double) -> String { String(format: "%.0f MB/s", Double(bytes) / 1e6 / seconds) }
print("")
print("\(options.nodes) nodes + \(options.relationships) relationships: engine files \(mb(dataBytes)) (\(engineFiles.joined(separator: ", "))), \(options.repetitions) repetitions (median)")
print("")
print("| step | tools s | server s | tools / server | server throughput |")
print("|---|---|---|---|---|")
print("| backup: `tar \\| zstd -1 -T0` vs `POST /backup` (zstd, AES-256-GCM, checked) | \(format(median(toolBackup))) | \(format(median(apiBackup))) | \(format(median(toolBackup) / median(apiBackup))) | \(rate(dataBytes, median(apiBackup))) |")
print("| restore: `zstd -d \\| tar -x` vs `POST /restore` (checked, opened, counted) | \(format(median(toolRestore))) | \(format(median(apiRestore))) | \(format(median(toolRestore) / median(apiRestore))) | \(rate(dataBytes, median(apiRestore))) |")
print("")
print("Archive: \(mb(stored[0])) (tar.zst: \(mb(toolStored[0]))). Format alone on \(mb(snapshotBytes)): compress + encrypt \(rate(snapshotBytes, median(sealSeconds))), check + decrypt + decompress \(rate(snapshotBytes, median(openSeconds))).")
print("write_pause_ms: \(format(median(pauses))) ms (checkpoint \(format(median(checkpoints))) ms) for \(mb(dataBytes))" + (largePause.map { "; \(format($0.pause)) ms (checkpoint \(format($0.checkpoint)) ms) for the 4× graph, \(mb($0.bytes))" } ?? ""))
print("Point reads (wrk -t1 -c4, \(window) s): alone p50 \(quiet["50%"] ?? "?") p99 \(quiet["99%"] ?? "?") (\(quiet["req/s"] ?? "?") req/s); during \(during) back-to-back backups p50 \(loaded["50%"] ?? "?") p99 \(loaded["99%"] ?? "?") (\(loaded["req/s"] ?? "?") req/s)\(loaded["errors"].map { ", " + $0 } ?? "")")
if let largeMemory, let largePause {
    print("Server RSS during the 4× graph's backups (\(mb(largePause.bytes)) each): \(mb(Int64(largeMemory.before))) before, peak \(mb(Int64(largeMemory.peak)))")
}
