import ArgumentParser
import Foundation
import GraphAPIClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--url` and `--api-key`, shared by every client command.
struct ClientConnectionOptions: ParsableArguments {
    @Option(help: "Server URL (env GRAPH_API_URL; default http://127.0.0.1:8001).")
    var url: String?

    @Option(
        help: ArgumentHelp(
            "API key, sent as X-Graph-API-Key (env GRAPH_API_KEY).",
            discussion: "Prefer the environment variable: a flag is visible to other users in the process list."
        )
    )
    var apiKey: String?

    /// A client for the resolved server and key.
    func makeClient() throws(GraphAPIClientError) -> GraphAPIClient {
        GraphAPIClient(
            configuration: try .resolve(url: url, apiKey: apiKey, environment: ProcessInfo.processInfo.environment)
        )
    }
}

/// Runs the body of a client command and turns a failure into the command's exit status.
///
/// Exit statuses: 0 success; 1 any other failure (server error, timeout, unreachable server,
/// failed stream); 3 authentication or permission (401, 403, 429); 4 not found (404); 64
/// (`EX_USAGE`) usage errors, as the argument parser does for its own.
enum ClientCommandRunner {
    static let exitStatusHelp = """
        Exit status: 0 success; 1 failure (server error, query timeout, unreachable server, failed \
        stream); 3 authentication or permission refused (HTTP 401, 403, 429); 4 not found (HTTP 404); \
        64 usage error. Errors print the server's detail and code on standard error.
        """

    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as GraphAPIClientError {
            StandardStream.error.write("Error: \(error)\n")
            throw ExitCode(error.exitStatus)
        } catch is CancellationError {
            throw ExitCode.failure
        }
    }
}

/// Unbuffered writes to standard output or standard error: each call is one or a few `write(2)`
/// calls, so streamed rows leave the process as they arrive.
struct StandardStream: Sendable {
    let descriptor: Int32

    static let output = StandardStream(descriptor: 1)
    static let error = StandardStream(descriptor: 2)

    /// Writes `text`; a reader that went away (a closed pipe) ends the command quietly.
    func write(_ text: String) {
        var text = text
        text.withUTF8 { write($0) }
    }

    /// Writes UTF-8 bytes.
    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    private func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = unistd_write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                // EPIPE (the reader closed the pipe, e.g. `| head`) or another failure: stop.
                exit(errno == EPIPE ? 0 : 1)
            }
            offset += written
        }
    }

    private func unistd_write(_ fd: Int32, _ pointer: UnsafePointer<UInt8>, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, pointer, count)
        #else
        Darwin.write(fd, pointer, count)
        #endif
    }
}

/// Reads a whole file, or standard input for `-`.
enum ClientInput {
    static func read(path: String, what: String) throws(GraphAPIClientError) -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            // A FileHandle also reads pipes such as `<(...)`, which FileManager.contents refuses.
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw GraphAPIClientError(kind: .invalidInput, detail: "cannot read the \(what) file '\(path)'")
            }
            defer { try? handle.close() }
            do {
                data = try handle.readToEnd() ?? Data()
            } catch {
                throw GraphAPIClientError(kind: .invalidInput, detail: "cannot read the \(what) file '\(path)': \(error)")
            }
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GraphAPIClientError(kind: .invalidInput, detail: "the \(what) in '\(path)' is not UTF-8 text")
        }
        return text
    }
}

/// Numbers for people.
enum ClientFormatting {
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func milliseconds(_ value: Double) -> String {
        value < 10 ? String(format: "%.2f ms", value) : String(format: "%.0f ms", value)
    }

    static func seconds(_ value: Double) -> String {
        if value < 120 { return String(format: "%.1f s", value) }
        let total = Int(value)
        let (days, hours, minutes) = (total / 86_400, total / 3_600 % 24, total / 60 % 60)
        return days > 0 ? "\(days) d \(hours) h \(minutes) min" : hours > 0 ? "\(hours) h \(minutes) min" : "\(minutes) min"
    }

    static func rows(_ count: Int) -> String {
        count == 1 ? "1 row" : "\(count) rows"
    }

    /// Prints the body of a `--json` answer as the server wrote it, ending with a newline.
    static func printRaw(_ body: Data) {
        var text = String(decoding: body, as: UTF8.self)
        if !text.hasSuffix("\n") { text += "\n" }
        StandardStream.output.write(text)
    }
}
