import Foundation
import Testing

/// Runs the built `graph-api` binary as a subprocess.
///
/// Waiting happens on Dispatch threads and through the termination handler, never by blocking a
/// thread of the cooperative pool (which also serves the in-process server).
enum CLIProcess {
    struct Outcome: Sendable, CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// The `graph-api` executable next to this test bundle (`.build-*/debug/graph-api`), or the
    /// one `GRAPH_API_CLI` names.
    static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["GRAPH_API_CLI"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        if let selfPath = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: selfPath))
        }
        candidates.append(executable)
        candidates.append(Bundle.main.bundleURL)
        for candidate in candidates {
            // The test bundle is `<bin>/graph-apiPackageTests.xctest` (a file on Linux, a folder
            // on macOS); the binary sits in `<bin>`.
            var directory = candidate.deletingLastPathComponent()
            for _ in 0..<4 {
                let binary = directory.appendingPathComponent("graph-api")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    FileManager.default.isExecutableFile(atPath: binary.path)
                {
                    return binary
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw CLIProcessError.binaryNotFound(candidates.map(\.path))
    }

    enum CLIProcessError: Error, CustomStringConvertible {
        case binaryNotFound([String])
        case timedOut([String])

        var description: String {
            switch self {
            case .binaryNotFound(let places):
                "the graph-api binary was not found next to \(places); build it (swift build --build-tests) or set GRAPH_API_CLI"
            case .timedOut(let arguments): "graph-api \(arguments.joined(separator: " ")) did not finish in time"
            }
        }
    }

    /// Runs `graph-api arguments…` with `environment` added to a copy of this process's
    /// environment from which every `GRAPH_API_*` variable and `COLUMNS` (which fits tables to a
    /// width) were removed, and `stdin` as its input.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, timeoutSeconds: Double = 120,
        executable: URL? = nil
    ) async throws -> Outcome {
        let process = Process()
        process.executableURL = try executable ?? binary()
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GRAPH_API_") && $0.key != "COLUMNS" }
        inherited.merge(environment) { _, new in new }
        process.environment = inherited
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input

        let (exits, exitContinuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exitContinuation.yield(finished.terminationStatus)
            exitContinuation.finish()
        }
        try process.run()

        let stdoutData = readToEnd(output.fileHandleForReading)
        let stderrData = readToEnd(errors.fileHandleForReading)
        let inputHandle = input.fileHandleForWriting
        DispatchQueue.global().async {
            if let stdin { inputHandle.write(Data(stdin.utf8)) }
            try? inputHandle.close()
        }
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeoutSeconds))
            kill(pid, SIGKILL)
            return true
        }

        var exitIterator = exits.makeAsyncIterator()
        let status = await exitIterator.next() ?? -1
        watchdog.cancel()
        let stdoutText = String(decoding: await stdoutData.value, as: UTF8.self)
        let stderrText = String(decoding: await stderrData.value, as: UTF8.self)
        if (try? await watchdog.value) == true { throw CLIProcessError.timedOut(arguments) }
        return Outcome(status: status, stdout: stdoutText, stderr: stderrText)
    }

    /// What ``runMeasured(_:environment:timeoutSeconds:)`` saw: the outcome, the CPU time (user +
    /// system) the `graph-api` process used, and the wall time it took.
    struct Measured: Sendable {
        var outcome: Outcome
        var cpuSeconds: Double
        var wallSeconds: Double
    }

    /// Runs `graph-api arguments…` under `bash`, whose `times` reports the CPU its child used.
    static func runMeasured(_ arguments: [String], environment: [String: String] = [:], timeoutSeconds: Double = 120) async throws
        -> Measured
    {
        let script = #"start=$(date +%s.%N); "$0" "$@"; status=$?; end=$(date +%s.%N); times >&2; echo "wall $start $end" >&2; exit $status"#
        var outcome = try await run(
            ["-c", script, try binary().path] + arguments, environment: environment, timeoutSeconds: timeoutSeconds,
            executable: URL(fileURLWithPath: "/bin/bash")
        )
        // `times` prints the shell's own user and system time, then its children's: `0m0.040s 0m0.012s`.
        let lines = outcome.stderr.split(separator: "\n").map(String.init)
        func seconds(_ text: Substring) -> Double {
            let parts = text.dropLast().split(separator: "m")
            return (Double(parts.first ?? "0") ?? 0) * 60 + (Double(parts.last ?? "0") ?? 0)
        }
        var cpu = -1.0
        var wall = -1.0
        if let wallLine = lines.last(where: { $0.hasPrefix("wall ") }) {
            let fields = wallLine.split(separator: " ")
            if fields.count == 3, let start = Double(fields[1]), let end = Double(fields[2]) { wall = end - start }
            if let index = lines.lastIndex(of: wallLine), index >= 1 {
                let times = lines[index - 1].split(separator: " ")
                if times.count == 2 { cpu = seconds(times[0]) + seconds(times[1]) }
                outcome.stderr = lines[..<max(0, index - 2)].map { $0 + "\n" }.joined()
            }
        }
        return Measured(outcome: outcome, cpuSeconds: cpu, wallSeconds: wall)
    }

    /// Reads a pipe to its end on a Dispatch thread.
    private static func readToEnd(_ handle: FileHandle) -> Task<Data, Never> {
        let (stream, continuation) = AsyncStream<Data>.makeStream()
        DispatchQueue.global().async {
            continuation.yield(handle.readDataToEndOfFile())
            continuation.finish()
        }
        return Task {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next() ?? Data()
        }
    }
}
