import CDuckDB

public enum StagingVersion {
    public static var duckdb: String { String(cString: duckdb_library_version()) }
}
