import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    @Suite("Parameter binding")
    struct ParameterBindingTests {
        @Test("every JSON kind round-trips through RETURN $x")
        func roundTripJSONKinds() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let cases: [(EngineValue, Value, String)] = [
                    (.null, .null, "STRING"),
                    (.bool(true), .bool(true), "BOOL"),
                    (.bool(false), .bool(false), "BOOL"),
                    (.int64(42), .int64(42), "INT64"),
                    (.int64(Int64.min), .int64(Int64.min), "INT64"),
                    (.int64(Int64.max), .int64(Int64.max), "INT64"),
                    (.double(2.5), .double(2.5), "DOUBLE"),
                    (.double(-1e300), .double(-1e300), "DOUBLE"),
                    (.string("héllo \"world\" ✓"), .string("héllo \"world\" ✓"), "STRING"),
                    (.string(""), .string(""), "STRING"),
                    ([1, 2, 3], .list([.int64(1), .int64(2), .int64(3)]), "INT64[]"),
                    (["a", "b"], .list([.string("a"), .string("b")]), "STRING[]"),
                    ([1, nil, 3], .list([.int64(1), .null, .int64(3)]), "INT64[]"),
                    ([[1], [2, 3]], .list([.list([.int64(1)]), .list([.int64(2), .int64(3)])]), "INT64[][]"),
                    (
                        ["a": 1, "b": "s", "c": [true]],
                        .struct([
                            .init(name: "a", value: .int64(1)), .init(name: "b", value: .string("s")),
                            .init(name: "c", value: .list([.bool(true)])),
                        ]),
                        "STRUCT(a INT64, b STRING, c BOOL[])"
                    ),
                    (
                        ["outer": ["inner": [1.5]]],
                        .struct([
                            .init(name: "outer", value: .struct([.init(name: "inner", value: .list([.double(1.5)]))]))
                        ]),
                        "STRUCT(outer STRUCT(inner DOUBLE[]))"
                    ),
                    (
                        [["id": 1], ["id": 2]],
                        .list([
                            .struct([.init(name: "id", value: .int64(1))]),
                            .struct([.init(name: "id", value: .int64(2))]),
                        ]),
                        "STRUCT(id INT64)[]"
                    ),
                ]
                for (parameter, expected, typeName) in cases {
                    let result = try connection.execute("RETURN $x AS x", parameters: ["x": parameter])
                    #expect(result.columnNames == ["x"])
                    #expect(result.columnTypes.first?.description == typeName, "type of \(parameter)")
                    #expect(try result.next() == [expected], "value of \(parameter)")
                }
            }
        }

        @Test("extra engine types bind: uint64, int128, date, timestamp, interval, uuid, blob")
        func roundTripExtraTypes() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let cases: [(EngineValue, Value)] = [
                    (.uint64(UInt64.max), .uint64(UInt64.max)),
                    (
                        .int128("-170141183460469231731687303715884105728"),
                        .int128("-170141183460469231731687303715884105728")
                    ),
                    (.date("2020-02-29"), .date(daysSinceEpoch: 18321)),
                    (
                        .timestamp(microsecondsSinceEpoch: 1_600_000_000_123_456),
                        .timestamp(microsecondsSinceEpoch: 1_600_000_000_123_456)
                    ),
                    (.interval(months: 1, days: 2, microseconds: 3), .interval(months: 1, days: 2, microseconds: 3)),
                    (.uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), .uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
                    (.blob([0, 1, 255]), .blob([0, 1, 255])),
                    (.blob([]), .blob([])),
                ]
                for (parameter, expected) in cases {
                    #expect(try connection.scalar("RETURN $x", ["x": parameter]) == expected, "\(parameter)")
                }
                #expect(
                    try connection.scalar("RETURN $x + 1", ["x": .int128("170141183460469231731687303715884105")])
                        == .int128("170141183460469231731687303715884106"))
            }
        }

        @Test("a mixed list of integers and doubles becomes DOUBLE[]")
        func numericListWidens() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let result = try connection.execute("RETURN $x", parameters: ["x": [1, 2.5, nil]])
                #expect(result.columnTypes.first?.description == "DOUBLE[]")
                #expect(try result.next() == [.list([.double(1), .double(2.5), .null])])
            }
        }

        @Test(
            "other mixed lists fail with kind bind",
            arguments: [
                EngineValue.list([1, "a"]), [true, 1], [[1], 2], [["a": 1], ["b": 1]], [[1], ["x"]],
            ])
        func mixedListsFail(list: EngineValue) throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let error = engineError { try connection.execute("RETURN $x", parameters: ["x": list]) }
                #expect(error?.kind == .bind)
                #expect(try connection.scalar("RETURN 1") == .int64(1))
            }
        }

        @Test("empty lists and objects take the type the statement gives them")
        func emptyCollections() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                _ = try connection.query(
                    "CREATE NODE TABLE T(id INT64 PRIMARY KEY, tags STRING[], m MAP(STRING, INT64))")
                _ = try connection.execute(
                    "CREATE (:T {id: 1, tags: $tags, m: $m})", parameters: ["tags": [], "m": [:]])
                #expect(try connection.query("MATCH (t:T) RETURN t.tags, t.m").next() == [.list([]), .map([])])
                let none = try connection.execute("MATCH (t:T) WHERE t.id IN $ids RETURN t.id", parameters: ["ids": []])
                #expect(try none.allRows().isEmpty)
                let unwound = try connection.execute("UNWIND $rows AS r RETURN r", parameters: ["rows": []])
                #expect(try unwound.allRows().isEmpty)
                // Nothing types `$x` here.
                #expect(engineError { try connection.execute("RETURN $x", parameters: ["x": []]) }?.kind == .bind)
                #expect(engineError { try connection.execute("RETURN $x", parameters: ["x": [:]]) }?.kind == .bind)
                #expect(try connection.scalar("RETURN 1") == .int64(1))
            }
        }

        @Test("parameters work in CREATE and MATCH on a real table")
        func createAndMatch() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                _ = try connection.query(
                    "CREATE NODE TABLE Person(id INT64 PRIMARY KEY, name STRING, score DOUBLE, active BOOL, tags STRING[], address STRUCT(city STRING, zip INT64))"
                )
                let insert = try connection.prepare(
                    "CREATE (:Person {id: $id, name: $name, score: $score, active: $active, tags: $tags, address: $address})"
                )
                #expect(!insert.isReadOnly)
                #expect(insert.parameterNames == ["id", "name", "score", "active", "tags", "address"])
                for id in 1...3 {
                    _ = try connection.execute(
                        insert,
                        parameters: [
                            "id": .int64(Int64(id)), "name": .string("person \(id)"), "score": .double(Double(id) / 2),
                            "active": .bool(id % 2 == 1), "tags": .list([.string("t\(id)")]),
                            "address": ["city": .string("City \(id)"), "zip": .int64(Int64(1000 + id))],
                        ])
                }
                // A null property.
                _ = try connection.execute(
                    "CREATE (:Person {id: $id, name: $name})", parameters: ["id": 4, "name": nil])

                let lookup = try connection.prepare(
                    "MATCH (p:Person) WHERE p.id = $id RETURN p.name, p.score, p.active, p.tags, p.address.city, p.address.zip"
                )
                #expect(lookup.isReadOnly)
                let row = try connection.execute(lookup, parameters: ["id": 2]).next()
                #expect(
                    row == [
                        .string("person 2"), .double(1), .bool(false), .list([.string("t2")]), .string("City 2"),
                        .int64(1002),
                    ])
                // Executing the same statement again with other values.
                #expect(try connection.execute(lookup, parameters: ["id": 3]).next()?.first == .string("person 3"))
                #expect(try connection.execute(lookup, parameters: ["id": 4]).next()?.first == .null)

                let byList = try connection.execute(
                    "MATCH (p:Person) WHERE p.id IN $ids RETURN p.id ORDER BY p.id", parameters: ["ids": [1, 3]])
                #expect(try byList.allRows() == [[.int64(1)], [.int64(3)]])
                let byName = try connection.execute(
                    "MATCH (p:Person) WHERE p.name = $name AND p.active = $active RETURN count(*)",
                    parameters: ["name": "person 1", "active": true])
                #expect(try byName.next() == [.int64(1)])

                // Batch writes from a list of objects.
                _ = try connection.execute(
                    "UNWIND $rows AS r CREATE (:Person {id: r.id, name: r.name})",
                    parameters: ["rows": [["id": 10, "name": "ten"], ["id": 11, "name": "eleven"]]])
                #expect(try connection.scalar("MATCH (p:Person) RETURN count(*)") == .int64(6))
                #expect(
                    try connection.scalar("MATCH (p:Person {id: $id}) RETURN p.name", ["id": 11]) == .string("eleven"))
            }
        }

        @Test("an unknown parameter name fails with kind bind; the connection stays usable")
        func unknownName() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let error = engineError { try connection.execute("RETURN $x", parameters: ["x": 1, "y": 2]) }
                #expect(error?.kind == .bind)
                #expect(error?.message.contains("y") == true)
                #expect(engineError { try connection.execute("RETURN 1", parameters: ["y": 2]) }?.kind == .bind)
                #expect(try connection.scalar("RETURN 1") == .int64(1))
            }
        }

        @Test("a missing parameter fails with kind bind, also on a second execution")
        func missingParameter() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let statement = try connection.prepare("RETURN $x + $y")
                #expect(try connection.execute(statement, parameters: ["x": 1, "y": 2]).next() == [.int64(3)])
                // The engine would reuse the previous execution's $y: refused instead.
                let error = engineError { try connection.execute(statement, parameters: ["x": 1]) }
                #expect(error?.kind == .bind)
                #expect(error?.message.contains("y") == true)
                #expect(engineError { try connection.execute(statement) }?.kind == .bind)
                #expect(try connection.scalar("RETURN 1") == .int64(1))
            }
        }

        @Test("a value of a type the statement cannot take fails with kind bind")
        func wrongType() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                _ = try connection.query(
                    "CREATE NODE TABLE T(id INT64 PRIMARY KEY, m MAP(STRING, INT64), s STRUCT(a INT64))")
                _ = try connection.query("CREATE (:T {id: 1})")
                let attempts: [(String, [String: EngineValue])] = [
                    ("CREATE (:T {id: $x})", ["x": "not a number"]),
                    ("CREATE (:T {id: $x})", ["x": [1]]),
                    ("MATCH (t:T) WHERE t.id = $x RETURN t", ["x": "zz"]),
                    ("CREATE (:T {id: 2, m: $x})", ["x": ["a": 1]]),
                    ("MATCH (t:T) SET t.s = $x", ["x": [:]]),
                    ("RETURN $x", ["x": .uuid("not-a-uuid")]),
                    ("RETURN $x", ["x": .date("2020-13-45")]),
                    ("RETURN $x", ["x": .int128("12x")]),
                    ("RETURN $x", ["x": "nul \u{0} inside"]),
                ]
                for (text, parameters) in attempts {
                    let error = engineError { try connection.execute(text, parameters: parameters) }
                    #expect(error?.kind == .bind, "\(text) with \(parameters): \(String(describing: error))")
                    #expect(try connection.scalar("RETURN 1") == .int64(1))
                }
                // A conversion failure that is not the parameter's fault keeps its own kind.
                let own = engineError {
                    try connection.execute("RETURN CAST('abc' AS INT64) + $x", parameters: ["x": 1])
                }
                #expect(own?.kind == .conversion)
            }
        }

        @Test("duplicate or empty object keys fail with kind bind")
        func badObjectKeys() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let duplicate = EngineValue.map([(key: "a", value: 1), (key: "a", value: 2)])
                #expect(
                    engineError { try connection.execute("RETURN $x", parameters: ["x": duplicate]) }?.kind == .bind)
                #expect(engineError { try connection.execute("RETURN $x", parameters: ["x": ["": 1]]) }?.kind == .bind)
            }
        }

        @Test("a statement belongs to its connection")
        func statementOnOtherConnection() throws {
            try withTestDatabase { database, _ in
                let first = try database.connect()
                let second = try database.connect()
                let statement = try first.prepare("RETURN 1")
                #expect(engineError { try second.execute(statement) }?.kind == .bind)
            }
        }
    }
}

extension GraphEngineCoreTests {
    @Suite("Parameter names")
    struct ParameterScannerTests {
        @Test func findsParametersOutsideLiteralsAndComments() {
            let text = """
                MATCH (n {name: '$no', other: "$no2 \\" $no3", `$notparam`: $yes}) // $c
                WHERE n.x = $`odd name` AND n.y = $1 /* $d */ RETURN $a_b, $ünï
                """
            #expect(ParameterScanner.parameterNames(in: text) == ["yes", "odd name", "1", "a_b", "ünï"])
        }

        @Test func noParameters() {
            #expect(ParameterScanner.parameterNames(in: "RETURN '$x', 1 $").isEmpty)
        }
    }
}
