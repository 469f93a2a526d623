import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `graph-api` executable run as a separate process, as a user runs it, on a data folder of
/// the test's; for tests of signals and crashes.
final class ServerProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` and `output` are set in init and only read afterwards.
    let process = Process()
    let dataDirectory: String
    let port: Int
    private let outputPipe = Pipe()
    private let output = OutputCollector()

    /// The folder of the test bundle, where `swift build` also puts the `graph-api` executable.
    static var executable: URL {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return bundle.appendingPathComponent("graph-api")
    }

    /// - Parameter cgroup: a cgroup (v1) folder the process starts in, so that its limits apply
    ///   from its first allocation.
    init(dataDirectory: String, arguments: [String] = [], environment: [String: String] = [:], cgroup: String? = nil) throws {
        self.dataDirectory = dataDirectory
        let serve = ["serve", "--port", "0", "--data-dir", dataDirectory, "--log-level", "info"] + arguments
        if let cgroup {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "echo $$ > '\(cgroup)/cgroup.procs' && exec \"$0\" \"$@\"", Self.executable.path] + serve
        } else {
            process.executableURL = Self.executable
            process.arguments = serve
        }
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("GRAPH_API_") { env[key] = nil }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = outputPipe
        process.standardError = outputPipe
        let output = self.output
        outputPipe.fileHandleForReading.readabilityHandler = { handle in
            output.append(handle.availableData)
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        var found: Int?
        while found == nil, ContinuousClock.now < deadline, process.isRunning {
            found = Self.listeningPort(in: output.text)
            if found == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        guard let found else {
            process.terminate()
            throw ServerProcessError("graph-api did not start listening: \(output.text)")
        }
        port = found
    }

    /// A server a test did not stop (it failed, or forgot) does not outlive it.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        outputPipe.fileHandleForReading.readabilityHandler = nil
    }

    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
        return Int(log[range].split(separator: ":").last ?? "")
    }

    var log: String { output.text }

    /// Sends `signal` and waits for the process to end; returns its exit status.
    @discardableResult
    func stop(signal: Int32, timeout: Duration = .seconds(30)) throws -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            throw ServerProcessError("graph-api did not exit within \(timeout) after signal \(signal)")
        }
        outputPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    /// Sends one request and returns status and body.
    func request(
        _ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:], timeout: TimeInterval = 60
    ) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

final class OutputCollector: @unchecked Sendable {
    // @unchecked Sendable: every access goes through `lock`.
    private let lock = NSLock()
    private var data = Data()

    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
