import Foundation
import GraphAPITesting
import GraphEngine
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import GraphAPI
@testable import GraphService

extension TestGraph {
    /// The schema and data most query tests use: people who know each other, with many value types.
    static let peopleDDL = [
        "CREATE NODE TABLE Person(name STRING, age INT64, score DOUBLE, born DATE, amount DECIMAL(10,2), tags STRING[], PRIMARY KEY(name))",
        "CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64)",
        "CREATE (:Person {name: 'Ada', age: 36, score: 1.5, born: date('1815-12-10'), amount: 12.5, tags: ['math', 'code']})",
        "CREATE (:Person {name: 'Alan', age: 41, score: 2.25, born: date('1912-06-23'), amount: 7.25, tags: []})",
        "MATCH (a:Person {name: 'Ada'}), (b:Person {name: 'Alan'}) CREATE (a)-[:KNOWS {since: 1936}]->(b)",
    ]
}

/// A query's answer as the tests look at it.
struct QueryAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String

    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "not a JSON object: \(body.prefix(300))")
    }

    /// Each NDJSON line as a JSON object.
    func lines() throws -> [[String: Any]] {
        try body.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON line: \(line.prefix(300))")
        }
    }

    /// Each server-sent event as (event name, JSON data).
    func events() throws -> [(event: String, data: [String: Any])] {
        try body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
            var event = ""
            var data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            let object = try #require(JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any], "bad event data: \(data.prefix(300))")
            return (event, object)
        }
    }

    /// The `code` of an error body.
    var code: String? { (try? json())?["code"] as? String }
}

extension TestServer.Client {
    /// Posts a query body (given as JSON text) to `/databases/{graph}/query{suffix}`.
    func query(
        _ graph: String, body: String, suffix: String = "", headers: HTTPFields = [:]
    ) async throws -> QueryAnswer {
        var headers = headers
        if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await executeRequest(
            uri: "/databases/\(graph)/query\(suffix)", method: .post, headers: headers, body: ByteBuffer(string: body)
        )
        return QueryAnswer(status: response.status, headers: response.headers, body: String(buffer: response.body))
    }

    /// Posts `{"cypher": cypher, ...extra}`.
    func cypher(
        _ graph: String, _ cypher: String, parameters: [String: Any]? = nil, timeout: Double? = nil, suffix: String = "",
        headers: HTTPFields = [:]
    ) async throws -> QueryAnswer {
        var object: [String: Any] = ["cypher": cypher]
        if let parameters { object["parameters"] = parameters }
        if let timeout { object["timeout"] = timeout }
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await query(graph, body: String(decoding: data, as: UTF8.self), suffix: suffix, headers: headers)
    }
}

/// A second, independent HTTP connection to the server under test.
enum ExtraClient {
    static func cypher(
        port: Int, _ graph: String, _ cypher: String, parameters: [String: Any]? = nil, timeout: Double? = nil,
        headers: HTTPFields = [:]
    ) async throws -> QueryAnswer {
        var object: [String: Any] = ["cypher": cypher]
        if let parameters { object["parameters"] = parameters }
        if let timeout { object["timeout"] = timeout }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return try await TestServer.Client.withConnection(port: port) { client in
            try await client.query(graph, body: body, headers: headers)
        }
    }
}

/// A raw TCP client that sends one request and reads the answer at its own pace, to test
/// streaming backpressure and disconnects.
struct RawHTTPConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(port: Int) async throws -> RawHTTPConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawHTTPConnection(channel: channel)
    }

    /// Sends a POST of `body` to `path`, reads until at least `minimumBytes` arrived (or the
    /// answer ended), runs `whileOpen` with the bytes so far, then closes the connection without
    /// reading the rest.
    func post(
        path: String, body: String, headers: [String] = [], readAtLeast minimumBytes: Int,
        whileOpen: (String, inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> Void = { _, _ in }
    ) async throws -> String {
        var received = ByteBuffer()
        try await channel.executeThenClose { inbound, outbound in
            var request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            for header in headers { request += header + "\r\n" }
            request += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
            try await outbound.write(ByteBuffer(string: request))
            var iterator = inbound.makeAsyncIterator()
            while received.readableBytes < minimumBytes, var chunk = try await iterator.next() {
                received.writeBuffer(&chunk)
            }
            try await whileOpen(String(buffer: received), &iterator)
        }
        return String(buffer: received)
    }
}
