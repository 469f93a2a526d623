#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension S3Client {
    /// The region, key, endpoint, retries and timeout of a client.
    public struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// The region requests are signed for (`us-east-1`, …).
        public var region: String
        /// The key that signs.
        public var credentials: Credentials
        /// An S3-compatible endpoint (a local server, MinIO, …), addressed path-style
        /// (`http://host:port/bucket/key`); nil for AWS, addressed virtual-hosted
        /// (`https://bucket.s3.<region>.amazonaws.com/key`; path-style for a bucket with a dot,
        /// which the wildcard certificate does not cover).
        public var endpoint: Endpoint?
        /// When failed requests are sent again.
        public var retryPolicy: RetryPolicy
        /// How long one attempt may take: until the answer's head for a streamed download, until
        /// the whole answer otherwise. A streamed body's pauses are bounded by the `HTTPClient`'s
        /// read timeout instead.
        public var requestTimeout: Duration

        /// Creates a configuration.
        public init(
            region: String = "us-east-1", credentials: Credentials, endpoint: Endpoint? = nil, retryPolicy: RetryPolicy = RetryPolicy(),
            requestTimeout: Duration = .seconds(300)
        ) {
            self.region = region
            self.credentials = credentials
            self.endpoint = endpoint
            self.retryPolicy = retryPolicy
            self.requestTimeout = requestTimeout
        }

        /// The environment variable with the access key id.
        public static let accessKeyIDVariable = "AWS_ACCESS_KEY_ID"
        /// The environment variable with the secret access key.
        public static let secretAccessKeyVariable = "AWS_SECRET_ACCESS_KEY"
        /// The environment variable with the session token of temporary credentials.
        public static let sessionTokenVariable = "AWS_SESSION_TOKEN"
        /// The environment variables with the region, the first set wins.
        public static let regionVariables = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        /// The environment variables with an endpoint URL, the first set wins (the S3-specific
        /// one first, as in AWS's SDKs).
        public static let endpointVariables = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]

        /// The configuration AWS's variables describe: `AWS_ACCESS_KEY_ID`,
        /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (optional), `AWS_REGION` or
        /// `AWS_DEFAULT_REGION` (default `us-east-1`), `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`
        /// (optional). An empty variable counts as unset.
        ///
        /// - Parameter environment: The variables, usually `ProcessInfo.processInfo.environment`.
        /// - Throws: ``S3ClientError`` (``S3ClientError/Kind/invalidConfiguration``) naming the
        ///   missing key variables or the endpoint URL that cannot be used.
        public static func fromEnvironment(_ environment: [String: String]) throws(S3ClientError) -> Configuration {
            func value(_ name: String) -> String? {
                guard let value = environment[name]?.trimmingSpaces(), !value.isEmpty else { return nil }
                return String(value)
            }
            let keyID = value(accessKeyIDVariable)
            let secret = value(secretAccessKeyVariable)
            guard let keyID, let secret else {
                let missing = [(accessKeyIDVariable, keyID), (secretAccessKeyVariable, secret)].filter { $0.1 == nil }.map(\.0)
                throw S3ClientError(
                    .invalidConfiguration,
                    "no S3 credentials: \(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") not set")
            }
            let region = regionVariables.lazy.compactMap(value).first ?? "us-east-1"
            var endpoint: Endpoint?
            if let (name, url) = endpointVariables.lazy.compactMap({ name in value(name).map { (name, $0) } }).first {
                do {
                    endpoint = try Endpoint(url: url)
                } catch {
                    throw S3ClientError(.invalidConfiguration, "\(name): \(error.description)")
                }
            }
            return Configuration(
                region: region, credentials: Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: value(sessionTokenVariable)),
                endpoint: endpoint)
        }

        /// The region, endpoint, retries, timeout and access key id; never the secret.
        public var description: String {
            "S3Client.Configuration(region: \(region), endpoint: \(endpoint?.description ?? "AWS"), credentials: \(credentials), "
                + "retries: \(retryPolicy.maxAttempts) attempts, timeout: \(requestTimeout))"
        }
    }

    /// An access key: its id, its secret and, for temporary credentials, a session token.
    public struct Credentials: Sendable, Hashable, CustomStringConvertible {
        /// The access key id (`AKIA…`, `ASIA…`).
        public var accessKeyID: String
        /// The secret access key.
        public var secretAccessKey: String
        /// The session token of temporary credentials, sent as `x-amz-security-token`.
        public var sessionToken: String?

        /// Creates credentials.
        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }

        /// The key id only: the secret and token never go into a log.
        public var description: String {
            "Credentials(accessKeyID: \(accessKeyID), secret: <redacted>\(sessionToken == nil ? "" : ", session token: <redacted>"))"
        }
    }

    /// An S3-compatible server: `http://host:port` or `https://host[:port]`.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// `http` or `https`.
        public var scheme: String
        /// The host name or address (an IPv6 address without brackets).
        public var host: String
        /// The port, or nil for the scheme's default.
        public var port: Int?

        /// Parses an endpoint URL such as `http://127.0.0.1:9000` or `https://s3.example.com`.
        /// A path other than `/`, a query or user information is refused: S3 paths begin at the
        /// bucket.
        ///
        /// - Throws: ``S3ClientError`` (``S3ClientError/Kind/invalidConfiguration``) saying what
        ///   is wrong with the URL.
        public init(url: String) throws(S3ClientError) {
            func invalid(_ why: String) -> S3ClientError {
                S3ClientError(.invalidConfiguration, "the S3 endpoint '\(url)' cannot be used: \(why)")
            }
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
                throw invalid("expected http://host:port or https://host")
            }
            guard scheme == "http" || scheme == "https" else { throw invalid("the scheme must be http or https") }
            guard var host = components.host, !host.isEmpty else { throw invalid("it names no host") }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard components.path.isEmpty || components.path == "/" else {
                throw invalid("it has a path; S3 paths begin at the bucket")
            }
            guard components.query == nil, components.fragment == nil, components.user == nil else {
                throw invalid("a query, fragment or user name is not allowed")
            }
            if let port = components.port, !(1...65_535).contains(port) { throw invalid("the port is out of range") }
            self.init(scheme: scheme, host: host, port: components.port)
        }

        /// An endpoint from its parts.
        public init(scheme: String = "https", host: String, port: Int? = nil) {
            self.scheme = scheme
            self.host = host
            self.port = port
        }

        /// Whether the scheme is `https`.
        public var usesTLS: Bool { scheme == "https" }

        /// `host[:port]` as it goes into a URL and the `Host` header (IPv6 in brackets; no port
        /// when it is the scheme's default).
        var authority: String {
            let hostPart = host.contains(":") ? "[\(host)]" : host
            guard let port, port != (usesTLS ? 443 : 80) else { return hostPart }
            return "\(hostPart):\(port)"
        }

        /// `scheme://host[:port]`.
        public var description: String { "\(scheme)://\(authority)" }
    }

    /// When a failed request is sent again: how often, and how long to wait in between
    /// (exponential backoff with full jitter: before retry *n*, a random time between 0 and
    /// `min(maxDelay, baseDelay × 2^(n-1))`).
    ///
    /// Only failures that sending again can cure are retried: no answer (a transport error), 5xx,
    /// 429, `SlowDown` and `RequestTimeout`; and only for requests that do nothing twice (every
    /// operation but `CreateMultipartUpload`, which is retried only when S3 refused it or the
    /// connection was never opened). Other 4xx answers are never retried.
    public struct RetryPolicy: Sendable, Hashable {
        /// Attempts in all, the first included (`1` turns retries off).
        public var maxAttempts: Int
        /// The first backoff's upper bound.
        public var baseDelay: Duration
        /// No backoff is longer than this.
        public var maxDelay: Duration

        /// Creates a policy; `maxAttempts` is at least 1 and the delays at least zero.
        public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(20)) {
            self.maxAttempts = max(1, maxAttempts)
            self.baseDelay = max(.zero, baseDelay)
            self.maxDelay = max(.zero, maxDelay)
        }

        /// No retries.
        public static let none = RetryPolicy(maxAttempts: 1)

        /// The upper bound of the backoff before retry `retry` (1 for the first retry).
        public func delayBound(beforeRetry retry: Int) -> Duration {
            let doublings = min(max(retry - 1, 0), 40)
            let bound = baseDelay.seconds * Double(UInt64(1) << UInt64(doublings))
            return .seconds(min(maxDelay.seconds, bound))
        }

        /// A backoff before retry `retry`: uniformly random between zero and
        /// ``delayBound(beforeRetry:)``.
        public func delay(beforeRetry retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
            let bound = delayBound(beforeRetry: retry).seconds
            return bound > 0 ? .seconds(Double.random(in: 0...bound, using: &generator)) : .zero
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
