import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    /// `Connection.prepareCached`: the statements a connection keeps by text must answer exactly
    /// as freshly prepared ones would, whatever happened to the schema or the parameters since.
    @Suite("Statement cache")
    struct StatementCacheTests {
        @Test("the same text gives the same statement; other texts, other statements")
        func reuse() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let first = try connection.prepareCached("RETURN 1")
                let again = try connection.prepareCached("RETURN 1")
                let other = try connection.prepareCached("RETURN 2")
                #expect(first === again)
                #expect(first !== other)
                #expect(connection.cachedStatementCount == 2)
                #expect(try connection.execute(again).next() == [.int64(1)])
                // Another connection keeps its own.
                let second = try database.connect()
                #expect(try second.prepareCached("RETURN 1") !== first)
            }
        }

        @Test("a kept statement follows the schema: table dropped and created again with another type, column dropped")
        func schemaChanges() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let other = try database.connect()
                _ = try connection.query("CREATE NODE TABLE T(id INT64 PRIMARY KEY, x INT64)")
                _ = try connection.query("CREATE (:T {id: 1, x: 10})")
                let text = "MATCH (n:T) RETURN n.x"
                #expect(try connection.execute(try connection.prepareCached(text)).allRows() == [[.int64(10)]])

                // Changed by another connection, so nothing on this one saw it happen.
                _ = try other.query("DROP TABLE T")
                let gone = engineError { try connection.execute(try connection.prepareCached(text)) }
                #expect(gone?.message.contains("T does not exist") == true)

                _ = try other.query("CREATE NODE TABLE T(id INT64 PRIMARY KEY, x STRING)")
                _ = try other.query("CREATE (:T {id: 2, x: 'two'})")
                #expect(try connection.execute(try connection.prepareCached(text)).allRows() == [[.string("two")]])

                _ = try other.query("ALTER TABLE T DROP x")
                let noColumn = engineError { try connection.execute(try connection.prepareCached(text)) }
                #expect(noColumn?.message.contains("Cannot find property x") == true)
                #expect(connection.cachedStatementCount == 1)
            }
        }

        @Test("parameters: another type binds anew, and no value carries over to a later execution")
        func parameters() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let sum = try connection.prepareCached("RETURN $x + 1")
                #expect(try connection.execute(sum, parameters: ["x": .int64(5)]).next() == [.int64(6)])
                #expect(try connection.execute(try connection.prepareCached("RETURN $x + 1"), parameters: ["x": .double(2.5)]).next() == [.double(3.5)])
                #expect(try connection.execute(try connection.prepareCached("RETURN $x + 1"), parameters: ["x": .int64(1)]).next() == [.int64(2)])

                let echo = try connection.prepareCached("RETURN $x")
                #expect(try connection.execute(echo, parameters: ["x": .string("secret")]).next() == [.string("secret")])
                #expect(try connection.execute(echo, parameters: ["x": .int64(7)]).next() == [.int64(7)])
                // The value bound by the previous caller is not used for a call that gives none.
                let missing = engineError { try connection.execute(try connection.prepareCached("RETURN $x")) }
                #expect(missing?.kind == .bind)
                #expect(missing?.message.contains("Parameter x not found") == true)
            }
        }

        @Test("at most the capacity is kept, least recently used dropped; long texts and failures are not kept")
        func bounds() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let capacity = Connection.statementCacheCapacity
                var kept = [try connection.prepareCached("RETURN 0")]
                for index in 1..<capacity {
                    kept.append(try connection.prepareCached("RETURN \(index)"))
                }
                #expect(connection.cachedStatementCount == capacity)
                // Used again, `RETURN 0` and `RETURN 1` are no longer the least recently used:
                // `RETURN 2` is, and it goes when one more comes in.
                #expect(try connection.prepareCached("RETURN 0") === kept[0])
                #expect(try connection.prepareCached("RETURN 1") === kept[1])
                _ = try connection.prepareCached("RETURN \(capacity)")
                #expect(connection.cachedStatementCount == capacity)
                #expect(try connection.prepareCached("RETURN 0") === kept[0])
                #expect(try connection.prepareCached("RETURN 1") === kept[1])
                #expect(try connection.prepareCached("RETURN 3") === kept[3])
                #expect(try connection.prepareCached("RETURN 2") !== kept[2])
                #expect(connection.cachedStatementCount == capacity)

                let long = "RETURN '" + String(repeating: "x", count: Connection.statementCacheMaxTextBytes) + "'"
                let before = connection.cachedStatementCount
                let longStatement = try connection.prepareCached(long)
                #expect(try connection.prepareCached(long) !== longStatement)
                #expect(connection.cachedStatementCount == before)

                let failed = engineError { try connection.prepareCached("MATCH (n:Missing) RETURN n") }
                #expect(failed?.kind == .bind || failed?.kind == .catalog)
                #expect(connection.cachedStatementCount == before)
            }
        }

        @Test("closing the connection lets the kept statements go and invalidates them")
        func close() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let statement = try connection.prepareCached("RETURN 1")
                connection.close()
                #expect(connection.cachedStatementCount == 0)
                let closed = engineError { try connection.execute(statement) }
                #expect(closed?.kind == .closed)
            }
        }
    }
}
