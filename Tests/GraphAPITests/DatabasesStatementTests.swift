import HTTPTypes
import Testing

@testable import GraphAPI
@testable import GraphService

@Suite struct DatabasesStatementTests {
    typealias Scanner = CypherStatementScanner

    func texts(_ ddl: String) throws -> [String] {
        try Scanner.statements(in: ddl).map(\.text)
    }

    @Test func splitsOnSemicolonsOutsideQuotesAndComments() throws {
        let ddl = """
            // leading comment; not a statement
            CREATE NODE TABLE A(id STRING PRIMARY KEY, note STRING);
            COMMENT ON TABLE A IS 'a;b \\' still; inside';
            /* block; comment */ COMMENT ON TABLE A IS "x;y \\" z";
            CREATE NODE TABLE `we;ird``name`(id STRING PRIMARY KEY) ;;
            ALTER TABLE A ADD extra INT64 // trailing; comment
            """
        #expect(
            try texts(ddl) == [
                "CREATE NODE TABLE A(id STRING PRIMARY KEY, note STRING)",
                "COMMENT ON TABLE A IS 'a;b \\' still; inside'",
                "COMMENT ON TABLE A IS \"x;y \\\" z\"",
                "CREATE NODE TABLE `we;ird``name`(id STRING PRIMARY KEY)",
                "ALTER TABLE A ADD extra INT64",
            ]
        )
        let statements = try Scanner.statements(in: ddl)
        #expect(statements[3].tokens[3] == .init(kind: .quotedName, text: "we;ird`name"))
        #expect(statements[1].tokens.last == .init(kind: .string, text: "'a;b \\' still; inside'"))
    }

    @Test func emptyAndCommentOnlyTextHasNoStatement() throws {
        #expect(try texts("").isEmpty)
        #expect(try texts("  ;; \n ; ").isEmpty)
        #expect(try texts("// only a comment\n/* and another; */").isEmpty)
    }

    @Test func keepsCommentsInsideAStatement() throws {
        #expect(try texts("CREATE /* x; */ NODE TABLE B(id STRING PRIMARY KEY)") == ["CREATE /* x; */ NODE TABLE B(id STRING PRIMARY KEY)"])
        let tokens = try Scanner.statements(in: "CREATE /* MATCH */ NODE TABLE B(id STRING PRIMARY KEY)")[0].tokens
        #expect(tokens.map(\.text).prefix(3) == ["CREATE", "NODE", "TABLE"])
    }

    @Test(arguments: [
        "COMMENT ON TABLE A IS 'never closed",
        "COMMENT ON TABLE A IS \"never closed",
        "CREATE NODE TABLE `never(id STRING PRIMARY KEY)",
        "CREATE NODE TABLE A(id STRING PRIMARY KEY) /* never closed",
        "COMMENT ON TABLE A IS 'ends with an escape \\'",
    ])
    func unclosedQuotesAndCommentsAreErrors(ddl: String) throws {
        #expect(throws: Scanner.ScanError.self) { try Scanner.statements(in: ddl) }
        let error = #expect(throws: ServiceError.self) { try SchemaStatement.parse(ddl) }
        #expect(error?.category == .invalidRequest)
        #expect(error?.code.rawValue == "invalid_ddl")
    }

    @Test(arguments: [
        ("CREATE NODE TABLE A(id STRING PRIMARY KEY)", SchemaStatement.Kind.createNodeTable),
        ("create node table if not exists A(id STRING PRIMARY KEY)", .createNodeTable),
        ("/* c */ // d\n  CREATE NODE TABLE A(id STRING PRIMARY KEY, PRIMARY KEY(id))", .createNodeTable),
        ("CREATE REL TABLE R(FROM A TO B, since INT64)", .createRelTable),
        ("CREATE REL TABLE GROUP R(FROM A TO B, FROM B TO A)", .createRelTable),
        ("CREATE REL TABLE R(FROM A TO B) WITH (storage_direction = 'fwd')", .createRelTable),
        ("CREATE INDEX idx FOR (p:Person) ON (p.identifier)", .createIndex),
        ("CREATE HNSW INDEX idx FOR (p:Person) ON (p.embedding)", .createIndex),
        ("ALTER TABLE A ADD x INT64 DEFAULT 3", .alterTable),
        ("ALTER TABLE A RENAME TO B", .alterTable),
        ("COMMENT ON TABLE A IS 'MATCH (n) DETACH DELETE n'", .commentOn),
        ("DROP TABLE A", .dropTable),
        ("DROP TABLE IF EXISTS A", .dropTable),
        ("DROP INDEX A.idx", .dropIndex),
    ])
    func acceptsSchemaStatements(text: String, kind: SchemaStatement.Kind) throws {
        let statements = try SchemaStatement.parse(text)
        #expect(statements.map(\.kind) == [kind])
    }

    @Test(arguments: [
        "MATCH (n) RETURN n",
        "MATCH (n) RETURN 'CREATE NODE TABLE X(id STRING PRIMARY KEY)'",
        "CREATE (n:Person {identifier: 'x'})",
        "COPY Person FROM '/etc/passwd'",
        "LOAD FROM '/etc/passwd' RETURN *",
        "CALL show_tables() RETURN *",
        "BEGIN TRANSACTION",
        "COMMIT",
        "INSTALL httpfs",
        "LOAD EXTENSION httpfs",
        "ATTACH '/tmp/other.lbug' AS other",
        "EXPORT DATABASE '/tmp/out'",
        "CREATE MACRO INDEX(x) AS x + 1",
        "CREATE INDEX idx",
        "CREATE SEQUENCE s",
        "DROP SEQUENCE s",
        "CREATE NODE TABLE X AS MATCH (n:Person) RETURN n.identifier AS identifier",
        "CREATE REL TABLE R(FROM A TO B) AS LOAD FROM '/etc/passwd' RETURN *",
        "CREATE NODE TABLE X(id STRING PRIMARY KEY) WITH (storage = '/etc')",
        "CREATE REL TABLE R(FROM A TO B) WITH (STORAGE_DIRECTION = 'both', `storage` = '/etc')",
        "`CREATE` NODE TABLE X(id STRING PRIMARY KEY)",
        "ALTER X",
    ])
    func refusesEverythingElse(text: String) throws {
        let error = #expect(throws: ServiceError.self) { try SchemaStatement.parse(text) }
        #expect(error?.category == .invalidRequest)
        #expect(error?.code.rawValue == "not_a_schema_statement")
    }

    @Test func oneRefusedStatementRefusesTheBatchAndIsNamed() throws {
        let ddl = "CREATE NODE TABLE A(id STRING PRIMARY KEY); ALTER TABLE A ADD x INT64; MATCH (n) DETACH DELETE n"
        let error = #expect(throws: ServiceError.self) { try SchemaStatement.parse(ddl) }
        #expect(error?.code.rawValue == "not_a_schema_statement")
        #expect(error?.message.contains("statement 3") == true)
        #expect(error?.message.contains("MATCH (n) DETACH DELETE n") == true)
    }

    @Test func quotingEscapesNamesAndLiterals() {
        #expect(SchemaQuoting.name("plain") == "`plain`")
        #expect(SchemaQuoting.name("we`ird") == "`we``ird`")
        #expect(SchemaQuoting.stringLiteral("it's") == "'it\\'s'")
        #expect(SchemaQuoting.stringLiteral("back\\slash\nline") == "'back\\\\slash\\nline'")
    }

    @Test func builtInSchemasAreAcceptedSchemaStatements() throws {
        for (name, statements) in [("entity", GraphSchemaDDL.entityStatements), ("sec", GraphSchemaDDL.secStatements)] {
            let parsed = try SchemaStatement.parse(statements.joined(separator: ";\n"))
            #expect(parsed.map(\.text) == statements, "\(name)")
            #expect(parsed.allSatisfy { $0.kind == .createNodeTable || $0.kind == .createRelTable }, "\(name)")
        }
        #expect(GraphSchemaDDL.entityStatements.count == 7 + 7)
        #expect(GraphSchemaDDL.secStatements.count == 13 + 4 + 16)
        #expect(GraphSchemaDDL.statements(for: .shared, repositoryName: "SEC") == GraphSchemaDDL.secStatements)
        #expect(GraphSchemaDDL.statements(for: .shared, repositoryName: "other") == GraphSchemaDDL.entityStatements)
        #expect(GraphSchemaDDL.statements(for: .custom, repositoryName: nil) == nil)
    }
}
