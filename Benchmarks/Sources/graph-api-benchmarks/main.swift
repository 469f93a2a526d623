// Compares the Swift wrapper (GraphEngine) with plain C loops over the LadybugDB C API on the same
// database file: `RETURN 1`, a prepared primary-key lookup, and a 1M-row × 3-column scan (the
// wrapper encodes it into NDJSON chunks; the baselines only read the values).
import EngineBaseline
import Foundation
import GraphEngine
import NIOCore

struct Options {
    var rows = 1_000_000
    var returnOneIterations = 20_000
    var lookupIterations = 20_000
    var repetitions = 5
    var chunkSize = 1_000

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next().flatMap(Int.init) else { fatalError("\(flag) needs a number") }
            switch flag {
            case "--rows": rows = value
            case "--iterations": returnOneIterations = value; lookupIterations = value
            case "--repetitions": repetitions = value
            case "--chunk-size": chunkSize = value
            default: fatalError("unknown flag \(flag); known: --rows --iterations --repetitions --chunk-size")
            }
        }
    }
}

/// One measured figure: the median of the repetitions.
struct Measurement {
    let name: String
    let unit: String
    var values: [Double] = []
    var median: Double { values.sorted()[values.count / 2] }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let options = Options(arguments: CommandLine.arguments)
let megabyte: UInt64 = 1 << 20
let bufferPool = 512 * megabyte
let maxDatabaseSize: UInt64 = 1 << 36

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let databasePath = directory.appendingPathComponent("bench.lbug").path

// Data: R(id INT64 primary key, name STRING, score DOUBLE), loaded by the engine's COPY from CSV.
print("preparing \(options.rows) rows …")
let csvPath = directory.appendingPathComponent("r.csv").path
guard FileManager.default.createFile(atPath: csvPath, contents: nil) else { fatalError("cannot create \(csvPath)") }
let csv = try FileHandle(forWritingTo: URL(fileURLWithPath: csvPath))
var csvText = "id,name,score\n"
for id in 0..<options.rows {
    csvText += "\(id),name-\(id),\(Double(id) * 0.5)\n"
    if csvText.utf8.count > 1 << 20 {
        csv.write(Data(csvText.utf8))
        csvText = ""
    }
}
csv.write(Data(csvText.utf8))
try csv.close()

guard let setup = baseline_open(databasePath, bufferPool, maxDatabaseSize, 1, 0) else { fatalError("cannot open \(databasePath)") }
guard baseline_execute(setup, "CREATE NODE TABLE R(id INT64 PRIMARY KEY, name STRING, score DOUBLE)") == 1,
    baseline_execute(setup, "COPY R FROM '\(csvPath)' (HEADER=true)") == 1
else { fatalError("loading the benchmark data failed") }
baseline_close(setup)

// Both sides open the file read-only (several read-only opens of one file are allowed) and the
// repetitions alternate between them, so that machine noise hits both alike.
var cReturnOne = Measurement(name: "RETURN 1", unit: "queries/s")
var cLookup = Measurement(name: "prepared primary-key lookup", unit: "lookups/s")
var cScanFlat = Measurement(name: "scan (flat tuples)", unit: "rows/s")
var cScanArrow = Measurement(name: "scan (Arrow chunks)", unit: "rows/s")
var swiftReturnOne = Measurement(name: "RETURN 1", unit: "queries/s")
var swiftLookup = Measurement(name: "prepared primary-key lookup", unit: "lookups/s")
var swiftScan = Measurement(name: "scan + NDJSON encode", unit: "rows/s")
var swiftScanObjects = Measurement(name: "scan + NDJSON encode, rows as objects", unit: "rows/s")
var swiftExecutorReturnOne = Measurement(name: "RETURN 1 via EngineExecutor (async hop)", unit: "queries/s")
var ndjsonBytes = 0

guard let engine = baseline_open(databasePath, bufferPool, maxDatabaseSize, 1, 1) else { fatalError("cannot reopen") }
let database = try Database(
    path: databasePath,
    configuration: DatabaseConfiguration(bufferPoolSize: bufferPool, maxDatabaseSize: maxDatabaseSize, maxThreads: 1, readOnly: true)
)
let connection = try database.connect()
let statement = try connection.prepare("MATCH (r:R) WHERE r.id = $id RETURN r.name")
let executor = EngineExecutor(threadCount: 1)

for _ in 0..<options.repetitions {
    var checksum = 0

    let r1 = baseline_return_one(engine, UInt64(options.returnOneIterations))
    let t1 = try seconds {
        for _ in 0..<options.returnOneIterations {
            let result = try connection.query("RETURN 1")
            if case .int64(let v)? = try result.next()?.first { checksum &+= Int(v) }
        }
    }
    cReturnOne.values.append(Double(r1.rows) / r1.seconds)
    swiftReturnOne.values.append(Double(options.returnOneIterations) / t1)

    let r2 = baseline_point_lookup(engine, UInt64(options.lookupIterations), UInt64(options.rows))
    let t2 = try seconds {
        for i in 0..<options.lookupIterations {
            let result = try connection.execute(statement, parameters: ["id": .int64(Int64((i * 7919) % options.rows))])
            if case .string(let name)? = try result.next()?.first { checksum &+= name.utf8.count }
        }
    }
    cLookup.values.append(Double(r2.rows) / r2.seconds)
    swiftLookup.values.append(Double(options.lookupIterations) / t2)

    let r3 = baseline_scan_flat(engine)
    let r4 = baseline_scan_arrow(engine, 2_048)
    var bytes = 0
    let t3 = try seconds {
        let result = try connection.query("MATCH (r:R) RETURN r.id, r.name, r.score")
        let writer = try QueryResultJSONWriter(result, shape: .arrays)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 << 20)
        var chunkIndex = 0
        var total = 0
        while true {
            buffer.clear()
            buffer.writeStaticString("{\"chunk_index\":")
            buffer.writeJSONNumber(chunkIndex)
            buffer.writeStaticString(",\"data\":[")
            let written = try writer.writeRows(into: &buffer, maxRows: options.chunkSize)
            total += written
            buffer.writeStaticString("],\"row_count\":")
            buffer.writeJSONNumber(written)
            buffer.writeStaticString(",\"total_rows_sent\":")
            buffer.writeJSONNumber(total)
            buffer.writeStaticString(",\"is_last_chunk\":")
            buffer.writeJSONBool(written < options.chunkSize)
            buffer.writeStaticString("}\n")
            bytes += buffer.readableBytes
            chunkIndex += 1
            if written < options.chunkSize { break }
        }
        guard total == options.rows else { fatalError("scan wrote \(total) rows, expected \(options.rows)") }
    }
    guard r1.ok == 1, r2.ok == 1, r3.ok == 1, r4.ok == 1, r3.rows == UInt64(options.rows), r4.rows == UInt64(options.rows) else {
        fatalError("a baseline failed: \(r1) \(r2) \(r3) \(r4)")
    }
    // The same scan with rows as JSON objects (`{"id": …}`), the shape of the server's answers.
    let t4 = try seconds {
        let result = try connection.query("MATCH (r:R) RETURN r.id, r.name, r.score")
        let writer = try QueryResultJSONWriter(result, shape: .objects)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 << 20)
        var total = 0
        while true {
            buffer.clear()
            buffer.writeStaticString("{\"data\":[")
            let written = try writer.writeRows(into: &buffer, maxRows: options.chunkSize)
            buffer.writeStaticString("]}\n")
            total += written
            if written == 0 { break }
        }
        guard total == options.rows else { fatalError("object scan wrote \(total) rows, expected \(options.rows)") }
    }
    swiftScanObjects.values.append(Double(options.rows) / t4)
    cScanFlat.values.append(Double(r3.rows) / r3.seconds)
    cScanArrow.values.append(Double(r4.rows) / r4.seconds)
    swiftScan.values.append(Double(options.rows) / t3)
    ndjsonBytes = bytes

    let iterations = options.returnOneIterations / 4
    let start = ContinuousClock.now
    for _ in 0..<iterations {
        let value = try await executor.run(on: connection) { connection in
            try connection.query("RETURN 1").next()?.first
        }
        if case .int64(let v)? = value { checksum &+= Int(v) }
    }
    let elapsed = ContinuousClock.now - start
    swiftExecutorReturnOne.values.append(
        Double(iterations) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    )
    precondition(checksum != 0)
}
try await executor.shutdown()
connection.close()
database.close()
baseline_close(engine)

func format(_ value: Double) -> String {
    value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
}

print("")
print("rows: \(options.rows), repetitions: \(options.repetitions) (median shown), NDJSON bytes per scan: \(ndjsonBytes)")
print("")
print("| benchmark | engine-direct (C) | Swift wrapper | wrapper / C |")
print("|---|---|---|---|")
for (c, swift) in [(cReturnOne, swiftReturnOne), (cLookup, swiftLookup), (cScanFlat, swiftScan)] {
    print("| \(swift.name) (\(swift.unit)) | \(format(c.median)) | \(format(swift.median)) | \(String(format: "%.2f", swift.median / c.median)) |")
}
print("| scan: C Arrow chunks vs wrapper scan + NDJSON (rows/s) | \(format(cScanArrow.median)) | \(format(swiftScan.median)) | \(String(format: "%.2f", swiftScan.median / cScanArrow.median)) |")
print("| scan: C Arrow chunks vs wrapper scan + NDJSON, rows as objects (rows/s) | \(format(cScanArrow.median)) | \(format(swiftScanObjects.median)) | \(String(format: "%.2f", swiftScanObjects.median / cScanArrow.median)) |")
print("| \(swiftExecutorReturnOne.name) (\(swiftExecutorReturnOne.unit)) | \(format(cReturnOne.median)) | \(format(swiftExecutorReturnOne.median)) | \(String(format: "%.2f", swiftExecutorReturnOne.median / cReturnOne.median)) |")
