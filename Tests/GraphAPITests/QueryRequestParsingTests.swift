import GraphEngine
import GraphJSON
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// The query body parser and the small text checks of the query endpoint, without a server.
@Suite struct QueryRequestParsingTests {
    static func parse(_ text: String) throws -> EngineValue {
        var buffer = ByteBuffer(string: text)
        return try buffer.withUnsafeMutableReadableBytes { bytes in try EngineValue(parsingJSON: UnsafeRawBufferPointer(bytes)) }
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try Self.parse("42") == .int64(42))
        #expect(try Self.parse("-0") == .int64(0))
        #expect(try Self.parse("1.0") == .double(1.0))
        #expect(try Self.parse("1e3") == .double(1000))
        #expect(try Self.parse("-2.5E-1") == .double(-0.25))
        #expect(try Self.parse("9223372036854775807") == .int64(.max))
        #expect(try Self.parse("-9223372036854775808") == .int64(.min))
        #expect(try Self.parse("-12") == .int64(-12))
        #expect(try Self.parse("9223372036854775808") == .uint64(9_223_372_036_854_775_808))
        #expect(try Self.parse("-9223372036854775809") == .int128("-9223372036854775809"))
        #expect(try Self.parse("170141183460469231731687303715884105727") == .int128("170141183460469231731687303715884105727"))
        #expect(try Self.parse("-170141183460469231731687303715884105728") == .int128("-170141183460469231731687303715884105728"))
        #expect(try Self.parse("170141183460469231731687303715884105728") == .double(170141183460469231731687303715884105728.0))
        #expect(try Self.parse("1" + String(repeating: "0", count: 40)) == .double(1e40))
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x10", "1e999", "NaN"] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try Self.parse(bad) }
        }
    }

    @Test func stringsDecodeEscapesAndRefuseBadInput() throws {
        #expect(try Self.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(try Self.parse("\"héllo\"") == .string("héllo"))
        for bad in [#""\ud83d""#, #""\ude00""#, #""\x""#, "\"a\nb\"", "\"abc", #""\u12""#] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try Self.parse(bad) }
        }
        var invalidUTF8 = ByteBuffer(bytes: [UInt8(ascii: "\""), 0xFF, 0xFE, UInt8(ascii: "\"")])
        #expect(throws: JSONSyntaxError.self) {
            try invalidUTF8.withUnsafeMutableReadableBytes { try EngineValue(parsingJSON: UnsafeRawBufferPointer($0)) }
        }
    }

    @Test func containersKeepOrderAndRefuseDuplicatesAndDepth() throws {
        #expect(try Self.parse(#" { "b" : [1, null, true, {"c": "d"}], "a": {} } "#)
            == .map([("b", .list([.int64(1), .null, .bool(true), .map([("c", .string("d"))])])), ("a", .map([]))]))
        #expect(throws: JSONSyntaxError.self) { try Self.parse(#"{"a": 1, "a": 2}"#) }
        // Past 16 keys the duplicate check changes its bookkeeping: both sides of that are checked.
        let many = (0..<40).map { #""k\#($0)": \#($0)"# }
        #expect(try Self.parse("{" + many.joined(separator: ", ") + "}") != .null)
        for (index, repeated) in [(16, 3), (17, 3), (30, 29), (30, 5)] {
            let members = many[..<index] + [#""k\#(repeated)": 0"#]
            #expect(throws: JSONSyntaxError.self, "\(index), \(repeated)") { try Self.parse("{" + members.joined(separator: ", ") + "}") }
        }
        #expect(throws: JSONSyntaxError.self) { try Self.parse(#"[1, 2,]"#) }
        #expect(throws: JSONSyntaxError.self) { try Self.parse(#"{"a" 1}"#) }
        #expect(throws: JSONSyntaxError.self) { try Self.parse("[1] [2]") }
        #expect(try Self.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) != .null)
        #expect(throws: JSONSyntaxError.self) { try Self.parse(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) }
        #expect(throws: JSONSyntaxError.self) {
            try Self.parse(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        }
    }

    @Test func requestFieldsAreValidated() throws {
        let request = try QueryRequest(parsing: ByteBuffer(string: #"{"cypher": "RETURN $x", "parameters": {"x": [1, 2]}, "timeout": 1.5, "database": "g"}"#))
        #expect(request.cypher == "RETURN $x")
        #expect(request.parameters["x"] == .list([.int64(1), .int64(2)]))
        #expect(request.timeoutSeconds == 1.5)
        #expect(request.database == "g")
        let nulls = try QueryRequest(parsing: ByteBuffer(string: #"{"cypher": "RETURN 1", "parameters": null, "timeout": null, "database": null}"#))
        #expect(nulls.parameters.isEmpty)
        #expect(nulls.timeoutSeconds == nil)
        #expect(nulls.database == nil)
        for body in [#"{"cypher": null}"#, #"{"cypher": "x", "timeout": 0}"#, #"{"cypher": "x", "extra": 1}"#, "42"] {
            #expect(throws: ServiceError.self, "\(body)") { try QueryRequest(parsing: ByteBuffer(string: body)) }
        }
    }

    @Test func transactionStatementsAreRecognisedByTheEngineParse() throws {
        for text in ["BEGIN TRANSACTION", "  // c\n /* x */ commit", "Rollback;", "\u{00A0}BEGIN TRANSACTION READ ONLY"] {
            let facts = try StatementFacts.inspect(text)
            #expect(throws: ServiceError.self, "\(text)") { try StatementPolicy.admit(facts) }
        }
        for text in ["MATCH (n) RETURN n", "RETURN 'BEGIN'"] {
            let facts = try StatementFacts.inspect(text)
            try StatementPolicy.admit(facts)
            #expect(!StatementPolicy.isMaintenance(facts), "\(text)")
        }
        let checkpoint = try StatementFacts.inspect("checkpoint")
        try StatementPolicy.admit(checkpoint)
        #expect(StatementPolicy.isMaintenance(checkpoint))
        #expect(throws: EngineError.self) { try StatementFacts.inspect("/* never closed BEGIN") }
    }

    @Test func deadlinesCancelTheBodyUnlessItFinished() async throws {
        let fast = try await QueryService.withDeadline(seconds: 5) { 7 }
        #expect(fast == 7)
        let started = ContinuousClock.now
        await #expect(throws: QueryService.DeadlineExceeded.self) {
            try await QueryService.withDeadline(seconds: 0.1) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        // The body would sleep 30 s: a bound a loaded machine keeps.
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
