import Foundation
import GraphAPITesting
import Testing

/// schemathesis (from PyPI; `scripts/test.sh` installs the pinned version) against a real
/// `graph-api serve` process and the document it serves at `/openapi.json`: no server error, no
/// status, content type or body (SSE events included) the document does not allow, no request the
/// document allows refused, no request it forbids accepted. Run twice: with an operator key and
/// with none. Seeded and bounded, so a failure reproduces with the printed command line.
///
/// What the document cannot say (a Cypher text that does not bind, a file that is not there) is
/// told to schemathesis in `openapi/schemathesis.toml`, each allowance with its reason.
@Suite(.serialized) struct SchemathesisTests {
    static let version = "4.32.5"
    static let seed = 14
    static let key = "schemathesis-operator-key-0123456789"

    @Test(.slow, .timeLimit(.minutes(5)))
    func serverAnswersByItsOwnDocumentWithAndWithoutAKey() async throws {
        let installed = try runPython(["-c", "import schemathesis.cli, importlib.metadata as m; print(m.version('schemathesis'))"])
        try #require(
            installed.status == 0,
            "schemathesis is not installed: scripts/test.sh installs schemathesis==\(Self.version) (`python3 -m pip install schemathesis==\(Self.version)`)\n\(installed.output)"
        )
        #expect(installed.output.trimmingCharacters(in: .whitespacesAndNewlines) == Self.version, "the pinned schemathesis version")

        let dataDirectory = TestServer.temporaryPath("graph-api-schemathesis")
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let server = try ServerProcess(dataDirectory: dataDirectory, environment: ["GRAPH_API_KEY": Self.key])
        defer { _ = try? server.stop(signal: SIGTERM) }
        // The graph the document's examples name, so that example requests reach a real graph
        // (schemathesis may delete it and create others; every answer must still be by the contract).
        let (created, body) = try await server.request(
            "POST", "/databases", json: #"{"graph_id": "acme_graph"}"#, headers: ["X-Graph-API-Key": Self.key]
        )
        try #require(created == 201, "creating acme_graph: \(String(decoding: body, as: UTF8.self))")

        var reports: [String] = []
        for (label, headers) in [("with an operator key", ["X-Graph-API-Key: \(Self.key)"]), ("without a key", [])] {
            let run = try Self.run(port: server.port, headers: headers, workDirectory: dataDirectory)
            print("schemathesis \(label): \(run.summary) (\(run.seconds) s)\n  \(run.commandLine)")
            reports.append("schemathesis \(label) exited \(run.status):\n\(run.output)")
            #expect(run.status == 0, "schemathesis \(label) found failures:\n\(run.commandLine)\n\(run.output)")
        }
        #expect(server.process.isRunning, "the server died during the run:\n\(server.log.suffix(4000))")
    }

    struct Run {
        let status: Int32
        let output: String
        let commandLine: String
        let seconds: Int
        /// schemathesis' count of test cases and its closing line, e.g. `1117 generated, 1117 passed;
        /// 3 warnings in 25.10s`.
        var summary: String {
            let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let cases = lines.last(where: { $0.contains(" generated, ") }) ?? "(no count)"
            let closing = lines.last(where: { $0.hasPrefix("===") && $0.contains(" in ") })?.trimmingCharacters(in: ["=", " "]) ?? "(no summary)"
            return "\(cases); \(closing)"
        }
    }

    /// The checks: a server error, a status, content type or body the document does not list, a
    /// request the document forbids that is accepted, one it allows that is refused.
    static let checks = [
        "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
        "negative_data_rejection", "positive_data_acceptance",
    ]

    static func run(port: Int, headers: [String], workDirectory: String) throws -> Run {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = repository.appendingPathComponent("openapi/schemathesis.toml").path
        var arguments = [
            "-m", "schemathesis.cli", "--no-color", "--config-file", config, "run", "http://127.0.0.1:\(port)/openapi.json",
            "--checks", checks.joined(separator: ","),
            "--max-examples", "8", "--seed", String(seed), "--workers", "1", "--request-timeout", "20",
            "--generation-database", "none", "--generation-with-security-parameters", "false",
        ]
        for header in headers { arguments += ["-H", header] }
        let started = ContinuousClock.now
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workDirectory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let shown = arguments.map { $0.contains(" ") || $0.contains(key) ? "'\($0.replacingOccurrences(of: key, with: "<key>"))'" : $0 }
        return Run(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            commandLine: "python3 " + shown.joined(separator: " "),
            seconds: Int((ContinuousClock.now - started).components.seconds)
        )
    }
}
