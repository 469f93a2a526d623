// What the benchmarks that drive a `graph-api serve` process share: starting it on a free port,
// JSON requests, wrk runs, medians.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Seconds since `start`.
public func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The median (the upper one of an even count).
public func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// `../.build/release/graph-api` relative to the Benchmarks package: the server the benchmarks start.
public let defaultServerPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../.build/release/graph-api").standardizedFileURL.path

/// A `graph-api serve` process (release build) on a free loopback port, logging to `<root>/server.log`.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked Sendable: set up in init, read-only afterwards (the log file is written by the child).
    public let process = Process()
    public let port: Int

    /// Starts `executable serve` with a data directory below `root` and `arguments`, and waits
    /// until `/health` answers.
    public init(executable: String, root: String, arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            fatalError("no server at \(executable): build it with `swift build -c release --product graph-api` in the repository, or pass --server")
        }
        let log = root + "/server.log"
        guard FileManager.default.createFile(atPath: log, contents: nil) else { fatalError("cannot create \(log)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.executableURL = URL(fileURLWithPath: executable)
        port = Self.freePort()
        // `--log-level warning` keeps request logs out of the figures.
        process.arguments =
            ["serve", "--port", String(port), "--data-dir", root + "/data", "--log-level", "warning", "--log-format", "text"] + arguments
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("GRAPH_API_") { environment[key] = nil }
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            if let data = try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/health")!), !data.isEmpty { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        fatalError("the server did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// A loopback port nothing listens on right now.
    public static func freePort() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { fatalError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Sends a JSON request; returns the status and the decoded JSON object (or `["body": text]`).
    public func request(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 600
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? ["body": String(decoding: data, as: UTF8.self)]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, object)
    }

    /// Creates a graph with `ddl` (statements separated by `;`).
    public func createGraph(_ id: String, ddl: String) async throws {
        let (status, body) = try await request("POST", "/databases", ["graph_id": id, "schema_type": "custom", "custom_schema_ddl": ddl])
        guard status == 201 else { fatalError("create \(id): \(status) \(body)") }
    }

    /// The single value of a one-row query.
    public func count(_ graph: String, _ cypher: String) async throws -> Int {
        let (status, body) = try await request("POST", "/databases/\(graph)/query", ["cypher": cypher])
        guard status == 200, let row = (body["data"] as? [[String: Any]])?.first, let value = row.values.first as? Int else {
            fatalError("count: \(status) \(body)")
        }
        return value
    }

    /// The server's resident memory in bytes (`VmRSS`).
    public var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0) * 1024
    }

    public func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// Runs `wrk` (from Debian: `apt-get install wrk`) in its own process with `--latency`, a POST body
/// when `body` is given; returns `req/s`, `50%`, `90%`, `99%` and, if any, `errors`.
public func wrk(url: String, connections: Int, threads: Int, seconds: Int, body: String? = nil, scriptDirectory: String) throws
    -> [String: String]
{
    var arguments = ["wrk", "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency"]
    if let body {
        let script = scriptDirectory + "/post-\(UUID().uuidString).lua"
        let quoted = body.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        try """
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        wrk.body = '\(quoted)'
        """.write(toFile: script, atomically: true, encoding: .utf8)
        arguments += ["-s", script]
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments + [url]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    var figures: [String: String] = [:]
    for line in output.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count == 2, ["50%", "90%", "99%"].contains(fields[0]) { figures[String(fields[0])] = String(fields[1]) }
        if fields.first == "Requests/sec:", fields.count == 2 { figures["req/s"] = String(fields[1]) }
        if line.contains("Non-2xx") || line.contains("Socket errors") { figures["errors"] = String(line) }
    }
    return figures
}

/// The `--flag value` pairs of a command line (`arguments[0]`, the program, skipped), each flag
/// one of `known`; anything else ends the program with a message and status 2.
public struct Flags {
    private var values: [String: String] = [:]

    public init(_ arguments: [String], known: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard known.contains(flag) else { Self.stop("unknown flag \(flag); known: \(known.joined(separator: " "))") }
            guard let value = iterator.next() else { Self.stop("\(flag) needs a value") }
            values[flag] = value
        }
    }

    /// The value of `flag`, or `fallback` when it was not given.
    public func string(_ flag: String, _ fallback: String) -> String { values[flag] ?? fallback }

    /// The whole-number value of `flag`, or `fallback` when it was not given.
    public func int(_ flag: String, _ fallback: Int) -> Int {
        guard let text = values[flag] else { return fallback }
        guard let value = Int(text) else { Self.stop("\(flag) needs a whole number, not \(text)") }
        return value
    }

    /// Prints `message` to standard error and exits with status 2.
    private static func stop(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}
