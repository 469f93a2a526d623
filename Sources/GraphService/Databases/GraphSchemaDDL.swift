import Foundation

/// The built-in schemas a graph can be created with: `entity`, and `shared` for the `sec`
/// repository (any other repository name gets `entity`), as DDL statements for the engine.
///
/// Every node table has `identifier STRING PRIMARY KEY`; columns not typed below are `STRING`.
/// Names are quoted with backticks in the generated DDL, so words such as `type`, `value` or
/// `namespace` are plain column names.
enum GraphSchemaDDL {
    /// A column and its engine type.
    struct Column: Sendable {
        var name: String
        var type: String
    }

    /// A node table definition.
    struct NodeTable: Sendable {
        var name: String
        var columns: [Column]

        var ddl: String {
            let columns = [Column(name: "identifier", type: "STRING PRIMARY KEY")] + self.columns
            return "CREATE NODE TABLE \(quoted(name))(" + columns.map { "\(quoted($0.name)) \($0.type)" }.joined(separator: ", ") + ")"
        }
    }

    /// A relationship table definition.
    struct RelTable: Sendable {
        var name: String
        var from: String
        var to: String
        var columns: [Column]

        var ddl: String {
            "CREATE REL TABLE \(quoted(name))(FROM \(quoted(from)) TO \(quoted(to))"
                + columns.map { ", \(quoted($0.name)) \($0.type)" }.joined() + ")"
        }
    }

    /// The DDL for a new graph of `schemaType`; `nil` for `custom` (the caller's own DDL).
    static func statements(for schemaType: SchemaType, repositoryName: String?) -> [String]? {
        switch schemaType {
        case .entity: return entityStatements
        case .shared: return isSECRepository(repositoryName) ? secStatements : entityStatements
        case .custom: return nil
        }
    }

    /// Whether `name` selects the SEC repository schema (`sec`, any case).
    static func isSECRepository(_ name: String?) -> Bool { name?.lowercased() == "sec" }

    /// The `entity` schema.
    static var entityStatements: [String] {
        (entityNodeTables.map(\.ddl) + entityRelTables.map(\.ddl))
    }

    /// The `shared` schema of the `sec` repository.
    static var secStatements: [String] {
        let relNames: Set<String> = ["ENTITY_EVOLVED_FROM", "ENTITY_OWNS_ENTITY", "ELEMENT_IN_TAXONOMY"]
        return (entityNodeTables + secNodeTables).map(\.ddl)
            + entityRelTables.filter { !relNames.contains($0.name) }.map(\.ddl)
            + secRelTables.map(\.ddl)
    }

    private static func strings(_ names: String...) -> [Column] { names.map { Column(name: $0, type: "STRING") } }
    private static func typed(_ name: String, _ type: String) -> Column { Column(name: name, type: type) }

    static let entityNodeTables: [NodeTable] = [
        NodeTable(
            name: "Entity",
            columns: strings(
                "uri", "scheme", "cik", "ticker", "exchange", "name", "legal_name", "industry", "entity_type", "sic",
                "sic_description", "category", "state_of_incorporation", "fiscal_year_end", "ein", "tax_id", "lei", "phone",
                "website", "status"
            ) + [typed("is_parent", "BOOLEAN")] + strings("parent_entity_id", "created_at", "updated_at")
        ),
        NodeTable(
            name: "Period",
            columns: strings("uri", "instant_date", "start_date", "end_date") + [
                typed("forever_date", "BOOLEAN"), typed("fiscal_year", "INT32"),
            ] + strings("fiscal_quarter") + [
                typed("is_annual", "BOOLEAN"), typed("is_quarterly", "BOOLEAN"), typed("days_in_period", "INT32"),
            ] + strings("period_type") + [typed("is_ytd", "BOOLEAN")]
        ),
        NodeTable(name: "Unit", columns: strings("uri", "measure", "value", "numerator_uri", "denominator_uri")),
        NodeTable(
            name: "Element",
            columns: strings("uri", "qname", "name", "period_type", "type", "balance")
                + [
                    "is_abstract", "is_dimension_item", "is_domain_member", "is_hypercube_item", "is_integer", "is_numeric",
                    "is_shares", "is_fraction", "is_textblock",
                ].map { typed($0, "BOOLEAN") }
                + strings("substitution_group", "item_type", "classification")
        ),
        NodeTable(name: "Label", columns: strings("value", "type", "language")),
        NodeTable(name: "Reference", columns: strings("value", "type")),
        NodeTable(name: "Taxonomy", columns: strings("uri", "name", "version", "namespace", "description")),
    ]

    static let entityRelTables: [RelTable] = [
        RelTable(
            name: "ENTITY_EVOLVED_FROM", from: "Entity", to: "Entity",
            columns: strings("evolution_type", "evolution_date", "notes", "created_at")
        ),
        RelTable(
            name: "ENTITY_OWNS_ENTITY", from: "Entity", to: "Entity",
            columns: strings("ownership_type") + [typed("ownership_percentage", "DOUBLE")] + strings("effective_date", "created_at")
        ),
        RelTable(name: "ELEMENT_HAS_LABEL", from: "Element", to: "Label", columns: strings("label_context")),
        RelTable(name: "ELEMENT_HAS_REFERENCE", from: "Element", to: "Reference", columns: strings("reference_context")),
        RelTable(name: "ELEMENT_IN_TAXONOMY", from: "Element", to: "Taxonomy", columns: strings("taxonomy_context")),
        RelTable(name: "TAXONOMY_HAS_LABEL", from: "Taxonomy", to: "Label", columns: strings("label_context")),
        RelTable(name: "TAXONOMY_HAS_REFERENCE", from: "Taxonomy", to: "Reference", columns: strings("reference_context")),
    ]

    /// The SEC repository's own node tables. Dates stay ISO-8601 text as in the `entity` schema;
    /// `decimals` is text because XBRL allows `INF`.
    static let secNodeTables: [NodeTable] = [
        NodeTable(
            name: "Report",
            columns: strings(
                "uri", "name", "accession_number", "form", "filing_date", "report_date", "acceptance_date", "period_end_date"
            ) + [typed("fiscal_year", "INT32")] + strings("fiscal_period") + [
                typed("is_inline_xbrl", "BOOLEAN"), typed("is_amendment", "BOOLEAN"),
            ] + strings("description", "source_url", "processing_status", "created_at", "updated_at")
        ),
        NodeTable(
            name: "Fact",
            columns: strings("uri", "value") + [typed("numeric_value", "DOUBLE")]
                + strings("decimals", "context_id", "fact_type", "unit_ref", "content_type") + [typed("is_nil", "BOOLEAN")]
        ),
        NodeTable(name: "Structure", columns: strings("uri", "name", "type", "definition", "network_uri")),
        NodeTable(
            name: "FactDimension",
            columns: strings("axis_uri", "member_uri", "type") + [typed("is_explicit", "BOOLEAN"), typed("is_typed", "BOOLEAN")]
                + strings("typed_value")
        ),
        NodeTable(
            name: "Association",
            columns: strings("arcrole", "association_type") + [typed("order_value", "DOUBLE"), typed("weight", "DOUBLE")]
                + strings("preferred_label")
        ),
        NodeTable(name: "FactSet", columns: strings("name", "description") + [typed("fact_count", "INT64")]),
    ]

    static let secRelTables: [RelTable] = [
        RelTable(name: "ENTITY_HAS_REPORT", from: "Entity", to: "Report", columns: []),
        RelTable(name: "REPORT_HAS_FACT", from: "Report", to: "Fact", columns: []),
        RelTable(name: "FACT_HAS_ELEMENT", from: "Fact", to: "Element", columns: []),
        RelTable(name: "FACT_HAS_ENTITY", from: "Fact", to: "Entity", columns: []),
        RelTable(name: "FACT_HAS_PERIOD", from: "Fact", to: "Period", columns: []),
        RelTable(name: "FACT_HAS_UNIT", from: "Fact", to: "Unit", columns: []),
        RelTable(name: "STRUCTURE_HAS_TAXONOMY", from: "Structure", to: "Taxonomy", columns: []),
        RelTable(name: "FACT_HAS_DIMENSION", from: "Fact", to: "FactDimension", columns: []),
        RelTable(name: "FACT_DIMENSION_AXIS_ELEMENT", from: "FactDimension", to: "Element", columns: []),
        RelTable(name: "FACT_DIMENSION_MEMBER_ELEMENT", from: "FactDimension", to: "Element", columns: []),
        RelTable(name: "FACT_SET_CONTAINS_FACT", from: "FactSet", to: "Fact", columns: []),
        RelTable(name: "REPORT_HAS_FACT_SET", from: "Report", to: "FactSet", columns: []),
        RelTable(name: "REPORT_USES_TAXONOMY", from: "Report", to: "Taxonomy", columns: []),
        RelTable(name: "STRUCTURE_HAS_ASSOCIATION", from: "Structure", to: "Association", columns: []),
        RelTable(name: "ASSOCIATION_HAS_FROM_ELEMENT", from: "Association", to: "Element", columns: []),
        RelTable(name: "ASSOCIATION_HAS_TO_ELEMENT", from: "Association", to: "Element", columns: []),
    ]

    private static func quoted(_ name: String) -> String { SchemaQuoting.name(name) }
}

/// Quoting for text built into Cypher: names in backticks, string literals in single quotes.
enum SchemaQuoting {
    /// `name` as a backtick-quoted Cypher name (a backtick inside is doubled).
    static func name(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// `text` as a single-quoted Cypher string literal (backslash, quote and line breaks escaped).
    static func stringLiteral(_ text: String) -> String {
        var literal = "'"
        for character in text.unicodeScalars {
            switch character {
            case "\\": literal += "\\\\"
            case "'": literal += "\\'"
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            case "\t": literal += "\\t"
            default: literal.unicodeScalars.append(character)
            }
        }
        return literal + "'"
    }
}
