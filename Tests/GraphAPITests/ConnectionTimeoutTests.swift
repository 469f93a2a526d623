import Foundation
import GraphJSON
import GraphAPITesting
import HTTPTypes
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// The request head timeout and the idle timeout of kept-alive connections, on live servers with
/// timeouts of a second. Each test waits for the server to close the connection (the socket's
/// end of input) within a generous bound, rather than timing the close.
@Suite(.slow) struct ConnectionTimeoutTests {
    @Test func aConnectionThatSendsNothingIsClosedAfterTheHeadTimeout() async throws {
        try await Self.withRawConnection(headTimeout: 1, idleTimeout: 600) { connection in
            try await Self.expectClosedWithoutAnswer(&connection)
        }
    }

    @Test func aConnectionThatSendsHalfAHeadIsClosedEvenWhileItKeepsTrickling() async throws {
        try await Self.withRawConnection(headTimeout: 1, idleTimeout: 600) { connection in
            try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            // A header line every 250 ms for up to 30 s: bytes keep coming, the head never ends.
            for line in 0..<120 where connection.channel.isActive {
                try? await connection.send("X-Slow-\(line): y\r\n")
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(!connection.channel.isActive, "the server kept a trickling head open for 30 s")
            try await Self.expectClosedWithoutAnswer(&connection, within: .seconds(5))
        }
    }

    @Test func onAKeptAliveConnectionTheHeadClockStartsWithTheNextRequestsFirstByte() async throws {
        try await Self.withRawConnection(headTimeout: 1, idleTimeout: 600) { connection in
            try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await connection.readResponse().status == 200)
            // Idle between requests for twice the head timeout: the idle timeout applies, not the head's.
            try await Task.sleep(for: .seconds(2))
            try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await connection.readResponse().status == 200)
            // Half of the next head: closed after the head timeout.
            try await connection.send("GET /health HTTP/1.1\r\n")
            try await Self.expectClosedWithoutAnswer(&connection)
        }
    }

    @Test func aKeptAliveConnectionIdlePastTheIdleTimeoutIsClosed() async throws {
        try await Self.withRawConnection(headTimeout: 600, idleTimeout: 1) { connection in
            for _ in 0..<2 {
                try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let answer = try await connection.readResponse()
                #expect(answer.status == 200)
                #expect(answer.body.contains("healthy"))
            }
            try await Self.expectClosedWithoutAnswer(&connection)
        }
    }

    @Test func aRequestHandledLongerThanBothTimeoutsIsNotCut() async throws {
        try await TestServer.withServer(
            graphs: [QueryConcurrencyTests.slow],
            configure: { $0.requestHeadTimeoutSeconds = 1; $0.connectionIdleTimeoutSeconds = 1 }
        ) { server in
            let port = server.port
            // Nothing is sent for 3 s while the query runs to its timeout; the answer still arrives.
            let started = ContinuousClock.now
            let answer = try await ExtraClient.cypher(port: port, "slow", QueryConcurrencyTests.endless, timeout: 3)
            #expect(answer.status == .requestTimeout, "\(answer.body)")
            #expect(answer.code == "query_timeout")
            #expect(ContinuousClock.now - started >= .seconds(2.5))
        }
    }

    @Test func aStreamQuietForLongerThanBothTimeoutsIsNotCut() async throws {
        // A task monitor whose task reports nothing for 3 s, with heartbeats every 10 s: after
        // `connected` the stream is silent for 3 s, three times both timeouts.
        var settings = TaskFixtures.settings
        settings.heartbeatInterval = .seconds(10)
        try await TestServer.withTasks(settings: settings, configure: {
            $0.requestHeadTimeoutSeconds = 1
            $0.connectionIdleTimeoutSeconds = 1
        }) { server in
            let start = TaskGate()
            let submitted = try await server.tasks.submit(type: "copy", graphID: try GraphID(validating: "a"), metadata: [:]) { _ in
                await start.wait()
                try await Task.sleep(for: .seconds(3))
                return ["rows": 1]
            }
            let port = server.port
            let answer = try await SSEClient.get(
                port: port, path: "/tasks/\(submitted.taskID)/monitor", key: TasksTestKeys.adminKey, timeoutSeconds: 30
            ) { event in
                if event.name == "connected" { start.open() }
                return true
            }
            #expect(answer.status == 200)
            #expect(answer.ended)
            #expect(answer.events.first?.name == "connected")
            #expect(answer.events.last?.name == "completed", "\(answer.events.map(\.name))")
        }
    }

    /// Runs `body` with one raw connection to a server with these timeouts (seconds).
    static func withRawConnection(
        headTimeout: Int, idleTimeout: Int, _ body: @Sendable (inout RawConnection) async throws -> Void
    ) async throws {
        try await TestServer.withServer(configure: {
            $0.requestHeadTimeoutSeconds = headTimeout
            $0.connectionIdleTimeoutSeconds = idleTimeout
        }) { server in
            let port = server.port
            try await RawHTTP.withConnection(port: port, body)
        }
    }

    /// Waits for the server to close `connection`, within `limit`, without sending anything.
    static func expectClosedWithoutAnswer(
        _ connection: inout RawConnection, within limit: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (received, closedByServer) = try await connection.readUntilClosed(within: limit)
        #expect(closedByServer, sourceLocation: sourceLocation)
        #expect(received.isEmpty, sourceLocation: sourceLocation)
    }
}
