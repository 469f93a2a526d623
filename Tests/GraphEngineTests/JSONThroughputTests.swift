import Foundation
import NIOCore
import Testing

@testable import GraphEngine

/// Measures how fast a 3-column result (INT64, STRING, DOUBLE) becomes NDJSON, query included.
/// Prints rows/s for each read path; checks correctness, not speed (debug builds are far slower
/// than release ones). `JSON_THROUGHPUT_ROWS` sets the row count (default 1,000,000 in release
/// builds, 200,000 in debug builds). Run `swift test -c release --filter JSONThroughput` for figures.
@Suite("JSON encoding throughput", .serialized)
struct JSONThroughputTests {
    private static let rowCount: Int = {
        if let rows = ProcessInfo.processInfo.environment["JSON_THROUGHPUT_ROWS"].flatMap(Int.init) { return rows }
        #if DEBUG
        return 200_000  // unoptimised code is ~30x slower; keep the default test run short
        #else
        return 1_000_000
        #endif
    }()

    @Test func ndjsonRowsPerSecond() throws {
        let database = try JSONTestDatabase()
        let rowCount = Self.rowCount
        try Self.load(rowCount: rowCount, into: database)
        let query = "MATCH (r:R) RETURN r.id, r.name, r.score"

        // Baseline: the engine alone, Arrow chunks fetched and released.
        let baselineStart = ContinuousClock.now
        let result = try database.query(query)
        var baselineRows = 0
        while let chunk = try result.nextArrowChunk(rows: 2_048) {
            baselineRows += chunk.length
        }
        result.close()
        let baseline = ContinuousClock.now - baselineStart
        #expect(baselineRows == rowCount)
        print(Self.report("engine only, Arrow chunks", rows: baselineRows, bytes: nil, duration: baseline))

        var outputs: [QueryResultJSONWriter.ReadPath: (checksum: Int, bytes: Int)] = [:]
        let runs: [(QueryResultJSONWriter.ReadPath, Int)] = [(.arrowChunks, 2_048), (.arrowChunks, 8_192), (.flatTuples, 2_048)]
        for (path, arrowChunkRows) in runs {
            let start = ContinuousClock.now
            let cpuStart = Self.threadCPUSeconds()
            let (rows, bytes, checksum) = try database.withWriter(
                query,
                shape: .objects,
                path: path,
                arrowChunkRows: arrowChunkRows
            ) { writer throws in
                #expect(writer.readPath == path)
                var buffer = ByteBuffer()
                buffer.reserveCapacity(256 * 1_024)
                var rows = 0
                var bytes = 0
                var checksum = 0
                while true {
                    // One NDJSON chunk line of up to 1,000 rows, then "sent" (cleared).
                    buffer.writeStaticString(#"{"data":["#)
                    let written = try writer.writeRows(into: &buffer, maxRows: 1_000)
                    buffer.writeStaticString("]}\n")
                    rows += written
                    bytes += buffer.readableBytes
                    checksum &+= buffer.withUnsafeReadableBytes { $0.reduce(0) { $0 &+ Int($1) } }
                    buffer.clear()
                    if written == 0 { break }
                }
                return (rows, bytes, checksum)
            }
            let duration = ContinuousClock.now - start
            let cpuSeconds = Self.threadCPUSeconds() - cpuStart
            #expect(rows == rowCount)
            outputs[path] = (checksum, bytes)
            let label = path == .arrowChunks ? "NDJSON via Arrow chunks of \(arrowChunkRows) rows" : "NDJSON via flat tuples"
            print(
                Self.report(label, rows: rows, bytes: bytes, duration: duration)
                    + String(format: "; this thread's CPU: %.3f s = %.2fM rows/s", cpuSeconds, Double(rows) / cpuSeconds / 1e6)
            )
        }
        #expect(outputs[.arrowChunks]?.bytes == outputs[.flatTuples]?.bytes)
        #expect(outputs[.arrowChunks]?.checksum == outputs[.flatTuples]?.checksum)
    }

    /// Creates `R(id INT64, name STRING, score DOUBLE)` with `rowCount` rows through a CSV COPY.
    private static func load(rowCount: Int, into database: JSONTestDatabase) throws {
        let csvPath = database.directory.appendingPathComponent("rows.csv").path
        var csv = ByteBuffer()
        csv.reserveCapacity(rowCount * 32)
        for id in 0..<rowCount {
            csv.writeJSONNumber(id)
            csv.writeStaticString(",name-")
            csv.writeJSONNumber(id &* 7_919 % 1_000_003)
            csv.writeStaticString(",")
            csv.writeJSONNumber(Double(id) * 0.25 + 0.125)
            csv.writeStaticString("\n")
        }
        try Data(csv.readableBytesView).write(to: URL(fileURLWithPath: csvPath))
        try database.execute(
            "CREATE NODE TABLE R(id INT64, name STRING, score DOUBLE, PRIMARY KEY(id))",
            "COPY R FROM '\(csvPath)' (HEADER=false)"
        )
    }

    /// CPU time used by the calling thread so far (wall-clock figures suffer when the machine is
    /// busy; this one much less).
    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func report(_ label: String, rows: Int, bytes: Int?, duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        var line = "JSON throughput, \(label): \(rows) rows in \(String(format: "%.3f", seconds)) s = "
            + "\(String(format: "%.2f", Double(rows) / seconds / 1e6))M rows/s"
        if let bytes {
            line += ", \(String(format: "%.1f", Double(bytes) / 1e6)) MB, \(String(format: "%.0f", Double(bytes) / seconds / 1e6)) MB/s"
        }
        return line
    }
}
