/// S3 answered with an error: the HTTP status, and S3's `<Code>`, `<Message>` and request id
/// from the XML error body (or, for an answer without a body such as `HEAD`'s, a code made from
/// the status).
///
/// ``code`` is S3's machine code (`NoSuchKey`, `SignatureDoesNotMatch`, …); compare it with the
/// constants of ``Code``. ``attempts`` tells how often the request was sent before the client gave
/// up: 1 for an error that is never retried.
public struct S3Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// S3's error code, as in `<Code>`. The constants name the ones this client looks at or that
    /// are commonly met; any other code S3 sends is kept as it came.
    public struct Code: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
        /// The code as S3 spells it.
        public var rawValue: String

        /// Creates a code from S3's spelling.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Creates a code from a literal.
        public init(stringLiteral value: String) { self.rawValue = value }

        public var description: String { rawValue }

        /// The key does not exist.
        public static let noSuchKey: Code = "NoSuchKey"
        /// The bucket does not exist.
        public static let noSuchBucket: Code = "NoSuchBucket"
        /// The multipart upload does not exist: aborted, completed, or never created.
        public static let noSuchUpload: Code = "NoSuchUpload"
        /// The key is not allowed to do this.
        public static let accessDenied: Code = "AccessDenied"
        /// The signature does not match: most often a wrong secret key.
        public static let signatureDoesNotMatch: Code = "SignatureDoesNotMatch"
        /// The access key id is unknown.
        public static let invalidAccessKeyId: Code = "InvalidAccessKeyId"
        /// The session token is invalid or has expired.
        public static let invalidToken: Code = "InvalidToken"
        /// The session token has expired.
        public static let expiredToken: Code = "ExpiredToken"
        /// The request's time is more than 15 minutes away from S3's.
        public static let requestTimeTooSkewed: Code = "RequestTimeTooSkewed"
        /// The signature's region is not the bucket's.
        public static let authorizationHeaderMalformed: Code = "AuthorizationHeaderMalformed"
        /// The bucket is in another region, or needs another endpoint.
        public static let permanentRedirect: Code = "PermanentRedirect"
        /// The byte range asked for is outside the object.
        public static let invalidRange: Code = "InvalidRange"
        /// A part other than the last is under 5 MiB.
        public static let entityTooSmall: Code = "EntityTooSmall"
        /// A part named on completion was not uploaded, or its ETag differs.
        public static let invalidPart: Code = "InvalidPart"
        /// The parts named on completion are not in ascending order.
        public static let invalidPartOrder: Code = "InvalidPartOrder"
        /// The bucket exists and belongs to someone else.
        public static let bucketAlreadyExists: Code = "BucketAlreadyExists"
        /// The bucket exists and is yours already.
        public static let bucketAlreadyOwnedByYou: Code = "BucketAlreadyOwnedByYou"
        /// S3 asks to slow down (503): retried.
        public static let slowDown: Code = "SlowDown"
        /// S3 failed internally (500): retried.
        public static let internalError: Code = "InternalError"
        /// S3 is unavailable (503): retried.
        public static let serviceUnavailable: Code = "ServiceUnavailable"
        /// The connection idled while the body was sent (400): retried.
        public static let requestTimeout: Code = "RequestTimeout"
        /// Too many requests (429 from S3-compatible stores): retried.
        public static let tooManyRequests: Code = "TooManyRequests"
        /// Made by this client for `404` without a body (an answer to `HEAD`).
        public static let notFound: Code = "NotFound"
        /// Made by this client for `403` without a body (an answer to `HEAD`).
        public static let forbidden: Code = "Forbidden"
    }

    /// The operation, as AWS names it (`GetObject`, `UploadPart`, …).
    public var operation: String
    /// The bucket the request was about, if any.
    public var bucket: String?
    /// The key the request was about, if any.
    public var key: String?
    /// The HTTP status (for an error inside a `200` answer to `CompleteMultipartUpload`, `200`).
    public var status: Int
    /// S3's error code.
    public var code: Code
    /// S3's message for people (or, without a body, the status's reason).
    public var message: String
    /// S3's request id (`x-amz-request-id`, or `<RequestId>`), which AWS support asks for.
    public var requestID: String?
    /// S3's extended request id (`x-amz-id-2`, or `<HostId>`).
    public var hostID: String?
    /// How many times the request was sent.
    public var attempts: Int

    /// Creates an error; the client makes these from S3's answers.
    public init(
        operation: String, bucket: String? = nil, key: String? = nil, status: Int, code: Code, message: String,
        requestID: String? = nil, hostID: String? = nil, attempts: Int = 1
    ) {
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.hostID = hostID
        self.attempts = attempts
    }

    /// Whether sending the request again may succeed: 5xx, 429, `SlowDown` and `RequestTimeout`
    /// (and `InternalError` inside a `200`). No other 4xx.
    public var isRetryable: Bool {
        if status >= 500 || status == 429 { return true }
        return [.slowDown, .internalError, .serviceUnavailable, .requestTimeout, .tooManyRequests].contains(code)
    }

    /// Whether S3 said that the thing asked for does not exist (404).
    public var isNotFound: Bool { status == 404 }

    /// For example `S3 GetObject s3://bucket/key failed: 404 NoSuchKey: The specified key does
    /// not exist. (request id 4442587FB7D0A2F9, after 1 attempt)`.
    public var description: String {
        var text = "S3 \(operation)"
        if let bucket { text += " " + S3Location.render(bucket: bucket, key: key ?? "") }
        text += " failed: \(status) \(code.rawValue)"
        if !message.isEmpty { text += ": \(message)" }
        var notes: [String] = []
        if let requestID { notes.append("request id \(requestID)") }
        notes.append("after \(attempts) attempt\(attempts == 1 ? "" : "s")")
        if let hint { notes.append(hint) }
        return text + " (" + notes.joined(separator: ", ") + ")"
    }

    /// What to check, for the codes whose cause is usually on the caller's side.
    private var hint: String? {
        switch code {
        case .signatureDoesNotMatch: "check the secret access key"
        case .invalidAccessKeyId: "check the access key id"
        case .requestTimeTooSkewed: "check this machine's clock"
        case .authorizationHeaderMalformed, .permanentRedirect: "check the region or the endpoint"
        case .expiredToken, .invalidToken: "renew the session token"
        default: nil
        }
    }
}

/// No answer from S3: the connection could not be opened, broke, or the answer did not come in
/// time, on every attempt the retry policy allowed.
public struct S3TransportError: Error, Sendable, CustomStringConvertible {
    /// The operation, as AWS names it (`GetObject`, `UploadPart`, …).
    public var operation: String
    /// The bucket the request was about, if any.
    public var bucket: String?
    /// The key the request was about, if any.
    public var key: String?
    /// How many times the request was tried.
    public var attempts: Int
    /// Whether the last attempt never reached the server (the connection could not be opened).
    public var requestNotSent: Bool
    /// The last attempt's error, from AsyncHTTPClient or SwiftNIO.
    public var underlying: any Error

    /// Creates an error; the client makes these.
    public init(operation: String, bucket: String? = nil, key: String? = nil, attempts: Int, requestNotSent: Bool, underlying: any Error) {
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.attempts = attempts
        self.requestNotSent = requestNotSent
        self.underlying = underlying
    }

    /// For example `S3 HeadObject s3://bucket/key failed after 3 attempts: could not connect
    /// (connection refused: …)`.
    public var description: String {
        var text = "S3 \(operation)"
        if let bucket { text += " " + S3Location.render(bucket: bucket, key: key ?? "") }
        text += " failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): "
        text += requestNotSent ? "could not connect" : "no answer"
        return text + " (\(underlying))"
    }
}

/// Detected by the client itself, before or after talking to S3: an argument or configuration it
/// cannot use, an answer it cannot read, or a body larger than the caller allowed.
public struct S3ClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of a failure.
    public enum Kind: Sendable, Hashable {
        /// An argument that cannot make a request (a bucket name, a key, a part size, …).
        case invalidArgument
        /// A configuration or environment that cannot be used (missing keys, a bad endpoint URL).
        case invalidConfiguration
        /// S3 answered success with a body or headers this client cannot read.
        case invalidResponse
        /// A body is longer than the limit the caller gave for collecting it.
        case bodyTooLarge
    }

    /// The class of the failure.
    public var kind: Kind
    /// What is wrong, naming the argument, setting or operation.
    public var description: String

    /// Creates an error.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
