/// Credentials and connection settings for reading and writing `s3://` URLs through httpfs,
/// created in DuckDB as a temporary (in-memory, never persisted) secret.
public struct StagingS3Secret: Sendable, Hashable {
    /// How bucket names go into request URLs.
    public enum URLStyle: String, Sendable, Hashable {
        /// `https://endpoint/bucket/key` — what local servers such as moto or MinIO need.
        case path
        /// `https://bucket.endpoint/key` — AWS's default.
        case vhost
    }

    /// The secret's name (an identifier; quoted when used).
    public var name: String
    /// The access key id.
    public var keyID: String
    /// The secret access key.
    public var secret: String
    /// A session token for temporary credentials.
    public var sessionToken: String?
    /// The region, e.g. `us-east-1`.
    public var region: String
    /// The endpoint as `host` or `host:port`, without a scheme; `nil` for AWS.
    public var endpoint: String?
    /// How bucket names go into URLs.
    public var urlStyle: URLStyle
    /// Whether to use HTTPS.
    public var useSSL: Bool
    /// A URL prefix the secret applies to (`s3://bucket`); `nil` for every `s3://` URL.
    public var scope: String?

    /// Creates S3 secret settings.
    public init(
        name: String = "s3",
        keyID: String,
        secret: String,
        sessionToken: String? = nil,
        region: String = "us-east-1",
        endpoint: String? = nil,
        urlStyle: URLStyle = .vhost,
        useSSL: Bool = true,
        scope: String? = nil
    ) {
        self.name = name
        self.keyID = keyID
        self.secret = secret
        self.sessionToken = sessionToken
        self.region = region
        self.endpoint = endpoint
        self.urlStyle = urlStyle
        self.useSSL = useSSL
        self.scope = scope
    }

    /// Splits an endpoint URL such as `http://127.0.0.1:9000/` into DuckDB's `host:port` endpoint
    /// and whether it uses TLS. Returns `nil` unless the scheme is `http` or `https` and a host
    /// follows.
    public static func endpoint(fromURL url: String) -> (endpoint: String, useSSL: Bool)? {
        let lowercased = url.lowercased()
        let useSSL: Bool
        let rest: Substring
        if lowercased.hasPrefix("https://") {
            useSSL = true
            rest = url.dropFirst("https://".count)
        } else if lowercased.hasPrefix("http://") {
            useSSL = false
            rest = url.dropFirst("http://".count)
        } else {
            return nil
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return host.isEmpty ? nil : (String(host), useSSL)
    }

    /// The `CREATE OR REPLACE TEMPORARY SECRET` statement, every value quoted.
    var createStatement: String {
        var options = [
            "TYPE s3",
            "KEY_ID \(StagingSQL.literal(keyID))",
            "SECRET \(StagingSQL.literal(secret))",
            "REGION \(StagingSQL.literal(region))",
            "URL_STYLE \(StagingSQL.literal(urlStyle.rawValue))",
            "USE_SSL \(useSSL)",
        ]
        if let sessionToken { options.append("SESSION_TOKEN \(StagingSQL.literal(sessionToken))") }
        if let endpoint { options.append("ENDPOINT \(StagingSQL.literal(endpoint))") }
        if let scope { options.append("SCOPE \(StagingSQL.literal(scope))") }
        return "CREATE OR REPLACE TEMPORARY SECRET \(StagingSQL.identifier(name)) (\(options.joined(separator: ", ")))"
    }
}

extension StagingDatabase {
    /// Creates (or replaces) an S3 secret for the whole instance. Requires the httpfs extension
    /// (``loadExtension(at:)``). The secret lives in memory only.
    public func createSecret(_ secret: StagingS3Secret) throws(StagingError) {
        try withTemporaryConnection { (connection) throws(StagingError) in
            try connection.execute(secret.createStatement)
        }
    }

    /// Drops a temporary secret by name if it exists.
    public func dropSecret(named name: String) throws(StagingError) {
        try withTemporaryConnection { (connection) throws(StagingError) in
            try connection.execute("DROP TEMPORARY SECRET IF EXISTS \(StagingSQL.identifier(name))")
        }
    }
}
