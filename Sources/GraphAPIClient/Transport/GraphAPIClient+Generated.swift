import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

extension GraphAPIClient {
    /// The client swift-openapi-generator made from `openapi/openapi.json` (`Generated/`): one typed
    /// method per operation of the contract, e.g. `try await client.api.getHealth()`.
    ///
    /// It sends through this client's connection pool (swift-openapi-async-http-client's
    /// transport), with its API key, request timeout, retries and circuit breaker. A `503` or
    /// `429` answer that is not retried, or retried to no avail, and every transport failure, is
    /// thrown as ``GraphAPIClientError`` (inside the runtime's `ClientError`); other statuses are
    /// the operation's typed outputs.
    public var api: Client {
        api(timeoutSeconds: configuration.requestTimeoutSeconds)
    }

    /// ``api`` with another timeout for the answer's head.
    public func api(timeoutSeconds: Double) -> Client {
        Client(
            serverURL: configuration.baseURL,
            configuration: OpenAPIRuntime.Configuration(dateTranscoder: ServerDateTranscoder()),
            transport: AsyncHTTPClientTransport(
                configuration: AsyncHTTPClientTransport.Configuration(
                    client: httpClient, timeout: .milliseconds(Int64(timeoutSeconds * 1000))
                )
            ),
            middlewares: [TransportPolicyMiddleware(client: self, timeoutSeconds: timeoutSeconds)]
        )
    }
}

/// The server's timestamps: ISO-8601 UTC with milliseconds (`2026-12-06T15:44:09.723Z`); whole
/// seconds are read too. The runtime's default reads whole seconds only.
struct ServerDateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        try ISO8601DateTranscoder.iso8601WithFractionalSeconds.encode(date)
    }

    func decode(_ text: String) throws -> Date {
        if let date = try? ISO8601DateTranscoder.iso8601WithFractionalSeconds.decode(text) { return date }
        return try ISO8601DateTranscoder.iso8601.decode(text)
    }
}

/// Applies the client's key, retries and circuit breaker to the generated calls.
struct TransportPolicyMiddleware: ClientMiddleware {
    let client: GraphAPIClient
    let timeoutSeconds: Double

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.userAgent] = "graph-api-client"
        if let key = client.configuration.apiKey, let name = HTTPField.Name("X-Graph-API-Key") {
            request.headerFields[name] = key
        }
        let outgoing = request
        return try await client.withRetries(method: request.method.rawValue) { _ in
            let response: HTTPResponse
            let responseBody: HTTPBody?
            do {
                (response, responseBody) = try await next(outgoing, body, baseURL)
            } catch let error as ClientError {
                throw client.transportError(error.underlyingError, timeoutSeconds: timeoutSeconds)
            } catch {
                throw client.transportError(error, timeoutSeconds: timeoutSeconds)
            }
            let status = response.status.code
            guard status == 503 || status == 429 else { return (response, responseBody) }
            var bytes: [UInt8] = []
            if let responseBody {
                bytes = Array(try await ByteBuffer(collecting: responseBody, upTo: 64 << 10).readableBytesView)
            }
            throw GraphAPIClientError.fromResponse(status: status, body: bytes, retryAfter: response.headerFields[.retryAfter])
        }
    }
}

extension ByteBuffer {
    /// Collects an OpenAPI body of at most `limit` bytes.
    init(collecting body: HTTPBody, upTo limit: Int) async throws {
        self.init()
        for try await chunk in body {
            guard readableBytes + chunk.count <= limit else { break }
            writeBytes(chunk)
        }
    }
}
