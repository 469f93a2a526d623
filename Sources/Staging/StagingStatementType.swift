import CDuckDB

/// The kind of a SQL statement, as DuckDB classifies it when preparing
/// (`duckdb_prepared_statement_type`) — without running it.
///
/// `SELECT`, `WITH … SELECT`, `FROM t`, `VALUES`, `DESCRIBE`, `SHOW`, `SUMMARIZE` and
/// `PRAGMA` table functions all classify as ``select``; `EXPLAIN` is ``explain``. Text holding more
/// than one statement is ``multiple`` (see ``StagingConnection/statementType(of:)``).
public struct StagingStatementType: Sendable, Hashable, CustomStringConvertible {
    /// DuckDB's `duckdb_statement_type` value.
    public let rawValue: UInt32

    init(_ type: duckdb_statement_type) { rawValue = type.rawValue }

    /// A single query.
    public static let select = Self(DUCKDB_STATEMENT_TYPE_SELECT)
    /// INSERT.
    public static let insert = Self(DUCKDB_STATEMENT_TYPE_INSERT)
    /// UPDATE.
    public static let update = Self(DUCKDB_STATEMENT_TYPE_UPDATE)
    /// DELETE.
    public static let delete = Self(DUCKDB_STATEMENT_TYPE_DELETE)
    /// EXPLAIN (and EXPLAIN ANALYZE, which runs its statement).
    public static let explain = Self(DUCKDB_STATEMENT_TYPE_EXPLAIN)
    /// CREATE (table, view, schema, secret, ...).
    public static let create = Self(DUCKDB_STATEMENT_TYPE_CREATE)
    /// ALTER.
    public static let alter = Self(DUCKDB_STATEMENT_TYPE_ALTER)
    /// DROP.
    public static let drop = Self(DUCKDB_STATEMENT_TYPE_DROP)
    /// COPY (to or from a file).
    public static let copy = Self(DUCKDB_STATEMENT_TYPE_COPY)
    /// ATTACH.
    public static let attach = Self(DUCKDB_STATEMENT_TYPE_ATTACH)
    /// DETACH.
    public static let detach = Self(DUCKDB_STATEMENT_TYPE_DETACH)
    /// SET / RESET of a setting.
    public static let set = Self(DUCKDB_STATEMENT_TYPE_SET)
    /// A variable SET.
    public static let variableSet = Self(DUCKDB_STATEMENT_TYPE_VARIABLE_SET)
    /// PRAGMA that is not a table function.
    public static let pragma = Self(DUCKDB_STATEMENT_TYPE_PRAGMA)
    /// CALL.
    public static let call = Self(DUCKDB_STATEMENT_TYPE_CALL)
    /// LOAD (or INSTALL) of an extension.
    public static let load = Self(DUCKDB_STATEMENT_TYPE_LOAD)
    /// BEGIN, COMMIT, ROLLBACK.
    public static let transaction = Self(DUCKDB_STATEMENT_TYPE_TRANSACTION)
    /// EXPORT DATABASE.
    public static let export = Self(DUCKDB_STATEMENT_TYPE_EXPORT)
    /// COPY FROM DATABASE.
    public static let copyDatabase = Self(DUCKDB_STATEMENT_TYPE_COPY_DATABASE)
    /// MERGE INTO.
    public static let mergeInto = Self(DUCKDB_STATEMENT_TYPE_MERGE_INTO)
    /// More than one statement in one text.
    public static let multiple = Self(DUCKDB_STATEMENT_TYPE_MULTI)
    /// A statement DuckDB could not classify.
    public static let invalid = Self(DUCKDB_STATEMENT_TYPE_INVALID)

    /// Whether this is a single query (`SELECT`, `WITH`, `FROM`, `VALUES`, `DESCRIBE`, ...).
    public var isSelect: Bool { self == .select }

    /// The statement kind's upper-case name, e.g. `"SELECT"`, `"COPY"`, `"MULTI"`.
    public var description: String {
        switch self {
        case .select: "SELECT"
        case .insert: "INSERT"
        case .update: "UPDATE"
        case .delete: "DELETE"
        case .explain: "EXPLAIN"
        case .create: "CREATE"
        case .alter: "ALTER"
        case .drop: "DROP"
        case .copy: "COPY"
        case .attach: "ATTACH"
        case .detach: "DETACH"
        case .set: "SET"
        case .variableSet: "VARIABLE_SET"
        case .pragma: "PRAGMA"
        case .call: "CALL"
        case .load: "LOAD"
        case .transaction: "TRANSACTION"
        case .export: "EXPORT"
        case .copyDatabase: "COPY_DATABASE"
        case .mergeInto: "MERGE_INTO"
        case .multiple: "MULTI"
        case .invalid: "INVALID"
        default: "STATEMENT_\(rawValue)"
        }
    }
}
