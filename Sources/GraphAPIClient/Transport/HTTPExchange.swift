import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One request's answer, read whole: what ``GraphAPIClient/perform(_:)`` returns.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer

    var bytes: [UInt8] { Array(body.readableBytesView) }
    var data: Data { Data(body.readableBytesView) }
}

extension GraphAPIClient {
    /// The largest answer read whole (a JSON result is at most the server's `max_rows` rows).
    static let maxAnswerBytes = 1 << 30

    /// The AsyncHTTPClient request of `request`: URL, method, `Accept`, `User-Agent`, the API key
    /// and the JSON body.
    func httpRequest(for request: GraphAPIRequest) -> HTTPClientRequest {
        var http = HTTPClientRequest(url: request.url(relativeTo: configuration.baseURL).absoluteString)
        http.method = HTTPMethod(rawValue: request.method.uppercased())
        http.headers.add(name: "Accept", value: request.accept)
        http.headers.add(name: "User-Agent", value: "graph-api-client")
        if let apiKey = configuration.apiKey { http.headers.add(name: "X-Graph-API-Key", value: apiKey) }
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: "application/json")
            http.body = .bytes(ByteBuffer(bytes: body))
        }
        return http
    }

    /// `host:port` of the server, for messages.
    var serverName: String {
        let url = configuration.baseURL
        return url.host.map { host in url.port.map { "\(host):\($0)" } ?? host } ?? url.absoluteString
    }

    /// Runs `attempt` (1, 2, …) until it succeeds, it fails in a way ``Configuration/retry`` does not
    /// retry for a `method` request, or the attempts run out; waits between attempts as the policy
    /// says. The circuit breaker is asked before each attempt and told how it went.
    func withRetries<Value>(method: String, _ attempt: (Int) async throws -> Value) async throws -> Value {
        var number = 1
        while true {
            do {
                try breaker.acquire(server: serverName)
                let value: Value
                do {
                    value = try await attempt(number)
                } catch var error as GraphAPIClientError {
                    if error.kind == .transport {
                        breaker.recordFailure()
                    } else if error.status != nil {
                        breaker.recordSuccess()  // the server answered
                    } else {
                        breaker.recordNeutral()
                    }
                    error.attempts = number
                    throw error
                } catch {
                    breaker.recordNeutral()
                    throw error
                }
                breaker.recordSuccess()
                return value
            } catch let error as GraphAPIClientError {
                guard let delay = configuration.retry.delayBeforeRetry(after: error, attempt: number, method: method) else { throw error }
                try await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
                number += 1
            }
        }
    }

    /// Sends `request` once on `httpClient` and waits up to `timeoutSeconds` for the answer's head.
    ///
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/transport``) when no answer
    ///   came, `CancellationError` when the task was cancelled.
    func execute(_ request: GraphAPIRequest, on httpClient: HTTPClient, timeoutSeconds: Double) async throws -> HTTPClientResponse {
        do {
            return try await httpClient.execute(
                httpRequest(for: request), deadline: .now() + .milliseconds(Int64(timeoutSeconds * 1000))
            )
        } catch {
            throw transportError(error, timeoutSeconds: timeoutSeconds)
        }
    }

    /// The error of a request that got no answer (or `CancellationError` for a cancelled task).
    func transportError(_ error: any Error, timeoutSeconds: Double?) -> any Error {
        if Task.isCancelled || error is CancellationError { return CancellationError() }
        if let error = error as? GraphAPIClientError { return error }
        let server = serverName
        func notSent(_ why: String) -> GraphAPIClientError {
            GraphAPIClientError(
                kind: .transport, detail: "cannot connect to the server at \(server) (\(why); is it running? set --url or GRAPH_API_URL)",
                requestNotSent: true
            )
        }
        if error is NIOConnectionError { return notSent("connection refused") }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return notSent("connection refused") }
        if case ChannelError.connectTimeout = error {
            return notSent("no connection within \(configuration.connectTimeoutSeconds) s")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return notSent("no connection within \(configuration.connectTimeoutSeconds) s")
            case .deadlineExceeded, .readTimeout:
                let after = timeoutSeconds.map { " within \(Self.seconds($0))" } ?? ""
                return GraphAPIClientError(kind: .transport, detail: "the server at \(server) did not answer\(after)")
            case .remoteConnectionClosed:
                return GraphAPIClientError(kind: .transport, detail: "the server at \(server) closed the connection before answering")
            case .cancelled:
                return CancellationError()
            default:
                break
            }
        }
        return GraphAPIClientError(kind: .transport, detail: "the request to \(server) failed: \(error)")
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// Sends a request (with retries) and reads the whole answer. An error status is thrown as
    /// ``GraphAPIClientError/Kind/server``, except `503` of `GET /health`, which is returned.
    func perform(_ request: GraphAPIRequest) async throws -> HTTPAnswer {
        let timeout = request.timeoutSeconds ?? configuration.requestTimeoutSeconds
        return try await withRetries(method: request.method) { _ in
            let response = try await execute(request, on: httpClient, timeoutSeconds: timeout)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maxAnswerBytes)
            } catch {
                throw transportError(error, timeoutSeconds: timeout)
            }
            let status = Int(response.status.code)
            if !(200..<300).contains(status), status != 503 || request.pathSegments != ["health"] {
                throw GraphAPIClientError.fromResponse(
                    status: status, body: Array(body.readableBytesView), retryAfter: response.headers.first(name: "Retry-After")
                )
            }
            return HTTPAnswer(status: status, headers: response.headers, body: body)
        }
    }
}
