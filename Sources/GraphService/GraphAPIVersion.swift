/// The version of this server, reported by `--version`, `/health` and `/status`.
public enum GraphAPIVersion {
    /// Semantic version of the Graph API server.
    public static let string = "0.1.0"
}
