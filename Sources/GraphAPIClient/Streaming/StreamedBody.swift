import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The body of one streamed answer (NDJSON results, server-sent events), read as the consumer
/// asks for it.
///
/// Each stream has an `HTTPClient` of its own whose idle read timeout is the stream's (how long
/// the server may stay silent: a query's timeout plus a margin, or the monitor's heartbeat
/// allowance). The body is pulled straight from AsyncHTTPClient's response body, whose producer
/// stops reading the socket when the consumer is not asking (real backpressure: at most its
/// buffer is held). ``close()`` ends the exchange; a stream dropped unfinished closes its
/// connection when released, which interrupts a query on the server.
final class StreamedBody {
    private let httpClient: HTTPClient
    private var iterator: HTTPClientResponse.Body.AsyncIterator?
    private var closed = false

    private init(httpClient: HTTPClient, iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.httpClient = httpClient
        self.iterator = iterator
    }

    /// Sends `request` (with the client's retries and breaker) and returns its body once a success
    /// head arrived; an error status is thrown as ``GraphAPIClientError/Kind/server``.
    static func open(_ request: GraphAPIRequest, client: GraphAPIClient) async throws -> StreamedBody {
        let idle = request.timeoutSeconds ?? client.configuration.requestTimeoutSeconds
        return try await client.withRetries(method: request.method) { _ in
            let httpClient = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: GraphAPIClient.httpConfiguration(client.configuration, idleReadTimeout: idle)
            )
            do {
                let response = try await client.execute(request, on: httpClient, timeoutSeconds: idle)
                let status = Int(response.status.code)
                guard (200..<300).contains(status) else {
                    let body = try? await response.body.collect(upTo: 64 << 10)
                    throw GraphAPIClientError.fromResponse(
                        status: status, body: body.map { Array($0.readableBytesView) } ?? [],
                        retryAfter: response.headers.first(name: "Retry-After")
                    )
                }
                return StreamedBody(httpClient: httpClient, iterator: response.body.makeAsyncIterator())
            } catch {
                try? await httpClient.shutdown()
                throw error
            }
        }
    }

    /// The next bytes of the body, `nil` at its end.
    ///
    /// - Throws: ``GraphAPIClientError/Kind/transport`` when the connection failed or the server
    ///   stayed silent past the idle timeout; `CancellationError` when the task was cancelled.
    func next(client: GraphAPIClient, idleSeconds: Double) async throws -> ByteBuffer? {
        guard iterator != nil else { return nil }
        do {
            return try await iterator!.next()
        } catch {
            throw client.transportError(error, timeoutSeconds: idleSeconds)
        }
    }

    /// Ends the exchange (closing the connection if the body was not read to its end).
    func close() async {
        guard !closed else { return }
        closed = true
        iterator = nil
        try? await httpClient.shutdown()
    }

    deinit {
        if !closed {
            iterator = nil
            httpClient.shutdown().whenComplete { _ in }
        }
    }
}
