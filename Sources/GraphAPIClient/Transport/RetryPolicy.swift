/// When and how often a failed request is sent again.
///
/// A request is retried only when sending it again cannot do something twice:
/// - idempotent methods (`GET`, `HEAD`, `PUT`, `DELETE`) after a transport failure (no answer) or
///   an answer of `503` or `429`;
/// - any method, `POST` included, when the connection could not even be opened (the server never
///   received the request).
///
/// A `POST` that reached the server is never sent again automatically: a Cypher query may write,
/// and the client cannot tell (queries, loads, ingests and copies are all `POST`). Other `4xx`
/// answers are never retried.
///
/// The wait before retry *n* (1, 2, …) is a random duration between zero and
/// `min(maxDelaySeconds, baseDelaySeconds × 2^(n-1))` ("full jitter"), except after a `503` or
/// `429` that carries `Retry-After`: then exactly that many seconds, or no retry at all when it is
/// longer than ``maxRetryAfterSeconds`` (the error carries the server's figure).
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (`1` turns retries off).
    public var maxAttempts: Int
    /// The first backoff's upper bound, in seconds.
    public var baseDelaySeconds: Double
    /// No backoff is longer than this, in seconds.
    public var maxDelaySeconds: Double
    /// The longest `Retry-After` the client waits for; a longer one fails at once.
    public var maxRetryAfterSeconds: Double

    /// Creates a policy.
    public init(maxAttempts: Int = 3, baseDelaySeconds: Double = 0.25, maxDelaySeconds: Double = 8, maxRetryAfterSeconds: Double = 30) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelaySeconds = max(0, baseDelaySeconds)
        self.maxDelaySeconds = max(0, maxDelaySeconds)
        self.maxRetryAfterSeconds = max(0, maxRetryAfterSeconds)
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Whether `method` may be sent twice without doing something twice.
    public static func isIdempotent(_ method: String) -> Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method.uppercased())
    }

    /// The backoff before retry `retry` (1 for the first retry): full jitter over the exponential bound.
    func backoffSeconds(retry: Int) -> Double {
        let bound = min(maxDelaySeconds, baseDelaySeconds * Double(1 << min(max(retry - 1, 0), 30)))
        return bound > 0 ? Double.random(in: 0...bound) : 0
    }

    /// How long to wait before the next attempt after `failure` on attempt `attempt` (1-based) of a
    /// `method` request, or `nil` when it must not be retried.
    func delayBeforeRetry(after failure: GraphAPIClientError, attempt: Int, method: String) -> Double? {
        guard attempt < maxAttempts else { return nil }
        switch failure.kind {
        case .transport where failure.requestNotSent:
            return backoffSeconds(retry: attempt)
        case .transport:
            return Self.isIdempotent(method) ? backoffSeconds(retry: attempt) : nil
        case .server where failure.status == 503 || failure.status == 429:
            guard Self.isIdempotent(method) else { return nil }
            guard let retryAfter = failure.retryAfterSeconds else { return backoffSeconds(retry: attempt) }
            return Double(retryAfter) <= maxRetryAfterSeconds ? Double(retryAfter) : nil
        default:
            return nil
        }
    }
}
