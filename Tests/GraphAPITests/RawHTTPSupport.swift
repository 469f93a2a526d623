import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// An HTTP/1.1 answer as read from a raw socket.
struct RawAnswer: Sendable {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    var body: String
}

/// A raw TCP client of the server under test: it may connect from a chosen loopback address
/// (Linux routes all of 127/8 to the loopback interface, so `127.0.0.2` is a distinct client
/// address on the same machine), send any bytes, and watch for the server closing.
enum RawHTTP {
    /// Sends one request with `Connection: close` and reads the answer until the server closes.
    static func request(
        port: Int, from source: String? = nil, method: String = "GET", path: String, headers: [String] = [], body: String = ""
    ) async throws -> RawAnswer {
        try await withConnection(port: port, from: source) { connection in
            var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            for header in headers { request += header + "\r\n" }
            if !body.isEmpty { request += "Content-Length: \(body.utf8.count)\r\n" }
            try await connection.send(request + "\r\n" + body)
            let (received, closed) = try await connection.readUntilClosed(within: .seconds(30))
            #expect(closed, "the server did not close after answering \(method) \(path)")
            return try #require(RawHTTP.parse(received), "not an HTTP answer: \(received.prefix(300))")
        }
    }

    /// Connects to `127.0.0.1:port` (from `source` if given), runs `body`, then closes.
    static func withConnection<T: Sendable>(
        port: Int, from source: String? = nil, _ body: (inout RawConnection) async throws -> T
    ) async throws -> T {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = try bootstrap.bind(to: SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let underlying = channel.channel
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawConnection(channel: underlying, iterator: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    /// The status, headers and (`Content-Length` or whole) body of `text`, or `nil`.
    static func parse(_ text: String) -> RawAnswer? {
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RawAnswer(status: status, headers: headers, body: String(text[end.upperBound...]))
    }
}

/// One raw connection of ``RawHTTP/withConnection(port:from:_:)``.
struct RawConnection {
    let channel: any Channel
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// Bytes received and not yet returned by ``readResponse(within:)``.
    var buffered = ""

    /// Sends `text` as it is.
    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Reads until the server closes the connection (end of input, or a reset), or until `limit`
    /// passes (then this side closes it): what arrived, and whether the server closed.
    mutating func readUntilClosed(within limit: Duration) async throws -> (received: String, closedByServer: Bool) {
        let timer = CloseTimer(channel: channel, after: limit)
        defer { timer.cancel() }
        var received = buffered
        buffered = ""
        do {
            while let chunk = try await iterator.next() {
                received += String(buffer: chunk)
            }
        } catch {
            // A reset: the server closed too.
        }
        return (received, !timer.fired)
    }

    /// Reads one whole answer with a `Content-Length` body (keep-alive); fails the test if it does
    /// not arrive within `limit` (the connection is then closed).
    mutating func readResponse(within limit: Duration = .seconds(30)) async throws -> RawAnswer {
        let timer = CloseTimer(channel: channel, after: limit)
        defer { timer.cancel() }
        while true {
            if let answer = RawHTTP.parse(buffered), let length = answer.headers["content-length"].flatMap({ Int($0) }),
                answer.body.utf8.count >= length
            {
                let head = buffered.utf8.count - answer.body.utf8.count
                var result = answer
                result.body = String(buffered.utf8.dropFirst(head).prefix(length))!
                buffered = String(buffered.utf8.dropFirst(head + length))!
                return result
            }
            guard let chunk = try await iterator.next() else {
                Issue.record("no whole answer (closed: \(timer.fired ? "timed out" : "by the server")): \(buffered.prefix(300))")
                return RawAnswer(status: 0, headers: [:], body: buffered)
            }
            buffered += String(buffer: chunk)
        }
    }
}

/// Closes a channel after a while unless cancelled first, and tells whether it did.
final class CloseTimer: Sendable {
    private let state = Mutex<(fired: Bool, task: Scheduled<Void>?)>((false, nil))

    init(channel: any Channel, after limit: Duration) {
        let task = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(limit / .milliseconds(1)))) { [self] in
            self.state.withLock { $0.fired = true }
            channel.close(promise: nil)
        }
        state.withLock { $0.task = task }
    }

    var fired: Bool { state.withLock { $0.fired } }

    func cancel() { state.withLock { $0.task }?.cancel() }
}
