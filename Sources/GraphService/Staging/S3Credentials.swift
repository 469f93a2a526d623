import Logging
import Foundation
import Staging

/// Credentials for `s3://` sources: from the environment (`AWS_*`) or from a request's
/// `s3_credentials`. Never logged and never shown by `/info`.
public struct S3Credentials: Sendable, Equatable {
    /// `aws_access_key_id`.
    public var accessKeyID: String
    /// `aws_secret_access_key`.
    public var secretAccessKey: String
    /// `aws_session_token`, for temporary credentials.
    public var sessionToken: String?
    /// `region` (default `us-east-1`).
    public var region: String?
    /// `endpoint_url` of an S3-compatible store (`http://127.0.0.1:9000`); `nil` for AWS.
    public var endpointURL: String?

    /// Credentials given explicitly.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String? = nil, endpointURL: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.endpointURL = endpointURL
    }

    /// Credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (both needed, else `nil`),
    /// with `AWS_SESSION_TOKEN`, `AWS_DEFAULT_REGION` (or `AWS_REGION`) and `AWS_ENDPOINT_URL`.
    ///
    /// - Throws: when `AWS_ENDPOINT_URL` is not an `http(s)://host[:port]` URL.
    init?(environment env: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let value = env[name], !value.isEmpty else { return nil }
            return value
        }
        guard let keyID = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else { return nil }
        let endpoint = value("AWS_ENDPOINT_URL")
        if let endpoint, StagingS3Secret.endpoint(fromURL: endpoint) == nil {
            throw ConfigurationError("invalid AWS_ENDPOINT_URL '\(endpoint)': expected http(s)://host[:port]")
        }
        self.init(
            accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"),
            region: value("AWS_DEFAULT_REGION") ?? value("AWS_REGION"), endpointURL: endpoint
        )
    }

    /// The DuckDB secret for these credentials: path-style URLs for a custom endpoint (what
    /// S3-compatible stores need), AWS's virtual-host style otherwise.
    func secret(name: String = "graph_api_s3") throws(ServiceError) -> StagingS3Secret {
        guard !accessKeyID.isEmpty, !secretAccessKey.isEmpty else {
            throw ServiceError(.invalidS3Credentials, "s3_credentials needs aws_access_key_id and aws_secret_access_key")
        }
        var secret = StagingS3Secret(
            name: name, keyID: accessKeyID, secret: secretAccessKey, sessionToken: sessionToken, region: region ?? "us-east-1"
        )
        if let endpointURL {
            guard let parsed = StagingS3Secret.endpoint(fromURL: endpointURL) else {
                throw ServiceError(.invalidS3Credentials, "endpoint_url must be http(s)://host[:port], got '\(endpointURL)'")
            }
            secret.endpoint = parsed.endpoint
            secret.useSSL = parsed.useSSL
            secret.urlStyle = .path
        }
        return secret
    }
}
