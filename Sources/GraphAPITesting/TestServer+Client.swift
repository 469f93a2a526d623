import HTTPTypes
import HummingbirdTesting
import NIOCore

extension TestServer {
    /// An HTTP/1.1 client of the server under test with one kept-alive connection (Hummingbird's
    /// `TestClient`); it reads each answer whole. Requests on one client are answered in order.
    package struct Client: Sendable {
        /// How long a request may wait for the next bytes of its answer.
        package static let defaultTimeout = Duration.seconds(60)

        /// The port of the server.
        package let port: Int
        let connection: TestClient

        init(port: Int, timeout: Duration = Self.defaultTimeout) {
            self.port = port
            self.connection = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: timeout))
            connection.connect()
        }

        /// Opens a connection to the server on `port`, runs `body` with it, and closes it.
        package static func withConnection<T>(
            port: Int, timeout: Duration = defaultTimeout, _ body: (Client) async throws -> T
        ) async throws -> T {
            let client = Client(port: port, timeout: timeout)
            do {
                let value = try await body(client)
                await client.shutdown()
                return value
            } catch {
                await client.shutdown()
                throw error
            }
        }

        /// Sends a request and returns its whole answer.
        package func executeRequest(
            uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil
        ) async throws -> Response {
            var headers = headers
            if headers[.connection] == nil { headers[.connection] = "keep-alive" }
            let request = TestClient.Request(uri, method: method, authority: "127.0.0.1", headers: headers, body: body)
            let response = try await connection.execute(request)
            return Response(head: response.head, body: response.body ?? ByteBuffer(), trailerHeaders: response.trailerHeaders)
        }

        /// Sends a request and passes its answer to `check` (the shape of HummingbirdTesting's
        /// `execute`, so the same test bodies read the same).
        @discardableResult
        package func execute<Return>(
            uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
            testCallback check: (Response) async throws -> Return = { $0 }
        ) async throws -> Return {
            try await check(try await executeRequest(uri: uri, method: method, headers: headers, body: body))
        }

        /// Closes the connection.
        func shutdown() async {
            try? await connection.shutdown()
        }
    }

    /// An answer of the server, read whole.
    package struct Response: Sendable {
        /// The status line and headers.
        package var head: HTTPResponse
        /// The body.
        package var body: ByteBuffer
        /// The trailers, if any.
        package var trailerHeaders: HTTPFields?

        /// The status.
        package var status: HTTPResponse.Status { head.status }
        /// The headers.
        package var headers: HTTPFields { head.headerFields }
        /// The body as text.
        package var text: String { String(buffer: body) }

        /// Creates an answer.
        package init(head: HTTPResponse, body: ByteBuffer, trailerHeaders: HTTPFields? = nil) {
            self.head = head
            self.body = body
            self.trailerHeaders = trailerHeaders
        }
    }
}
