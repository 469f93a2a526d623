import GraphEngine

/// Which statements the HTTP API lets a tenant run, decided on the engine's own parse of the text
/// (``StatementFacts``), never on the text itself.
///
/// A tenant's Cypher runs inside the server process, which can read and write every file the
/// server can and open every other tenant's database. So a statement may run only when everything
/// in it stays inside the tenant's own graph:
///
/// | found anywhere in the parse (nested statements included) | answer |
/// |---|---|
/// | `COPY … FROM`/`TO`, `LOAD FROM`, `IMPORT`/`EXPORT DATABASE`, `ATTACH`, `DETACH`, `USE`, `INSTALL`, `LOAD EXTENSION`, extension clauses, `CREATE GRAPH`/`USE GRAPH` | 403 `forbidden_statement` |
/// | `CREATE … TABLE … WITH (…)` options other than `STORAGE_DIRECTION` (`STORAGE` points a table at any file) | 403 `forbidden_statement` |
/// | `CALL name = value` (settings: the server chooses them; the request's `timeout` field sets the timeout) | 403 `forbidden_statement` |
/// | `CALL f(…)` of a table function outside ``allowedFunctions`` (file, disk and buffer-manager details of the server, per-connection projected graphs and warnings) | 403 `forbidden_statement` |
/// | a statement type or clause this list does not know (a later engine's new form) | 403 `forbidden_statement` |
/// | `BEGIN`/`COMMIT`/`ROLLBACK` (every request is its own transaction) | 400 `transaction_statement_not_supported` |
/// | more than one statement | 400 `multiple_statements` |
///
/// `CHECKPOINT` and `ANALYZE` are maintenance statements: they run as writes (behind the write
/// gate) and are refused to read-only keys, graphs and nodes like any write.
enum StatementPolicy {
    /// Statement types a tenant may run (besides the transaction statement `CHECKPOINT`).
    static let allowedKinds: Set<StatementFacts.Kind> = [
        .query, .createTable, .drop, .alter, .analyze, .standaloneCallFunction, .explain, .createMacro,
        .createSequence, .createIndex, .createType, .transaction,
    ]

    /// Table functions a tenant may call: read the graph's own catalog and the engine's version.
    static let allowedFunctions: Set<String> = [
        "SHOW_TABLES", "TABLE_INFO", "SHOW_CONNECTION", "SHOW_SEQUENCES", "SHOW_INDEXES", "SHOW_MACROS",
        "SHOW_FUNCTIONS", "SHOW_GRAPHS", "SHOW_ATTACHED_DATABASES", "SHOW_LOADED_EXTENSIONS", "DB_VERSION",
        "STORAGE_VERSION", "CATALOG_VERSION", "CURRENT_SETTING", "STATS_INFO", "STORAGE_INFO",
    ]

    /// Options of `CREATE … TABLE … WITH (…)` a tenant may give (`STORAGE` makes a table read
    /// files anywhere on the node).
    static let allowedTableOptions: Set<String> = ["STORAGE_DIRECTION"]

    /// Decides whether one statement sent to `POST /databases/{id}/query` may run; how it runs is
    /// the engine's classification of the prepared statement, or a write when ``isMaintenance(_:)``.
    ///
    /// - Throws: ``ServiceError`` (an invalid request or forbidden) as in the table of ``StatementPolicy``.
    @Sendable static func admit(_ facts: StatementFacts) throws(ServiceError) {
        if facts.topLevel.isEmpty {
            throw ServiceError(.cypherSyntaxError, "the statement is empty")
        }
        // What reaches outside is named first, also when it is one of several statements.
        try checkReach(facts)
        if facts.topLevel.count > 1 {
            throw ServiceError(.multipleStatements, "the text holds \(facts.topLevel.count) statements: send one statement per request")
        }
        for action in facts.transactionActions where action != "CHECKPOINT" {
            let keyword = action.hasPrefix("BEGIN") ? "BEGIN TRANSACTION" : action
            throw ServiceError(.transactionStatementNotSupported, "\(keyword) is not supported: every request runs as its own transaction")
        }
    }

    /// Whether a statement admitted with these facts runs as a maintenance write (`CHECKPOINT`,
    /// `ANALYZE`: behind the write gate whatever the engine says, refused to read-only keys,
    /// graphs and nodes); statements prepared without facts are not.
    static func isMaintenance(_ facts: StatementFacts?) -> Bool {
        guard let top = facts?.topLevel.first else { return false }
        return top == .transaction || top == .analyze
    }

    /// Statement types `POST /databases/{id}/schema` and custom DDL at creation may run.
    static let schemaKinds: Set<StatementFacts.Kind> = [.createTable, .alter, .drop, .createIndex, .createSequence, .createType]

    /// Decides whether one statement of a schema change may run: a single schema statement,
    /// nothing nested in it (no `CREATE TABLE … AS` query), nothing that reaches outside the graph.
    /// Refusals are `400 not_a_schema_statement`, as the contract says for any other statement.
    static func admitSchema(_ facts: StatementFacts, statement: String) throws(ServiceError) {
        do {
            try checkReach(facts)
        } catch {
            throw ServiceError(.notASchemaStatement, "not a schema statement: '\(statement.prefix(80))': \(error.message)")
        }
        // One statement with nothing nested (no CREATE TABLE … AS query): no call or LOAD FROM can be in it.
        guard facts.all.count == 1, let kind = facts.topLevel.first, schemaKinds.contains(kind) else {
            throw ServiceError(.notASchemaStatement, "not a schema statement: '\(statement.prefix(80))' (allowed: CREATE NODE/REL TABLE without AS, ALTER TABLE, "
                    + "DROP TABLE, CREATE INDEX, CREATE SEQUENCE, CREATE TYPE, COMMENT ON)")
        }
    }

    /// Throws `403 forbidden_statement` when anything in the parse reaches files, other databases,
    /// extensions or settings, or is not known to this policy.
    static func checkReach(_ facts: StatementFacts) throws(ServiceError) {
        func forbidden(_ what: String) -> ServiceError {
            ServiceError(.forbiddenStatement, "\(what) reaches files, other databases, extensions or settings of the server and is not allowed through this API")
        }
        if facts.loadsFiles { throw forbidden("LOAD FROM") }
        for kind in facts.all where !allowedKinds.contains(kind) {
            throw forbidden(Self.name(of: kind))
        }
        if let setting = facts.settings.first { throw forbidden("CALL \(setting) = … (a setting)") }
        if let function = facts.calledFunctions.first(where: { !allowedFunctions.contains($0) }) {
            throw forbidden("CALL \(function)(…)")
        }
        if let option = facts.tableOptions.first(where: { !allowedTableOptions.contains($0) }) {
            throw forbidden("the table option \(option)")
        }
        if facts.hasUnknownClause { throw forbidden("a clause this server does not know") }
    }

    /// The statement as a user writes it, for messages.
    static func name(of kind: StatementFacts.Kind) -> String {
        switch kind {
        case .copyFrom: "COPY … FROM"
        case .copyTo: "COPY … TO"
        case .extension: "INSTALL / LOAD EXTENSION"
        case .exportDatabase: "EXPORT DATABASE"
        case .importDatabase: "IMPORT DATABASE"
        case .attachDatabase: "ATTACH"
        case .detachDatabase: "DETACH"
        case .useDatabase: "USE"
        case .createGraph: "CREATE GRAPH"
        case .useGraph: "USE GRAPH"
        case .standaloneCall: "CALL name = value (a setting)"
        default: "a \(kind.rawValue) statement"
        }
    }
}
