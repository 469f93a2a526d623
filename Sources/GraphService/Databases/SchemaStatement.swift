/// A statement accepted as a schema change (`POST /databases/{graph_id}/schema` and the
/// `custom_schema_ddl` of `POST /databases`), classified by its leading keywords after comments
/// and whitespace, never by searching for a substring.
///
/// Accepted: `CREATE NODE TABLE`, `CREATE REL TABLE [GROUP]`, `CREATE [name] INDEX`, `ALTER
/// TABLE`, `COMMENT ON TABLE`, `DROP TABLE`, `DROP INDEX`. Refused even with an accepted
/// beginning: `CREATE … TABLE … AS <query>` (it runs a query) and `WITH (…)` table options other
/// than `STORAGE_DIRECTION` (`STORAGE` makes a table read files anywhere on the node).
package struct SchemaStatement: Equatable, Sendable {
    /// What a statement does.
    package enum Kind: String, Equatable, Sendable {
        case createNodeTable = "CREATE NODE TABLE"
        case createRelTable = "CREATE REL TABLE"
        case createIndex = "CREATE INDEX"
        case alterTable = "ALTER TABLE"
        case commentOn = "COMMENT ON TABLE"
        case dropTable = "DROP TABLE"
        case dropIndex = "DROP INDEX"
    }

    /// The statement's text as the engine will run it.
    var text: String
    /// What it does.
    package var kind: Kind

    /// The accepted kinds, for error messages.
    static let acceptedDescription = "CREATE NODE TABLE, CREATE REL TABLE, CREATE INDEX, ALTER TABLE, COMMENT ON TABLE, DROP TABLE, DROP INDEX"

    /// Splits `ddl` into statements and classifies each; refuses the whole text if any statement
    /// is not a schema statement, before anything runs.
    ///
    /// - Throws: ``ServiceError``: `invalid_ddl` (unclosed quote or comment, or no statement)
    ///   or `not_a_schema_statement` naming the first statement refused.
    static func parse(_ ddl: String) throws(ServiceError) -> [SchemaStatement] {
        let statements: [CypherStatementScanner.Statement]
        do {
            statements = try CypherStatementScanner.statements(in: ddl)
        } catch {
            throw ServiceError(.invalidDDL, "the DDL could not be split into statements: \(error.description)")
        }
        guard !statements.isEmpty else {
            throw ServiceError(.invalidDDL, "the DDL holds no statement")
        }
        return try statements.enumerated().map { (index, statement) throws(ServiceError) in
            switch classify(statement.tokens) {
            case .success(let kind):
                return SchemaStatement(text: statement.text, kind: kind)
            case .failure(let refusal):
                throw ServiceError(.notASchemaStatement, "statement \(index + 1) is not an accepted schema statement (\(refusal.reason)); accepted: "
                        + "\(acceptedDescription); nothing was run — statement: \(statement.text.prefix(300))")
            }
        }
    }

    /// Why a statement was refused.
    struct Refusal: Error, Equatable {
        var reason: String
    }

    /// Classifies one statement's tokens.
    static func classify(_ tokens: [CypherStatementScanner.Token]) -> Result<Kind, Refusal> {
        func keyword(_ index: Int, _ word: String) -> Bool {
            index < tokens.count && tokens[index].isKeyword(word)
        }
        let kind: Kind
        if keyword(0, "CREATE") {
            if keyword(1, "NODE") && keyword(2, "TABLE") {
                kind = .createNodeTable
            } else if keyword(1, "REL") && keyword(2, "TABLE") {
                kind = .createRelTable
            } else if keyword(1, "INDEX")
                || (tokens.count > 2 && [.word, .quotedName].contains(tokens[1].kind) && keyword(2, "INDEX")
                    && !(tokens[1].kind == .word && otherCreateKeywords.contains(tokens[1].text.uppercased())))
            {
                // `CREATE [name] INDEX [name] [IF NOT EXISTS] FOR (…) ON (…)`.
                guard tokens.contains(where: { $0.isKeyword("FOR") }), tokens.contains(where: { $0.isKeyword("ON") }) else {
                    return .failure(Refusal(reason: "an index definition needs FOR … ON …"))
                }
                kind = .createIndex
            } else {
                return .failure(Refusal(reason: "it begins with \(leadingWords(tokens))"))
            }
        } else if keyword(0, "ALTER") && keyword(1, "TABLE") {
            kind = .alterTable
        } else if keyword(0, "COMMENT") && keyword(1, "ON") && keyword(2, "TABLE") {
            kind = .commentOn
        } else if keyword(0, "DROP") && keyword(1, "TABLE") {
            kind = .dropTable
        } else if keyword(0, "DROP") && keyword(1, "INDEX") {
            kind = .dropIndex
        } else {
            return .failure(Refusal(reason: "it begins with \(leadingWords(tokens))"))
        }
        if kind == .createNodeTable || kind == .createRelTable {
            if let refusal = tableDefinitionRefusal(tokens) { return .failure(refusal) }
        }
        return .success(kind)
    }

    /// Refuses `AS <query>` and table options other than `STORAGE_DIRECTION` at the top level
    /// (outside parentheses) of a `CREATE … TABLE`.
    private static func tableDefinitionRefusal(_ tokens: [CypherStatementScanner.Token]) -> Refusal? {
        var depth = 0
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            if token.kind == .symbol {
                if token.text == "(" || token.text == "[" || token.text == "{" { depth += 1 }
                if token.text == ")" || token.text == "]" || token.text == "}" { depth -= 1 }
            } else if depth == 0 && token.isKeyword("AS") {
                return Refusal(reason: "CREATE TABLE … AS runs a query")
            } else if depth == 0 && token.isKeyword("WITH") {
                // Option names are the words directly followed by `=` inside the parentheses.
                var optionDepth = 0
                var cursor = index + 1
                while cursor < tokens.count {
                    let option = tokens[cursor]
                    if option.kind == .symbol && option.text == "(" { optionDepth += 1 }
                    if option.kind == .symbol && option.text == ")" {
                        optionDepth -= 1
                        if optionDepth == 0 { break }
                    }
                    if optionDepth == 1, [.word, .quotedName].contains(option.kind), cursor + 1 < tokens.count,
                        tokens[cursor + 1].kind == .symbol, tokens[cursor + 1].text == "=",
                        option.text.uppercased() != "STORAGE_DIRECTION"
                    {
                        return Refusal(reason: "the table option \(option.text) is not allowed (only STORAGE_DIRECTION)")
                    }
                    cursor += 1
                }
                index = cursor
            }
            index += 1
        }
        return nil
    }

    /// Words after `CREATE` that start something other than an index (`CREATE MACRO INDEX(x)
    /// AS …` names a macro `INDEX`).
    private static let otherCreateKeywords: Set<String> = ["MACRO", "SEQUENCE", "TYPE", "USER", "ROLE", "GRAPH", "NODE", "REL"]

    private static func leadingWords(_ tokens: [CypherStatementScanner.Token]) -> String {
        let words = tokens.prefix(3).map(\.text).joined(separator: " ")
        return words.isEmpty ? "nothing" : "'\(words.prefix(60))'"
    }
}
