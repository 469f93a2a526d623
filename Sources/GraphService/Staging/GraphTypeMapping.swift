import Logging
import Foundation
/// How staged DuckDB column types meet the graph's property types.
enum GraphTypeMapping {
    /// Families of types that convert into each other without loss of meaning.
    enum Family: Equatable {
        case integer, float, decimal, string, bool, date, timestamp, interval, uuid, blob
        case list(element: String)
        case other
    }

    /// The family of a DuckDB type name (`BIGINT`, `DECIMAL(12,2)`, `VARCHAR[]`, ...).
    static func family(ofDuckDB type: String) -> Family {
        let upper = type.uppercased()
        if upper.hasSuffix("[]") { return .list(element: String(upper.dropLast(2))) }
        if upper.hasPrefix("DECIMAL") || upper.hasPrefix("NUMERIC") { return .decimal }
        switch upper {
        case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
            return .integer
        case "FLOAT", "DOUBLE", "REAL": return .float
        case "VARCHAR": return .string
        case "BOOLEAN": return .bool
        case "DATE": return .date
        case "INTERVAL": return .interval
        case "UUID": return .uuid
        case "BLOB": return .blob
        default:
            return upper.hasPrefix("TIMESTAMP") ? .timestamp : .other
        }
    }

    /// The DuckDB type a graph property type is written as in the Parquet file the engine COPYs,
    /// or `nil` when ingest does not support the type.
    static func duckDBType(forGraph type: String) -> String? {
        let upper = type.uppercased().trimmingCharacters(in: .whitespaces)
        if upper.hasSuffix("[]") {
            return duckDBType(forGraph: String(upper.dropLast(2))).map { $0 + "[]" }
        }
        if upper.hasPrefix("DECIMAL") { return "DOUBLE" }
        switch upper {
        case "STRING": return "VARCHAR"
        case "INT64", "SERIAL": return "BIGINT"
        case "INT32", "INT": return "INTEGER"
        case "INT16": return "SMALLINT"
        case "INT8": return "TINYINT"
        case "UINT64": return "UBIGINT"
        case "UINT32": return "UINTEGER"
        case "UINT16": return "USMALLINT"
        case "UINT8": return "UTINYINT"
        case "INT128": return "HUGEINT"
        case "DOUBLE": return "DOUBLE"
        case "FLOAT": return "FLOAT"
        case "BOOL", "BOOLEAN": return "BOOLEAN"
        case "DATE": return "DATE"
        case "TIMESTAMP": return "TIMESTAMP"
        case "TIMESTAMP_TZ": return "TIMESTAMPTZ"
        case "TIMESTAMP_MS": return "TIMESTAMP_MS"
        case "TIMESTAMP_NS": return "TIMESTAMP_NS"
        case "TIMESTAMP_SEC": return "TIMESTAMP_S"
        case "INTERVAL": return "INTERVAL"
        case "UUID": return "UUID"
        case "BLOB": return "BLOB"
        default: return nil
        }
    }

    /// Whether a staged column of DuckDB type `staged` may fill a graph property written as
    /// DuckDB type `target` (see ``duckDBType(forGraph:)``).
    static func isCompatible(staged: String, target: String) -> Bool {
        let from = family(ofDuckDB: staged)
        let to = family(ofDuckDB: target)
        switch (from, to) {
        case (.other, _), (_, .other): return false
        case (.list(let a), .list(let b)): return isCompatible(staged: a, target: b)
        case (.list, _), (_, .list): return false
        case (_, .string): return true
        case (let a, let b) where a == b: return true
        case (.integer, .float), (.integer, .decimal), (.decimal, .float), (.float, .decimal): return true
        case (.date, .timestamp), (.string, .uuid): return true
        default: return false
        }
    }
}
