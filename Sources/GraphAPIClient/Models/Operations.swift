/// `GET /health`.
public struct HealthResponse: Codable, Sendable, Hashable {
    /// `healthy` (or `unhealthy`, which the server sends with status 503).
    public var status: String
    /// Seconds since the server started.
    public var uptimeSeconds: Double
    /// The server's version.
    public var version: String

    /// Creates a value.
    public init(status: String, uptimeSeconds: Double, version: String) {
        self.status = status
        self.uptimeSeconds = uptimeSeconds
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case status, version
        case uptimeSeconds = "uptime_seconds"
    }
}
