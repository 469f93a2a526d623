import CDuckDB

/// Versions of the engine behind the staging area.
public enum StagingVersion {
    /// The DuckDB library version, e.g. `"v1.5.5"`.
    public static var duckdb: String { String(cString: duckdb_library_version()) }
}
