import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

/// Watches files and folders with inotify and counts every open, read, write, create or
/// attribute change in them: the proof that no statement reached them.
final class FileAccessWatch: Sendable {
    private let descriptor: Int32
    let paths: [String]

    init(_ paths: [String]) throws {
        descriptor = inotify_init1(Int32(O_NONBLOCK | O_CLOEXEC))
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        self.paths = paths
        // IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_OPEN | IN_MOVED_TO | IN_CREATE | IN_DELETE
        let mask: UInt32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x20 | 0x80 | 0x100 | 0x200
        for path in paths where inotify_add_watch(descriptor, path, mask) < 0 {
            throw POSIXError(.ENOENT)
        }
    }

    deinit { close(descriptor) }

    /// The events since the last call (each an event header of 16 bytes plus its name).
    func drainEventCount() -> Int {
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard read > 0 else { break }
            var offset = 0
            while offset + 16 <= read {
                let nameLength = Int(buffer[offset + 12]) | Int(buffer[offset + 13]) << 8 | Int(buffer[offset + 14]) << 16
                offset += 16 + nameLength
                count += 1
            }
        }
        return count
    }
}

/// Issue 11: no statement sent through `/query`, `/schema` or `/tables/query` reads or writes a
/// file outside the graph's own folder, attaches another database or loads an extension —
/// whatever whitespace, comments, case or Unicode the engine's lexer accepts around it. The
/// decision is the engine's parse; a canary folder outside the data directory and the other
/// tenant's database file are watched with inotify throughout.
@Suite(.serialized) struct StatementSecurityTests {
    /// Code points the engine's lexer accepts before a statement, found by trying every assigned
    /// code point in front of `RETURN 1` with the engine's own parser. Letters and numbers (they
    /// would start a name or a number), unassigned and private-use code points are skipped: that
    /// keeps the scan to about 40k parses.
    static let lexerPrefixes: [Character] = {
        var accepted: [Character] = []
        for value in UInt32(1)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let properties = scalar.properties
            switch properties.generalCategory {
            case .unassigned, .privateUse, .surrogate: continue
            default: break
            }
            if properties.isAlphabetic || properties.numericType != nil { continue }
            if (try? StatementFacts.inspect(String(Character(scalar)) + "RETURN 1")) != nil {
                accepted.append(Character(scalar))
            }
        }
        return accepted
    }()

    /// A folder outside the data directory with a canary file, where statements would write.
    struct Canary {
        let directory: String
        var file: String { directory + "/canary.csv" }
        var output: String { directory + "/out.csv" }
        var exportDirectory: String { directory + "/export" }
        static let content = "secret-canary-7f3a"

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-canary-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "id\n\(Self.content)\n".write(toFile: directory + "/canary.csv", atomically: true, encoding: .utf8)
        }
    }

    /// Forbidden statements; `{file}`, `{out}`, `{dir}` and `{other}` are replaced with the canary
    /// file, a path to write in the canary folder, a folder there, and the other tenant's
    /// database file.
    static let cypherForms = [
        "LOAD FROM '{file}' (header=false) RETURN *",
        "LOAD WITH HEADERS (id STRING) FROM '{file}' RETURN *",
        "MATCH (n) WITH n LOAD FROM '{file}' RETURN *",
        "UNWIND [1] AS x LOAD FROM '{file}' RETURN *",
        "RETURN 1 AS id UNION ALL LOAD FROM '{file}' (header=false) RETURN *",
        "COPY (RETURN 1) TO '{out}'",
        "COPY (MATCH (p:P) RETURN p.id) TO '{out}' (header=true)",
        "COPY P FROM '{file}'",
        "COPY P FROM ['{file}']",
        "ATTACH '{other}' AS x (dbtype lbug)",
        "ATTACH '{other}' (dbtype lbug)",
        "DETACH x",
        "USE x",
        "EXPORT DATABASE '{dir}'",
        "EXPORT DATABASE '{dir}' (format='csv')",
        "IMPORT DATABASE '{dir}'",
        "INSTALL httpfs",
        "LOAD EXTENSION '{file}'",
        "LOAD httpfs",
        "EXPLAIN LOAD FROM '{file}' RETURN *",
        "PROFILE LOAD FROM '{file}' (header=false) RETURN *",
        "PROFILE COPY (RETURN 1) TO '{out}'",
        "CREATE NODE TABLE T AS LOAD FROM '{file}' (header=false) RETURN *",
        "CREATE NODE TABLE T2(id INT64 PRIMARY KEY) WITH (storage='{dir}')",
        "CALL home_directory = '{dir}'",
        "CALL file_search_path = '{dir}'",
        "CALL threads = 1",
        "CALL auto_checkpoint = false",
        "CALL file_info() RETURN *",
        "CALL disk_info() RETURN *",
        "CALL project_graph('pg', ['P'], []) ",
        "CREATE GRAPH g2",
        "BEGIN TRANSACTION",
        "BEGIN TRANSACTION READ ONLY",
        "COMMIT",
        "ROLLBACK",
        "RETURN 1; LOAD FROM '{file}' RETURN *",
    ]

    static func fill(_ form: String, _ canary: Canary, other: String) -> String {
        form.replacingOccurrences(of: "{file}", with: canary.file).replacingOccurrences(of: "{out}", with: canary.output)
            .replacingOccurrences(of: "{dir}", with: canary.exportDirectory).replacingOccurrences(of: "{other}", with: other)
    }

    /// Variants of a statement: every accepted prefix character, comments before and inside,
    /// mixed case, leading semicolons.
    static func variants(of statement: String) -> [String] {
        var result = lexerPrefixes.map { String($0) + statement }
        result += lexerPrefixes.map { "RETURN 1;" + String($0) + statement }
        result += [
            "/* c */" + statement, "// c\n" + statement, "/* a */ /* b */\n" + statement, ";" + statement, ";;" + statement,
            statement + ";", statement.lowercased(), Self.mixedCase(statement),
            statement.replacingOccurrences(of: " ", with: " /* x */ "), statement.replacingOccurrences(of: " ", with: "\u{00A0}"),
            statement.replacingOccurrences(of: " ", with: "\u{3000}"), statement.replacingOccurrences(of: " ", with: "\n//x\n"),
            "\u{FEFF}" + statement, "\u{2003}\u{00A0}\t" + statement,
        ]
        return result
    }

    static func mixedCase(_ text: String) -> String {
        String(text.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : Character($0.element.lowercased()) })
    }

    static let graphs = [
        TestGraph(id: "attacker", ddl: ["CREATE NODE TABLE P(id STRING PRIMARY KEY)", "CREATE (:P {id: 'a'})"]),
        TestGraph(id: "victim", ddl: ["CREATE NODE TABLE Secret(id STRING PRIMARY KEY)", "CREATE (:Secret {id: 'victim-row'})"]),
    ]

    /// Runs `body` with a server holding the two graphs, the canary and a watch over the canary
    /// folder and the victim's database file (checkpointed first, so its WAL is gone).
    func withTarget(
        _ body: @Sendable (TestServer.Client, Canary, String, FileAccessWatch) async throws -> Void
    ) async throws {
        let canary = try Canary()
        defer { try? FileManager.default.removeItem(atPath: canary.directory) }
        let dataDirectory = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        try await TestServer.withServer(graphs: Self.graphs, dataDirectory: dataDirectory) { server in
            let client = server.client
            let victimFile = dataDirectory + "/databases/victim/graph.lbug"
            #expect(FileManager.default.fileExists(atPath: victimFile))
            let watch = try FileAccessWatch([canary.directory, victimFile])
            try await body(client, canary, victimFile, watch)
            // The watch works: reading the canary ourselves is seen.
            _ = try String(contentsOfFile: canary.file, encoding: .utf8)
            #expect(watch.drainEventCount() > 0, "the inotify watch saw nothing: it proves nothing")
        }
    }

    @Test func theLexerAcceptsUnicodeWhitespaceThatTheOldScannerDidNot() {
        let prefixes = Set(Self.lexerPrefixes)
        for expected: Character in ["\u{00A0}", "\u{2003}", "\u{3000}", "\u{FEFF}", " ", "\t"] {
            #expect(prefixes.contains(expected), "U+\(String(expected.unicodeScalars.first!.value, radix: 16))")
        }
        #expect(!prefixes.contains("x"))
    }

    @Test(.slow) func everyForbiddenQueryFormIsRefusedBeforeAnyFileIsTouched() async throws {
        try await withTarget { client, canary, other, watch in
            var tried = 0
            for form in Self.cypherForms {
                for text in Self.variants(of: Self.fill(form, canary, other: other)) {
                    let answer = try await client.cypher("attacker", text)
                    tried += 1
                    #expect(
                        answer.status == .forbidden || answer.status == .badRequest,
                        "\(answer.status) for \(text.debugDescription): \(answer.body.prefix(200))"
                    )
                    #expect(!answer.body.contains(Canary.content))
                    #expect(!answer.body.contains("victim-row"))
                }
            }
            #expect(tried > 1000)
            #expect(watch.drainEventCount() == 0, "a statement reached the canary folder or the victim's file")
            #expect(!FileManager.default.fileExists(atPath: canary.output))
            #expect(!FileManager.default.fileExists(atPath: canary.exportDirectory))
            // The graph still answers, on clean connections, with its own data only.
            let after = try await client.cypher("attacker", "MATCH (p:P) RETURN p.id AS id")
            #expect(after.status == .ok)
            #expect(after.body.contains("\"a\""))
        }
    }

    @Test func parametersDoNotSmuggleAPath() async throws {
        try await withTarget { client, canary, _, watch in
            for text in ["LOAD FROM $p RETURN *", "COPY (RETURN 1) TO $p", "ATTACH $p AS x (dbtype lbug)"] {
                let answer = try await client.cypher("attacker", text, parameters: ["p": canary.file])
                #expect(answer.status == .forbidden || answer.status == .badRequest, "\(text): \(answer.body.prefix(200))")
            }
            #expect(watch.drainEventCount() == 0)
        }
    }

    @Test func forbiddenFormsAreRefusedAsSchemaChangesAndAtCreation() async throws {
        try await withTarget { client, canary, other, watch in
            for form in Self.cypherForms {
                let text = Self.fill(form, canary, other: other)
                for variant in [text, "\u{00A0}" + text, "CREATE NODE TABLE Ok(id INT64 PRIMARY KEY);\u{2003}" + text, "/* x */" + text] {
                    let body = try JSONSerialization.data(withJSONObject: ["ddl": variant])
                    let response = try await client.executeRequest(
                        uri: "/databases/attacker/schema", method: .post, headers: [.contentType: "application/json"],
                        body: ByteBuffer(bytes: body)
                    )
                    #expect(response.status == .badRequest || response.status == .forbidden, "\(response.status) for \(variant.debugDescription)")
                    let create = try JSONSerialization.data(withJSONObject: [
                        "graph_id": "fresh", "schema_type": "custom", "custom_schema_ddl": variant,
                    ])
                    let created = try await client.executeRequest(
                        uri: "/databases", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: create)
                    )
                    #expect(created.status == .badRequest || created.status == .forbidden, "\(created.status) for \(variant.debugDescription)")
                }
            }
            #expect(watch.drainEventCount() == 0)
            // Nothing of the refused DDL ran, not even its accepted first statement.
            let tables = try await client.cypher("attacker", "CALL show_tables() RETURN name")
            #expect(!tables.body.contains("Ok"))
        }
    }

    @Test func stagingSQLReachesNoFileOutsideTheGraph() async throws {
        try await withTarget { client, canary, other, watch in
            let forms = [
                "SELECT * FROM read_csv('{file}')", "SELECT * FROM read_text('{file}')", "SELECT * FROM '{file}'",
                "SELECT * FROM glob('{dir}/*')", "COPY (SELECT 1) TO '{out}'", "ATTACH '{other}' AS x", "INSTALL httpfs",
                "LOAD httpfs", "SET enable_external_access = true", "PRAGMA enable_profiling", "CREATE TABLE t AS SELECT 1",
                "SELECT 1; SELECT * FROM read_csv('{file}')", "EXPORT DATABASE '{dir}'", "CALL pragma_version()",
                "WITH x AS (SELECT * FROM read_csv('{file}')) SELECT * FROM x",
            ]
            var tried = 0
            for form in forms {
                let text = Self.fill(form, canary, other: other)
                for variant in [text, "\u{00A0}" + text, "\u{FEFF}" + text, "/* c */ " + text, "-- c\n" + text, Self.mixedCase(text)] {
                    let body = try JSONSerialization.data(withJSONObject: ["sql": variant])
                    let response = try await client.executeRequest(
                        uri: "/databases/attacker/tables/query", method: .post, headers: [.contentType: "application/json"],
                        body: ByteBuffer(bytes: body)
                    )
                    tried += 1
                    let text = String(buffer: response.body)
                    #expect(response.status != .ok || !text.contains(Canary.content), "\(variant.debugDescription): \(text.prefix(200))")
                    #expect(response.status.code >= 400, "\(response.status) for \(variant.debugDescription): \(text.prefix(200))")
                }
            }
            #expect(tried == forms.count * 6)
            #expect(watch.drainEventCount() == 0)
        }
    }

    /// Random insertions around forbidden statements for a bounded time: whatever comes back,
    /// nothing outside the graph was touched and nothing of the canary or the victim leaked.
    @Test(.slow) func fuzzedForbiddenStatementsNeverReachOutside() async throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        try await withTarget { client, canary, other, watch in
            var generator = SeededGenerator(seed: seed)
            let pieces = ["/**/", "//x\n", ";", "(", ")", "`", "'", "\"", "RETURN 1;", " ", "\n", "$p", "{", "}", "--"]
                + Self.lexerPrefixes.map { String($0) }
            let deadline = ContinuousClock.now + .seconds(8)
            var tried = 0
            while ContinuousClock.now < deadline {
                var text = Array(Self.fill(Self.cypherForms.randomElement(using: &generator)!, canary, other: other))
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let piece = pieces.randomElement(using: &generator)!
                    text.insert(contentsOf: piece, at: Int.random(in: 0...text.count, using: &generator))
                }
                if Bool.random(using: &generator) { text = Array(Self.mixedCase(String(text))) }
                let statement = String(text)
                let answer = try await client.cypher("attacker", statement)
                tried += 1
                #expect(!answer.body.contains(Canary.content), "seed \(seed): \(statement.debugDescription)")
                #expect(!answer.body.contains("victim-row"), "seed \(seed): \(statement.debugDescription)")
                #expect(answer.status.code < 500, "seed \(seed): \(answer.status) for \(statement.debugDescription)")
            }
            #expect(tried > 100)
            #expect(watch.drainEventCount() == 0, "seed \(seed)")
        }
    }

    @Test func readOnlyKeysMayNotCheckpointAndWritersMay() async throws {
        try await TestServer.withServer(
            graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE P(id INT64 PRIMARY KEY)"])],
            configure: { $0.apiKeys = [APIKey(secret: "writer"), APIKey(secret: "reader", scope: KeyScope(readOnly: true))] }
        ) { server in
            let client = server.client
            let key = HTTPField.Name("X-Graph-API-Key")!
            for text in ["CHECKPOINT", "\u{00A0}checkpoint", "/* x */ CHECKPOINT;", "ANALYZE"] {
                let reader = try await client.cypher("g", text, headers: [key: "reader"])
                #expect(reader.status == .forbidden, "\(text.debugDescription): \(reader.body)")
                #expect(reader.code == "read_only_key")
            }
            let writer = try await client.cypher("g", "CHECKPOINT", headers: [key: "writer"])
            #expect(writer.status == .ok, "\(writer.body)")
            let read = try await client.cypher("g", "MATCH (p:P) RETURN count(*) AS n", headers: [key: "reader"])
            #expect(read.status == .ok)
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing fuzz run can be repeated from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
