import Foundation
import Testing

/// Runs scripts/setup-engines.sh as a user would. The suite runs serially: each test calls the
/// script, and the first one relies on the cache that `scripts/test.sh` has just filled.
@Suite(.serialized) struct SetupScriptTests {
    static let packageDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = packageDirectory.appendingPathComponent("scripts/setup-engines.sh").path

    struct Outcome {
        let status: Int32
        let output: String
        let seconds: Double
    }

    static func runScript(environment extra: [String: String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script]
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let start = ContinuousClock.now
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - start
        return Outcome(
            status: process.terminationStatus, output: String(decoding: data, as: UTF8.self),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        )
    }

    static func cacheRoot() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["GRAPH_API_CACHE_DIR"] { return dir }
        return (env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/graph-api"
    }

    @Test func secondRunIsFastAndDownloadsNothing() throws {
        let outcome = try Self.runScript(environment: [:])
        #expect(outcome.status == 0, "\(outcome.output)")
        // A warm run checks a stamp (tens of ms); a cold one downloads and builds for minutes.
        #expect(outcome.seconds < 10, "a warm run took \(outcome.seconds) s")
        #expect(outcome.output.contains("engines ready"))
        #expect(!outcome.output.contains("download"), "a warm run must not download: \(outcome.output)")
        let link = Self.packageDirectory.appendingPathComponent(".engines").path
        for file in ["include/lbug.h", "include/duckdb.h", "lib/liblbug_capi.so", "lib/libduckdb.so",
                     "lib/libgraphapi_pystub.so", "extensions/httpfs.duckdb_extension"] {
            #expect(FileManager.default.fileExists(atPath: link + "/" + file), "missing \(file)")
        }
    }

    @Test func corruptedDownloadFailsWithAClearMessage() throws {
        let downloads = Self.cacheRoot() + "/downloads"
        let files = try FileManager.default.contentsOfDirectory(atPath: downloads).filter {
            $0.hasSuffix(".whl") || $0.hasSuffix(".tar.gz")
        }
        #expect(files.count >= 5, "the real cache should hold the five pinned downloads")
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-setup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: temp) }
        try FileManager.default.createDirectory(atPath: temp + "/downloads", withIntermediateDirectories: true)
        // Hard links keep the test fast; the corrupted file is a new file, so the real cache is untouched.
        let victim = try #require(files.first { $0.hasPrefix("duckdb_extension_httpfs") })
        for file in files where file != victim {
            try FileManager.default.linkItem(atPath: downloads + "/" + file, toPath: temp + "/downloads/" + file)
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: downloads + "/" + victim))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: temp + "/downloads/" + victim))

        let outcome = try Self.runScript(environment: ["GRAPH_API_CACHE_DIR": temp, "GRAPH_API_ENGINES_LINK": ""])
        #expect(outcome.status != 0)
        #expect(outcome.output.contains("FAILED at step 'verify SHA-256 of downloads'"), "\(outcome.output)")
        #expect(outcome.output.contains("checksum mismatch for \(victim)"), "\(outcome.output)")
        #expect(!FileManager.default.fileExists(atPath: temp + "/downloads/" + victim), "the corrupt file must be removed")
        #expect(!FileManager.default.fileExists(atPath: temp + "/engines"), "nothing may be installed after a failure")
    }
}
