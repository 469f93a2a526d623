/// Quoting for the few places where SQL text has to be built (table names, file paths, secret
/// values): every identifier and string literal spliced into DuckDB SQL goes through these.
///
/// DuckDB follows the SQL standard: inside `"…"` a `"` is written twice, inside `'…'` a `'` is
/// written twice, and backslashes have no special meaning in either. A NUL character cannot be
/// passed through the C API at all; statements containing one are refused before they reach DuckDB
/// (see ``StagingConnection/execute(_:)``).
public enum StagingSQL {
    /// Quotes an identifier (table, column, schema or secret name): `my"t` → `"my""t"`.
    public static func identifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// Quotes a string literal: `it's` → `'it''s'`.
    public static func literal(_ text: String) -> String {
        "'" + text.replacing("'", with: "''") + "'"
    }

    /// Quotes a list of strings as a DuckDB list literal: `['a', 'b''c']`.
    public static func literalList(_ texts: [String]) -> String {
        "[" + texts.map(literal).joined(separator: ", ") + "]"
    }

    /// Whether `text` contains a NUL character, which would silently cut SQL passed as a C string.
    static func containsNUL(_ text: String) -> Bool {
        text.utf8.contains(0)
    }
}
