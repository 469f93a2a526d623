import CLadybug

/// What a statement text contains, according to the engine's own parser: the statement types,
/// nested statements, `LOAD FROM` clauses, table functions called, settings changed and
/// transaction actions.
///
/// The parse is the engine's (`lbug::parser::Parser::parseQuery`, through the server's C shim
/// `graphapi_statement_facts`): no binding, no catalog lookup, no file access. Whatever text the
/// engine would run, this describes — whitespace, comments, case and Unicode the engine's lexer
/// accepts included — so a decision taken on it cannot be fooled by text that a hand-written
/// scanner reads differently.
///
/// ```swift
/// let facts = try StatementFacts.inspect("\u{00A0}LOAD FROM '/etc/hostname' RETURN *")
/// facts.loadsFiles            // true
/// facts.topLevel              // [.query]
/// ```
public struct StatementFacts: Sendable, Hashable {
    /// A statement type as the engine names it (`common::StatementType`).
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let query = Kind(rawValue: "QUERY")
        public static let createTable = Kind(rawValue: "CREATE_TABLE")
        public static let drop = Kind(rawValue: "DROP")
        public static let alter = Kind(rawValue: "ALTER")
        public static let analyze = Kind(rawValue: "ANALYZE")
        public static let copyTo = Kind(rawValue: "COPY_TO")
        public static let copyFrom = Kind(rawValue: "COPY_FROM")
        public static let standaloneCall = Kind(rawValue: "STANDALONE_CALL")
        public static let standaloneCallFunction = Kind(rawValue: "STANDALONE_CALL_FUNCTION")
        public static let explain = Kind(rawValue: "EXPLAIN")
        public static let createMacro = Kind(rawValue: "CREATE_MACRO")
        public static let transaction = Kind(rawValue: "TRANSACTION")
        public static let `extension` = Kind(rawValue: "EXTENSION")
        public static let exportDatabase = Kind(rawValue: "EXPORT_DATABASE")
        public static let importDatabase = Kind(rawValue: "IMPORT_DATABASE")
        public static let attachDatabase = Kind(rawValue: "ATTACH_DATABASE")
        public static let detachDatabase = Kind(rawValue: "DETACH_DATABASE")
        public static let useDatabase = Kind(rawValue: "USE_DATABASE")
        public static let createSequence = Kind(rawValue: "CREATE_SEQUENCE")
        public static let createIndex = Kind(rawValue: "CREATE_INDEX")
        public static let createType = Kind(rawValue: "CREATE_TYPE")
        public static let extensionClause = Kind(rawValue: "EXTENSION_CLAUSE")
        public static let createGraph = Kind(rawValue: "CREATE_GRAPH")
        public static let useGraph = Kind(rawValue: "USE_GRAPH")
    }

    /// The top-level statements, in order (more than one when the text has several, separated by `;`).
    public var topLevel: [Kind] = []
    /// Every statement: the top-level ones and those nested in them (the statement an `EXPLAIN`
    /// or `PROFILE` describes, the query of a `CREATE TABLE … AS`).
    public var all: [Kind] = []
    /// The actions of transaction statements (`BEGIN_READ`, `BEGIN_WRITE`, `COMMIT`, `ROLLBACK`,
    /// `CHECKPOINT`).
    public var transactionActions: [String] = []
    /// Whether a `LOAD FROM` clause appears anywhere.
    public var loadsFiles = false
    /// Table functions called (`CALL f(…)`, in a query or standing alone), upper-cased; `?` for a
    /// call whose function the shim could not name.
    public var calledFunctions: [String] = []
    /// Settings changed with `CALL name = value`.
    public var settings: [String] = []
    /// Options of `CREATE … TABLE … WITH (…)`, upper-cased (`STORAGE_DIRECTION`, `STORAGE`, …).
    public var tableOptions: [String] = []
    /// Whether a clause appeared that the shim does not know (callers should refuse the text).
    public var hasUnknownClause = false

    public init() {}

    /// Parses `text` with the engine's parser.
    ///
    /// - Throws: ``EngineError`` of kind ``EngineError/Kind/parse`` with the engine's message when
    ///   the text does not parse.
    public static func inspect(_ text: String) throws(EngineError) -> StatementFacts {
        if text.utf8.contains(0) {
            throw EngineError(.parse, "Parser exception: the statement contains a NUL character.")
        }
        guard let pointer = text.withCString({ graphapi_statement_facts($0) }) else {
            throw EngineError(.runtime, "The engine could not inspect the statement (out of memory).")
        }
        defer { lbug_destroy_string(pointer) }
        return try StatementFacts(lines: String(cString: pointer))
    }

    /// Reads the shim's `key value` lines.
    init(lines: String) throws(EngineError) {
        for line in lines.split(separator: "\n", omittingEmptySubsequences: true) {
            let key: Substring
            let value: String
            if let space = line.firstIndex(of: " ") {
                key = line[..<space]
                value = String(line[line.index(after: space)...])
            } else {
                key = line
                value = ""
            }
            switch key {
            case "error": throw EngineError(.parse, value)
            case "top": topLevel.append(Kind(rawValue: value))
            case "statement": all.append(Kind(rawValue: value))
            case "transaction": transactionActions.append(value)
            case "load_from": loadsFiles = true
            case "call": calledFunctions.append(value)
            case "setting": settings.append(value)
            case "table_option": tableOptions.append(value)
            default: hasUnknownClause = true
            }
        }
    }
}
