import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import S3Client
import Testing

/// Retries, counted in requests that reached a server (or attempts at a closed port), not in
/// time: a closed port, and a local HTTP server that only fails (S3's answers to throttling and
/// internal errors cannot be had from the S3 test servers on demand).
@Suite("S3 client retries")
struct S3RetryTests {
    static let retries = S3Client.RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5))

    /// An HTTP client that gives up connecting soon: AsyncHTTPClient tries a refused connection
    /// again until its connect timeout (90 s for `HTTPClient.shared`). Never shut down: it lives
    /// as long as the test process.
    static let httpClient = HTTPClient(
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
        configuration: .init(timeout: .init(connect: .milliseconds(250), read: .seconds(30))))

    func client(port: Int, retryPolicy: S3Client.RetryPolicy = retries, timeout: Duration = .seconds(10)) throws -> S3Client {
        S3Client(
            httpClient: Self.httpClient,
            configuration: .init(
                credentials: .init(accessKeyID: "k", secretAccessKey: "s"), endpoint: try S3Client.Endpoint(url: "http://127.0.0.1:\(port)"),
                retryPolicy: retryPolicy, requestTimeout: timeout))
    }

    /// The error `body` throws, as `S3TransportError`.
    func transportError(_ body: () async throws -> Void) async -> S3TransportError? {
        do {
            try await body()
            Issue.record("expected an S3TransportError, nothing was thrown")
        } catch let error as S3TransportError {
            return error
        } catch {
            Issue.record("expected an S3TransportError, got \(type(of: error)): \(error)")
        }
        return nil
    }

    @Test func aClosedPortFailsAfterTheConfiguredAttempts() async throws {
        let port = try await FaultServer.closedPort()
        for attempts in [1, 3] {
            let client = try client(port: port, retryPolicy: .init(maxAttempts: attempts, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)))
            let error = await transportError { _ = try await client.headObject(bucket: "bucket", key: "key") }
            #expect(error?.attempts == attempts)
            #expect(error?.requestNotSent == true)
            #expect(error?.operation == "HeadObject")
            #expect(error?.description.hasPrefix("S3 HeadObject s3://bucket/key failed after \(attempts) attempt") == true)
        }
        // Not idempotent, but nothing was sent: retried as well.
        let create = await transportError { _ = try await client(port: port).createMultipartUpload(bucket: "bucket", key: "key") }
        #expect(create?.attempts == 3)
    }

    @Test func throttlingIsRetriedUntilTheAttemptsAreSpent() async throws {
        let server = try await FaultServer.start([.respond(503, errorXML("SlowDown", "Please reduce your request rate."))])
        defer { server.stop() }
        let error = await s3Error { _ = try await client(port: server.port).getObject(bucket: "bucket", key: "key") }
        #expect(error?.code == .slowDown)
        #expect(error?.status == 503)
        #expect(error?.attempts == 3)
        #expect(server.requests == 3)
        // S3 refused it, so even the call that is not idempotent is sent again.
        server.reset()
        let create = await s3Error { _ = try await client(port: server.port).createMultipartUpload(bucket: "bucket", key: "key") }
        #expect(create?.attempts == 3)
        #expect(server.requests == 3)
    }

    @Test func aRetryThatSucceeds() async throws {
        let server = try await FaultServer.start([
            .respond(500, errorXML("InternalError", "We encountered an internal error.")), .close, .respond(200, "the object"),
        ])
        defer { server.stop() }
        let bytes = try await client(port: server.port).getObjectBytes(bucket: "bucket", key: "key", upTo: 100)
        #expect(bytes == ByteBuffer(string: "the object"))
        #expect(server.requests == 3)
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let server = try await FaultServer.start([.respond(403, errorXML("AccessDenied", "Access Denied"))])
        defer { server.stop() }
        let error = await s3Error { try await client(port: server.port).putObject(bucket: "bucket", key: "key", body: ByteBuffer(string: "x")) }
        #expect(error?.code == .accessDenied)
        #expect(error?.attempts == 1)
        #expect(server.requests == 1)
    }

    /// An internal error may come after the upload was created: creating another could leave one
    /// behind, so it is not retried; a part (idempotent) is.
    @Test func internalErrorsAreRetriedOnlyWhenIdempotent() async throws {
        let server = try await FaultServer.start([.respond(500, errorXML("InternalError", "We encountered an internal error."))])
        defer { server.stop() }
        let create = await s3Error { _ = try await client(port: server.port).createMultipartUpload(bucket: "bucket", key: "key") }
        #expect(create?.code == .internalError)
        #expect(create?.attempts == 1)
        #expect(server.requests == 1)
        server.reset()
        let part = await s3Error {
            _ = try await client(port: server.port).uploadPart(bucket: "bucket", key: "key", uploadID: "id", partNumber: 1, bytes: ByteBuffer(string: "x"))
        }
        #expect(part?.attempts == 3)
        #expect(server.requests == 3)
    }

    /// A connection closed without an answer: retried when idempotent, not otherwise.
    @Test func aDroppedConnectionIsATransportError() async throws {
        let server = try await FaultServer.start([.close])
        defer { server.stop() }
        let get = await transportError { _ = try await client(port: server.port).getObject(bucket: "bucket", key: "key") }
        #expect(get?.attempts == 3)
        #expect(get?.requestNotSent == false)
        #expect(server.requests == 3)
        server.reset()
        let create = await transportError { _ = try await client(port: server.port).createMultipartUpload(bucket: "bucket", key: "key") }
        #expect(create?.attempts == 1)
        #expect(server.requests == 1)
    }

    /// No answer within the request timeout: each attempt gives up, then the call.
    @Test func aSilentServerTimesOut() async throws {
        let server = try await FaultServer.start([.hang])
        defer { server.stop() }
        let client = try client(
            port: server.port, retryPolicy: .init(maxAttempts: 2, baseDelay: .milliseconds(1), maxDelay: .milliseconds(1)),
            timeout: .milliseconds(300))
        let list = await transportError { _ = try await client.listObjectsPage(bucket: "bucket") }
        #expect(list?.attempts == 2)
        #expect((list?.underlying as? HTTPClientError) == .deadlineExceeded)
        #expect(server.requests == 2)
        server.reset()
        let get = await transportError { _ = try await client.getObject(bucket: "bucket", key: "key") }
        #expect(get?.attempts == 2)
        #expect(server.requests == 2)
    }

    /// S3 may fail a completion inside a `200`: thrown as S3's error and retried.
    @Test func anErrorInsideA200IsAnError() async throws {
        let server = try await FaultServer.start([.respond(200, errorXML("InternalError", "We encountered an internal error."))])
        defer { server.stop() }
        let error = await s3Error {
            _ = try await client(port: server.port).completeMultipartUpload(
                bucket: "bucket", key: "key", uploadID: "id", parts: [.init(partNumber: 1, eTag: "\"e\"")])
        }
        #expect(error?.status == 200)
        #expect(error?.code == .internalError)
        #expect(error?.attempts == 3)
        #expect(server.requests == 3)
    }

    /// A cancelled task stops retrying at once.
    @Test func cancellationStopsRetries() async throws {
        let server = try await FaultServer.start([.respond(503, errorXML("SlowDown", "Please reduce your request rate."))])
        defer { server.stop() }
        let client = try client(port: server.port, retryPolicy: .init(maxAttempts: 1000, baseDelay: .seconds(30), maxDelay: .seconds(30)))
        let task = Task { try await client.getObject(bucket: "bucket", key: "key") }
        while server.requests == 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(server.requests == 1)
    }

    func errorXML(_ code: String, _ message: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>TEST</RequestId></Error>"
    }
}

/// A local HTTP server that answers every request the same way (or per request, the last way
/// repeating) and counts the requests it receives.
final class FaultServer: Sendable {
    enum Behaviour: Sendable {
        /// Answers with this status and body.
        case respond(Int, String)
        /// Closes the connection without an answer.
        case close
        /// Never answers.
        case hang
    }

    let port: Int
    private let channel: any Channel
    private let count: NIOLockedValueBox<Int>

    private init(port: Int, channel: any Channel, count: NIOLockedValueBox<Int>) {
        self.port = port
        self.channel = channel
        self.count = count
    }

    /// Requests received since the start or the last ``reset()``.
    var requests: Int { count.withLockedValue { $0 } }

    func reset() { count.withLockedValue { $0 = 0 } }

    func stop() { channel.close(promise: nil) }

    static func start(_ behaviours: [Behaviour]) async throws -> FaultServer {
        let count = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviours: behaviours, count: count))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FaultServer(port: try #require(channel.localAddress?.port), channel: channel, count: count)
    }

    /// A port on which nothing listens (one that was just free).
    static func closedPort() async throws -> Int {
        let server = try await start([.hang])
        let port = server.port
        try await server.channel.close()
        return port
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let behaviours: [Behaviour]
        let count: NIOLockedValueBox<Int>
        var behaviour: Behaviour = .hang

        init(behaviours: [Behaviour], count: NIOLockedValueBox<Int>) {
            self.behaviours = behaviours
            self.count = count
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                let index = count.withLockedValue { count in
                    count += 1
                    return count - 1
                }
                behaviour = behaviours[min(index, behaviours.count - 1)]
            case .body:
                break
            case .end:
                switch behaviour {
                case .respond(let status, let body):
                    var headers = HTTPHeaders()
                    headers.add(name: "content-length", value: String(body.utf8.count))
                    let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers)
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                case .close:
                    context.close(promise: nil)
                case .hang:
                    break
                }
            }
        }
    }
}
