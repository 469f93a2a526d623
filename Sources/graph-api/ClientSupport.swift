import ArgumentParser
import Foundation
import GraphAPIClient
import GraphJSON
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--url`, `--api-key` and the transport settings (timeouts, retries, circuit breaker), shared by
/// every client command.
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

    @Option(
        name: .customLong("request-timeout"),
        help: ArgumentHelp(
            "Seconds a request waits for the server (env GRAPH_API_TIMEOUT_SECONDS; default 60).",
            discussion: "Queries wait at least their query timeout plus 30 s, loads and ingests up to an hour, a task monitor between heartbeats at least 60 s."
        )
    )
    var requestTimeout: Double?

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for a connection (env GRAPH_API_CONNECT_TIMEOUT_SECONDS; default 5).")
    var connectTimeout: Double?

    @Option(
        help: ArgumentHelp(
            "Retries of a failed request (env GRAPH_API_RETRIES; default 2; 0 turns them off).",
            discussion: """
                Retried: GET and DELETE requests after no answer or a 503/429 answer, and any request whose \
                connection could not be opened. A POST that reached the server (queries, loads, ingests, copies) \
                is never sent twice; other 4xx answers are never retried.
                """
        )
    )
    var retries: Int?

    @Option(
        name: .customLong("retry-delay-ms"),
        help: "The first retry's backoff bound in ms, doubling each retry, with full jitter (env GRAPH_API_RETRY_DELAY_MS; default 250)."
    )
    var retryDelay: Int?

    @Option(name: .customLong("retry-max-delay-ms"), help: "The longest backoff in ms (env GRAPH_API_RETRY_MAX_DELAY_MS; default 8000).")
    var retryMaxDelay: Int?

    @Option(
        name: .customLong("retry-after-max"),
        help: "The longest Retry-After (s) of a 503 or 429 answer that is waited for; longer fails at once (env GRAPH_API_RETRY_AFTER_MAX_SECONDS; default 30)."
    )
    var retryAfterMax: Double?

    @Option(
        name: .customLong("breaker-failures"),
        help: "Consecutive requests without an answer after which requests fail fast (env GRAPH_API_BREAKER_FAILURES; default 5; 0: never)."
    )
    var breakerFailures: Int?

    @Option(
        name: .customLong("breaker-cooldown"),
        help: "Seconds requests fail fast before one is tried again (env GRAPH_API_BREAKER_COOLDOWN_SECONDS; default 10)."
    )
    var breakerCooldown: Double?

    /// The resolved configuration: flags win over the environment, which wins over the defaults.
    func configuration() throws(GraphAPIClientError) -> GraphAPIClient.Configuration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = try GraphAPIClient.Configuration.resolve(url: url, apiKey: apiKey, environment: environment)
        for (name, value) in [("--retries", retries), ("--retry-delay-ms", retryDelay), ("--retry-max-delay-ms", retryMaxDelay),
            ("--breaker-failures", breakerFailures)]
        where (value ?? 0) < 0 {
            throw GraphAPIClientError(kind: .invalidInput, detail: "\(name) must be at least 0")
        }
        try configuration.apply(
            GraphAPIClient.Configuration.Options(
                timeoutSeconds: requestTimeout, connectTimeoutSeconds: connectTimeout, retries: retries,
                retryDelayMilliseconds: retryDelay, retryMaxDelayMilliseconds: retryMaxDelay, retryAfterMaxSeconds: retryAfterMax,
                breakerFailures: breakerFailures, breakerCooldownSeconds: breakerCooldown
            ),
            environment: environment
        )
        return configuration
    }

    /// A client for the resolved server, key and settings. It is shut down when the command's
    /// ``ClientCommandRunner/run(_:)`` ends.
    func makeClient() throws(GraphAPIClientError) -> GraphAPIClient {
        let client = GraphAPIClient(configuration: try configuration())
        ClientCommandRunner.scope?.add(client)
        return client
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

    /// The clients made while a command runs, shut down when it ends.
    final class ClientScope: Sendable {
        private let clients = Mutex<[GraphAPIClient]>([])

        func add(_ client: GraphAPIClient) {
            clients.withLock { $0.append(client) }
        }

        func shutdown() async {
            for client in clients.withLock({ clients in defer { clients = [] }; return clients }) {
                try? await client.shutdown()
            }
        }
    }

    @TaskLocal static var scope: ClientScope?

    static func run(_ body: () async throws -> Void) async throws {
        let scope = ClientScope()
        do {
            try await $scope.withValue(scope) { try await body() }
            await scope.shutdown()
        } catch let error as GraphAPIClientError {
            await scope.shutdown()
            // The server's suggestions name request fields; the user types flags.
            StandardStream.error.write("Error: \(CLIFlagNames.namingFlags(error.description))\n")
            throw ExitCode(error.exitStatus)
        } catch is CancellationError {
            await scope.shutdown()
            throw ExitCode.failure
        } catch {
            await scope.shutdown()
            throw error
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

/// The terminal the command prints to.
enum Terminal {
    /// The width tables are fitted to: `COLUMNS` when it is a positive number, else the width of
    /// the terminal standard output is; `nil` when standard output is a file or a pipe, whose
    /// tables are not wrapped (so `grep` and `cut` see whole values).
    static var columns: Int? {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text.trimmingCharacters(in: .whitespaces)),
            value > 0
        {
            return value
        }
        guard isatty(1) == 1 else { return nil }
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
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
    static func bytes(_ count: Int) -> String {
        bytes(UInt64(max(0, count)))
    }

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

extension ClientInput {
    /// Checks where the statement of `graph-api query` or `graph-api tables query` comes from:
    /// the argument or `--file`, exactly one of them. `language` names it in messages (`Cypher`, `SQL`).
    static func validateStatement(argument: String?, file: String?, language: String) throws {
        if argument != nil, file != nil { throw ValidationError("give the \(language) either as an argument or with --file, not both") }
        if argument == nil, file == nil {
            throw ValidationError("give the \(language) as an argument, with --file PATH, or as '-' to read standard input")
        }
    }

    /// The statement from `--file PATH`, from standard input (`-` as the argument or the path),
    /// or the argument itself.
    ///
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``) for a file
    ///   that cannot be read or a statement that is only blanks.
    static func statement(argument: String?, file: String?, language: String) throws(GraphAPIClientError) -> String {
        let text: String
        if let file {
            text = try read(path: file, what: language)
        } else if argument == "-" {
            text = try read(path: "-", what: language)
        } else {
            text = argument ?? ""
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GraphAPIClientError(kind: .invalidInput, detail: "the \(language) is empty")
        }
        return text
    }
}

/// How `graph-api query` and `graph-api tables query` print a result.
enum QueryOutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned columns for a terminal (one JSON request, at most the server's `max_rows` rows).
    case table
    /// The server's JSON document as it sent it (at most `max_rows` rows).
    case json
    /// One JSON object per row, streamed from the server's NDJSON endpoint.
    case ndjson
    /// RFC 4180 CSV with a header, streamed from the server's NDJSON endpoint.
    case csv

    /// Whether the rows come from the server's NDJSON endpoint.
    var isStreamed: Bool { self == .ndjson || self == .csv }
}

/// `--timeout`, `--format` and `--chunk-size`, shared by `graph-api query` and `graph-api tables query`.
struct QueryOutputOptions: ParsableArguments {
    @Option(help: "Query timeout in seconds (default: the server's).")
    var timeout: Double?

    @Option(help: "Output format.")
    var format: QueryOutputFormat = .table

    @Option(help: "Rows per streamed chunk for ndjson and csv, 1...10000 (default: the server's).")
    var chunkSize: Int?

    func validate() throws {
        if let timeout, !(timeout > 0) || !timeout.isFinite { throw ValidationError("--timeout must be a positive number of seconds") }
        if let chunkSize, !(1...10_000).contains(chunkSize) { throw ValidationError("--chunk-size must be within 1...10000") }
        if chunkSize != nil, !format.isStreamed {
            throw ValidationError("--chunk-size applies only to the streamed formats ndjson and csv")
        }
    }
}

/// Printing a query result, shared by `graph-api query` (Cypher) and `graph-api tables query` (SQL).
enum QueryOutput {
    /// The rows as aligned columns, then `(N rows, T ms)`.
    static func printTable(columns: [String], rows: [[JSONValue]], rowCount: Int, milliseconds: Double) {
        var output = TableRenderer(columns: columns, maxWidth: Terminal.columns).render(rows)
        output += "(\(ClientFormatting.rows(rowCount)), \(ClientFormatting.milliseconds(milliseconds)))\n"
        StandardStream.output.write(output)
    }

    /// Prints the server's JSON answer as it sent it; returns its row count when it says it was
    /// truncated.
    static func printJSON(_ body: Data) -> Int? {
        ClientFormatting.printRaw(body)
        guard let parsed = try? JSONValue(parsing: body), parsed["truncated"] == .bool(true) else { return nil }
        return parsed["row_count"]?.numberValue?.int64Value.map(Int.init) ?? 0
    }

    /// `Warning: the result was cut at N rows (limit); hint` on standard error.
    static func warnTruncated(_ rows: Int, limit: String = "the server's row limit", hint: String?) {
        StandardStream.error.write(
            "Warning: the result was cut at \(ClientFormatting.rows(rows)) (\(limit))" + (hint.map { "; " + $0 } ?? "") + "\n"
        )
    }

    /// Writes each chunk as soon as it arrives: ndjson one object per row, csv a header then
    /// records (no header when the result has no columns). Returns the last chunk.
    static func printStream<Chunk: ResultChunk>(_ stream: ResultChunkStream<Chunk>, format: QueryOutputFormat) async throws -> Chunk? {
        var columns: [String]?
        var last: Chunk?
        for try await chunk in stream {
            if columns == nil { columns = chunk.columns ?? [] }
            let names = columns ?? []
            switch format {
            case .csv:
                var output = ""
                if chunk.chunkIndex == 0, !names.isEmpty { output += CSVRenderer.header(names) }
                for values in chunk.rowValues(columns: names) { CSVRenderer.appendRecord(values, to: &output) }
                if !output.isEmpty { StandardStream.output.write(output) }
            default:
                var output: [UInt8] = []
                for row in chunk.rowObjects(columns: names) {
                    JSONValue.object(row).write(to: &output)
                    output.append(UInt8(ascii: "\n"))
                }
                if !output.isEmpty { StandardStream.output.write(output) }
            }
            last = chunk
        }
        return last
    }
}
