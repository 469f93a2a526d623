import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import S3Client
import Testing

/// The local S3 servers (moto) that `scripts/test.sh` starts: one that accepts any key, one that
/// checks signatures. A test that needs one is skipped, not passed, when its variables are not
/// set (see ``Trait/openS3`` and ``Trait/authS3``).
enum S3TestEnvironment {
    /// `host:port` of the server that accepts any key; buckets are made by the tests.
    static var openEndpoint: String? { variable("GRAPH_API_TEST_S3_ENDPOINT") }

    /// The server that checks signatures, and a key it knows (bucket `graph-api-auth` exists).
    static var auth: (endpoint: String, keyID: String, secret: String)? {
        guard let endpoint = variable("GRAPH_API_TEST_S3_AUTH_ENDPOINT"), let keyID = variable("GRAPH_API_TEST_S3_AUTH_KEY_ID"),
            let secret = variable("GRAPH_API_TEST_S3_AUTH_SECRET")
        else { return nil }
        return (endpoint, keyID, secret)
    }

    /// The bucket that exists on the authenticating server.
    static let authBucket = "graph-api-auth"

    private static func variable(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// Fast retries, so that a retried failure does not slow the suite down.
    static let quickRetries = S3Client.RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))

    /// A client of the open server (any key is accepted there).
    static func openClient(retryPolicy: S3Client.RetryPolicy = quickRetries) throws -> S3Client {
        let endpoint = try #require(openEndpoint)
        return try client(endpoint: endpoint, keyID: "test-key", secret: "test-secret", retryPolicy: retryPolicy)
    }

    /// A client of the authenticating server, with its key unless one is given.
    static func authClient(keyID: String? = nil, secret: String? = nil, retryPolicy: S3Client.RetryPolicy = quickRetries) throws
        -> S3Client
    {
        let auth = try #require(auth)
        return try client(endpoint: auth.endpoint, keyID: keyID ?? auth.keyID, secret: secret ?? auth.secret, retryPolicy: retryPolicy)
    }

    static func client(endpoint: String, keyID: String, secret: String, retryPolicy: S3Client.RetryPolicy = quickRetries) throws
        -> S3Client
    {
        let configuration = S3Client.Configuration(
            region: "us-east-1", credentials: .init(accessKeyID: keyID, secretAccessKey: secret),
            endpoint: try S3Client.Endpoint(url: "http://\(endpoint)"), retryPolicy: retryPolicy, requestTimeout: .seconds(60))
        return S3Client(httpClient: .shared, configuration: configuration)
    }

    /// A bucket name no other test uses.
    static func uniqueBucket() -> String {
        "s3client-\(UUID().uuidString.lowercased().prefix(18))"
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs only where the open local S3 server's variable is set (as `scripts/test.sh` does).
    static var openS3: Self {
        .enabled(
            if: S3TestEnvironment.openEndpoint != nil,
            "GRAPH_API_TEST_S3_ENDPOINT is not set: scripts/test.sh starts a local S3 server (moto) and sets it")
    }

    /// Runs only where the authenticating local S3 server's variables are set.
    static var authS3: Self {
        .enabled(
            if: S3TestEnvironment.auth != nil,
            "GRAPH_API_TEST_S3_AUTH_* are not set: scripts/test.sh starts a signature-checking S3 server (moto) and sets them")
    }
}

/// Bytes that differ at every position and between seeds (an xorshift stream), to make the
/// objects of a test without holding them twice.
struct TestBytes {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    mutating func next(_ count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            for index in 0..<count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                pointer[index] = UInt8(truncatingIfNeeded: state)
            }
            return count
        }
        return buffer
    }
}

/// A stream of `count` buffers of `chunkSize` bytes (the last may be shorter to make `total`),
/// whose SHA-256 is known in advance; it throws `failure` instead of the chunk after `failAfter`
/// bytes, if given.
struct TestChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    var total: Int
    var chunkSize: Int
    var seed: UInt64
    var failAfter: Int?

    struct StreamFailure: Error, Equatable {}

    /// SHA-256 of the bytes the stream yields (without a failure).
    var sha256: SHA256.Digest {
        var hasher = SHA256()
        var generator = TestBytes(seed: seed)
        var left = total
        while left > 0 {
            let chunk = generator.next(Swift.min(chunkSize, left))
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            left -= chunk.readableBytes
        }
        return hasher.finalize()
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var generator: TestBytes
        var left: Int
        var sent = 0
        let chunkSize: Int
        let failAfter: Int?

        mutating func next() async throws -> ByteBuffer? {
            if let failAfter, sent >= failAfter { throw StreamFailure() }
            guard left > 0 else { return nil }
            let chunk = generator.next(Swift.min(chunkSize, left))
            left -= chunk.readableBytes
            sent += chunk.readableBytes
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(generator: TestBytes(seed: seed), left: total, chunkSize: chunkSize, failAfter: failAfter)
    }
}

/// SHA-256 of a streamed body, read chunk by chunk.
func sha256(of body: S3ObjectBody) async throws -> (digest: SHA256.Digest, count: Int) {
    var hasher = SHA256()
    var count = 0
    for try await chunk in body {
        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        count += chunk.readableBytes
    }
    return (hasher.finalize(), count)
}

/// The error `body` throws, as `S3Error`, or nil (and an issue) when it throws something else or
/// nothing.
func s3Error(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> S3Error? {
    do {
        try await body()
        Issue.record("expected an S3Error, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as S3Error {
        return error
    } catch {
        Issue.record("expected an S3Error, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
