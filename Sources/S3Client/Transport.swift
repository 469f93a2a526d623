import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One S3 operation as the client describes it, before it is addressed and signed (which happens
/// again for every attempt, with that attempt's time).
struct S3Request: Sendable {
    /// The operation's AWS name, for errors.
    var operation: String
    var method: HTTPMethod
    var bucket: String?
    var key: String?
    /// Query parameters, not encoded.
    var query: [(name: String, value: String)] = []
    /// Headers to sign besides `host` and the `x-amz-*` ones (`content-type`, `range`).
    var headers: [(name: String, value: String)] = []
    var body: ByteBuffer?
    /// Hex SHA-256 of `body`.
    var payloadHash: String = SigV4Signer.emptyPayloadHash
    /// Whether sending it twice does nothing twice; if not, it is retried only when it cannot
    /// have been carried out.
    var idempotent = true

    /// `s3://bucket/key`, for messages.
    var location: String {
        bucket.map { S3Location.render(bucket: $0, key: key ?? "") } ?? "(no bucket)"
    }
}

/// An answer whose body was read whole.
struct CollectedResponse: Sendable {
    var head: ResponseHead
    var body: ByteBuffer

    /// A header S3 always sends on success.
    func requiredHeader(_ name: String, for request: S3Request) throws(S3ClientError) -> String {
        guard let value = head.headers.first(name: name) else {
            throw S3ClientError(.invalidResponse, "S3 \(request.operation) \(request.location): the answer has no \(name) header")
        }
        return value
    }
}

/// The status and headers of an answer.
struct ResponseHead: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
}

extension S3Client {
    /// Sends `request` (with retries) and reads the successful answer's body whole, at most
    /// `limit` bytes. Each attempt, body included, is bounded by the request timeout.
    /// `inspect` may throw to fail an attempt whose status was a success (an error in a 200).
    func sendCollecting(
        _ request: S3Request, limit: Int, inspect: @escaping @Sendable (ResponseHead, ByteBuffer) throws -> Void = { _, _ in }
    ) async throws -> CollectedResponse {
        try await withRetries(request) {
            try await withTimeout(configuration.requestTimeout) {
                let response = try await execute(request)
                let head = ResponseHead(status: response.status, headers: response.headers)
                if let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length > limit,
                    request.method != .HEAD
                {
                    throw S3ClientError(
                        .bodyTooLarge, "S3 \(request.operation) \(request.location): the answer has \(length) bytes, over the limit of \(limit)")
                }
                var body = ByteBuffer()
                for try await chunk in response.body {
                    guard body.readableBytes + chunk.readableBytes <= limit else {
                        throw S3ClientError(
                            .bodyTooLarge, "S3 \(request.operation) \(request.location): the answer is longer than the limit of \(limit) bytes")
                    }
                    var chunk = chunk
                    body.writeBuffer(&chunk)
                }
                try inspect(head, body)
                return CollectedResponse(head: head, body: body)
            }
        }
    }

    /// Sends `request` (with retries) until a successful answer's head arrives, and returns it with
    /// its body unread. The request timeout bounds the wait for the head.
    func sendStreaming(_ request: S3Request) async throws -> HTTPClientResponse {
        try await withRetries(request) {
            try await execute(request)
        }
    }

    /// One attempt: addressed, signed now, sent. A status other than 2xx is thrown as an
    /// ``S3Error`` made from the error body.
    private func execute(_ request: S3Request) async throws -> HTTPClientResponse {
        let prepared = prepare(request, date: Date())
        let response = try await httpClient.execute(prepared, deadline: .now() + TimeAmount(configuration.requestTimeout))
        guard (200..<300).contains(response.status.code) else {
            var body = ByteBuffer()
            do {
                for try await chunk in response.body {
                    var chunk = chunk
                    body.writeBuffer(&chunk)
                    if body.readableBytes >= Self.errorBodyLimit { break }
                }
            } catch {
                // The error's code from the status alone is still worth more than a read error.
            }
            throw Self.s3Error(for: request, status: Int(response.status.code), headers: response.headers, body: body)
        }
        return response
    }

    /// The request of one attempt: URL, `Host`, signature for `date`, body.
    func prepare(_ request: S3Request, date: Date) -> HTTPClientRequest {
        let address = address(bucket: request.bucket, key: request.key)
        let query = SigV4Signer.canonicalQueryString(request.query)
        var httpRequest = HTTPClientRequest(url: address.base + address.path + (query.isEmpty ? "" : "?" + query))
        httpRequest.method = request.method
        let signature = signer.sign(
            method: request.method.rawValue, canonicalURI: address.path, query: request.query,
            headers: [("host", address.authority)] + request.headers, payloadHash: request.payloadHash, date: date)
        for (name, value) in signature.headers {
            httpRequest.headers.add(name: name, value: value)
        }
        httpRequest.headers.add(name: "user-agent", value: Self.userAgent)
        if let body = request.body {
            httpRequest.body = .bytes(body)
        }
        return httpRequest
    }

    /// Where a request goes: `scheme://authority`, the `Host` header, and the encoded path (which
    /// is also the signature's canonical URI).
    ///
    /// With an endpoint, path-style: `http://host:port/bucket/key`. On AWS, virtual-hosted:
    /// `https://bucket.s3.region.amazonaws.com/key`, or path-style on
    /// `s3.region.amazonaws.com` for a bucket whose name has a dot (the certificate's wildcard
    /// covers one label) or is not a valid host label.
    func address(bucket: String?, key: String?) -> (base: String, authority: String, path: String) {
        let encodedKey = key.map { SigV4Signer.uriEncode($0, encodeSlash: false) }
        if let endpoint = configuration.endpoint {
            var path = "/"
            if let bucket {
                path += SigV4Signer.uriEncode(bucket, encodeSlash: true)
                if let encodedKey { path += "/" + encodedKey }
            }
            return ("\(endpoint.scheme)://\(endpoint.authority)", endpoint.authority, path)
        }
        let regional = "s3.\(configuration.region).amazonaws.com"
        guard let bucket else { return ("https://\(regional)", regional, "/") }
        if !bucket.contains("."), S3Location.bucketNameProblem(bucket) == nil {
            let host = "\(bucket).\(regional)"
            return ("https://\(host)", host, "/" + (encodedKey ?? ""))
        }
        var path = "/" + SigV4Signer.uriEncode(bucket, encodeSlash: true)
        if let encodedKey { path += "/" + encodedKey }
        return ("https://\(regional)", regional, path)
    }

    /// Runs `attempt` until it succeeds, fails in a way not worth retrying, or the policy's
    /// attempts are spent, with backoff in between. The error thrown carries the attempt count.
    func withRetries<Result: Sendable>(_ request: S3Request, _ attempt: () async throws -> Result) async throws -> Result {
        let policy = configuration.retryPolicy
        var generator = SystemRandomNumberGenerator()
        var attempts = 1
        while true {
            do {
                return try await attempt()
            } catch var error as S3Error {
                error.attempts = attempts
                // A request that is not idempotent is sent again only when S3 refused it.
                let refused = error.status == 503 || error.status == 429 || error.code == .slowDown
                guard attempts < policy.maxAttempts, error.isRetryable, request.idempotent || refused else { throw error }
            } catch let error as S3ClientError {
                throw error
            } catch {
                if error is CancellationError || Task.isCancelled { throw CancellationError() }
                let notSent = Self.requestNotSent(error)
                guard attempts < policy.maxAttempts, !Self.isPermanent(error), request.idempotent || notSent else {
                    throw S3TransportError(
                        operation: request.operation, bucket: request.bucket, key: request.key, attempts: attempts, requestNotSent: notSent,
                        underlying: error)
                }
            }
            try await Task.sleep(for: policy.delay(beforeRetry: attempts, using: &generator))
            attempts += 1
        }
    }

    /// Runs `operation`, and fails it with `HTTPClientError.deadlineExceeded` (cancelling it) when
    /// it takes longer than `timeout`.
    func withTimeout<Result: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Result) async throws
        -> Result
    {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return result
        }
    }

    /// Whether a transport error happened before anything was sent: the connection could not be
    /// opened.
    static func requestNotSent(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return true }
        if case ChannelError.connectTimeout = error { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout || error == .getConnectionFromPoolTimeout {
            return true
        }
        return false
    }

    /// Errors of the request or the client itself, which no retry cures.
    static func isPermanent(_ error: any Error) -> Bool {
        guard let error = error as? HTTPClientError else { return false }
        return [
            .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown, .bodyLengthMismatch, .invalidRedirectConfiguration,
            .redirectLimitReached, .redirectCycleDetected, .traceRequestWithBody,
        ].contains(error)
    }

    /// The error an answer with an error status (or an error body) stands for.
    static func s3Error(for request: S3Request, status: Int, headers: HTTPHeaders, body: ByteBuffer) -> S3Error {
        var code = S3Error.Code(rawValue: fallbackCode(status: status))
        var message = HTTPResponseStatus(statusCode: status).reasonPhrase
        var requestID = headers.first(name: "x-amz-request-id")
        var hostID = headers.first(name: "x-amz-id-2")
        if body.readableBytes > 0, let root = try? S3XMLElement.parse(body.readableBytesView), root.name == "Error" {
            if let value = root.text(of: "Code"), !value.isEmpty { code = S3Error.Code(rawValue: value) }
            if let value = root.text(of: "Message") { message = value }
            if let region = root.text(of: "Region") { message += " (region \(region))" }
            requestID = requestID ?? root.text(of: "RequestId")
            hostID = hostID ?? root.text(of: "HostId")
        }
        return S3Error(
            operation: request.operation, bucket: request.bucket, key: request.key, status: status, code: code, message: message,
            requestID: requestID, hostID: hostID)
    }

    /// A code for an answer without an error body.
    private static func fallbackCode(status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 412: "PreconditionFailed"
        case 416: "InvalidRange"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}

extension TimeAmount {
    /// A `Duration` as nanoseconds, saturating.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? .max : scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
    }
}
