// Parsing of request bodies: the query endpoint's body (`{"cypher": …, "parameters": {…}}`) read
// into engine values, the server's hot path before every query, and the same bytes read into
// `JSONValue`, the client's path for every answer and stream line. Both go through GraphJSON's one
// parser (`JSONValue.parse(_:builder:options:)`).
import Foundation
import GraphEngine
import GraphJSON

struct Options {
    var elements = 1_000
    var iterations = 2_000
    var repetitions = 7

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next().flatMap(Int.init) else { fatalError("\(flag) needs a number") }
            switch flag {
            case "--elements": elements = value
            case "--iterations": iterations = value
            case "--repetitions": repetitions = value
            default: fatalError("unknown flag \(flag); known: --elements --iterations --repetitions")
            }
        }
    }
}

let options = Options(arguments: CommandLine.arguments)
let count = options.elements

/// The bodies: a list parameter of integers, of strings, and of small objects (an `UNWIND $rows`
/// batch), and the smallest body (`RETURN 1`).
let bodies: [(name: String, text: String)] = [
    (
        "\(count) integers",
        #"{"cypher": "MATCH (r:R) WHERE r.id IN $ids RETURN r.name", "parameters": {"ids": ["#
            + (0..<count).map { String($0 * 7_919) }.joined(separator: ", ") + "]}}"
    ),
    (
        "\(count) strings",
        #"{"cypher": "MATCH (r:R) WHERE r.name IN $names RETURN r.id", "parameters": {"names": ["#
            + (0..<count).map { #""name-\#($0)""# }.joined(separator: ", ") + "]}}"
    ),
    (
        "\(count) objects",
        #"{"cypher": "UNWIND $rows AS row CREATE (:R {id: row.id, name: row.name, score: row.score})", "parameters": {"rows": ["#
            + (0..<count).map { #"{"id": \#($0), "name": "name \#($0) é", "score": \#(Double($0) * 0.25)}"# }.joined(separator: ", ")
            + "]}, \"timeout\": 30}"
    ),
    ("RETURN 1", #"{"cypher": "RETURN 1"}"#),
]

/// Keeps results alive so the parses are not optimised away.
nonisolated(unsafe) var sink = 0

let parsers: [(name: String, parse: (UnsafeRawBufferPointer) throws -> Int)] = [
    (
        "EngineValue(parsingJSON:)",
        { bytes in
            guard case .map(let fields) = try EngineValue(parsingJSON: bytes) else { fatalError("not an object") }
            return fields.count
        }
    ),
    (
        "JSONValue.parse",
        { bytes in try JSONValue.parse(bytes.bindMemory(to: UInt8.self)).objectValue?.count ?? 0 }
    ),
]

print("| body | bytes | parser | µs per body (median of \(options.repetitions)) | MB/s |")
print("| --- | ---: | --- | ---: | ---: |")
for body in bodies {
    let bytes = Array(body.text.utf8)
    let iterations = body.name == "RETURN 1" ? options.iterations * 100 : options.iterations
    // The parsers take turns within each repetition, so that a change of the machine's load
    // weighs on all of them alike.
    var times = [[Double]](repeating: [], count: parsers.count)
    for _ in 0..<options.repetitions {
        for (index, parser) in parsers.enumerated() {
            let start = ContinuousClock.now
            try bytes.withUnsafeBytes { raw in
                for _ in 0..<iterations { sink &+= try parser.parse(raw) }
            }
            let elapsed = ContinuousClock.now - start
            times[index].append((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) / Double(iterations))
        }
    }
    for (index, parser) in parsers.enumerated() {
        let perBody = times[index].sorted()[times[index].count / 2]
        print("| \(body.name) | \(bytes.count) | \(parser.name) | \(String(format: "%.2f", perBody * 1e6)) | \(String(format: "%.0f", Double(bytes.count) / perBody / 1e6)) |")
    }
}
if sink == 42 { print("") }
