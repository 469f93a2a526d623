import CLadybug

public enum EngineVersion {
    public static var ladybug: String {
        guard let p = lbug_get_version() else { return "unknown" }
        defer { lbug_destroy_string(p) }
        return String(cString: p)
    }
}
