import GraphEngine

/// The tables of a graph as the engine's catalog reports them, with their real properties:
/// `CALL show_tables()`, `CALL table_info('<table>')` and, for relationship tables,
/// `CALL show_connection('<table>')` (one row per FROM/TO pair).
///
/// Every function blocks on the engine: call them inside ``EngineExecutor/run(on:_:)``.
package struct GraphCatalog: Sendable {
    /// A column of a table.
    package struct Property: Codable, Sendable, Equatable {
        var name: String
        var type: String
        /// The column's `DEFAULT` expression as the engine prints it (`'NZ'`, `lower('NZ')`);
        /// `nil` when it has none (the engine reports `NULL`). Not part of the encoded schema.
        var defaultExpression: String? = nil

        private enum CodingKeys: String, CodingKey {
            case name
            case type
        }
    }

    /// A node table.
    struct NodeTable: Sendable, Equatable {
        var name: String
        var primaryKey: String?
        var properties: [Property]
        var comment: String?
    }

    /// One FROM/TO pair of a relationship table.
    package struct Connection: Codable, Sendable, Equatable {
        var from: String
        var to: String
    }

    /// A relationship table.
    struct RelTable: Sendable, Equatable {
        var name: String
        var connections: [Connection]
        var properties: [Property]
        var comment: String?
    }

    var nodeTables: [NodeTable]
    var relTables: [RelTable]

    /// A table's name and kind, from `show_tables`.
    struct TableEntry: Sendable, Equatable {
        var name: String
        var isNode: Bool
        var comment: String?
    }

    /// The node and relationship tables of the database (other kinds are skipped), sorted by name.
    static func tables(_ connection: GraphEngine.Connection) throws -> [TableEntry] {
        let rows = try Rows(connection.query("CALL show_tables() RETURN *"))
        return try rows.map { row -> TableEntry? in
            let type = try row.string("type").uppercased()
            guard type == "NODE" || type == "REL" else { return nil }
            let comment = try row.optionalString("comment")
            return TableEntry(name: try row.string("name"), isNode: type == "NODE", comment: comment?.isEmpty == false ? comment : nil)
        }.compactMap { $0 }.sorted { $0.name < $1.name }
    }

    /// Reads every node and relationship table with its properties.
    static func read(_ connection: GraphEngine.Connection) throws -> GraphCatalog {
        var nodeTables: [NodeTable] = []
        var relTables: [RelTable] = []
        for table in try tables(connection) {
            let literal = SchemaQuoting.stringLiteral(table.name)
            let info = try Rows(connection.query("CALL table_info(\(literal)) RETURN *"))
            let properties = try info.map { row in
                let defaultExpression = try row.optionalString("default expression")
                return Property(
                    name: try row.string("name"), type: try row.string("type"),
                    defaultExpression: defaultExpression == nil || defaultExpression?.uppercased() == "NULL" ? nil : defaultExpression
                )
            }
            if table.isNode {
                let primaryKey = try info.first { try $0.optionalBool("primary key") == true }.map { try $0.string("name") }
                nodeTables.append(NodeTable(name: table.name, primaryKey: primaryKey, properties: properties, comment: table.comment))
            } else {
                let pairs = try Rows(connection.query("CALL show_connection(\(literal)) RETURN *"))
                let connections = try pairs.map {
                    Connection(from: try $0.string("source table name"), to: try $0.string("destination table name"))
                }
                relTables.append(RelTable(name: table.name, connections: connections, properties: properties, comment: table.comment))
            }
        }
        return GraphCatalog(nodeTables: nodeTables, relTables: relTables)
    }

    /// The row count of every node and relationship table, by name.
    static func rowCounts(_ connection: GraphEngine.Connection, tables: [TableEntry]) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for table in tables {
            let name = SchemaQuoting.name(table.name)
            let text = table.isNode ? "MATCH (n:\(name)) RETURN count(n)" : "MATCH ()-[r:\(name)]->() RETURN count(r)"
            counts[table.name] = try count(connection, text)
        }
        return counts
    }

    /// Nodes and relationships in the whole graph.
    static func totals(_ connection: GraphEngine.Connection) throws -> (nodes: Int64, relationships: Int64) {
        (try count(connection, "MATCH (n) RETURN count(n)"), try count(connection, "MATCH ()-[r]->() RETURN count(r)"))
    }

    private static func count(_ connection: GraphEngine.Connection, _ text: String) throws -> Int64 {
        let result = try connection.query(text)
        defer { result.close() }
        guard let row = try result.next(), let value = row.first?.int64Value else {
            throw EngineError(.internal, "The count query returned no number: \(text)")
        }
        return value
    }

    /// The rows of a small result, with their values looked up by column name.
    private struct Rows {
        struct Row {
            let columns: [String: Int]
            let values: [Value]

            func value(_ column: String) throws -> Value {
                guard let index = columns[column], index < values.count else {
                    throw EngineError(.internal, "The catalog result has no column '\(column)'.")
                }
                return values[index]
            }

            func string(_ column: String) throws -> String {
                let value = try value(column)
                guard let text = value.stringValue else {
                    throw EngineError(.internal, "The catalog column '\(column)' is not text: \(value).")
                }
                return text
            }

            func optionalString(_ column: String) throws -> String? {
                guard columns[column] != nil else { return nil }
                return try value(column).stringValue
            }

            func optionalBool(_ column: String) throws -> Bool? {
                guard columns[column] != nil else { return nil }
                return try value(column).boolValue
            }
        }

        let rows: [Row]

        init(_ result: QueryResult) throws {
            defer { result.close() }
            let columns = Dictionary(result.columnNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            rows = try result.allRows().map { Row(columns: columns, values: $0) }
        }

        func map<T>(_ transform: (Row) throws -> T) rethrows -> [T] { try rows.map(transform) }
        func first(where predicate: (Row) throws -> Bool) rethrows -> Row? { try rows.first(where: predicate) }
    }
}
