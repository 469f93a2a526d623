import CLadybug

/// Versions of the graph engine linked into this process.
public enum EngineVersion {
    /// LadybugDB's version, e.g. `0.22.0`.
    public static var ladybug: String {
        guard let pointer = lbug_get_version() else { return "unknown" }
        defer { lbug_destroy_string(pointer) }
        return String(cString: pointer)
    }

    /// The storage format version of database files written by this engine.
    public static var ladybugStorage: UInt64 {
        lbug_get_storage_version()
    }
}
