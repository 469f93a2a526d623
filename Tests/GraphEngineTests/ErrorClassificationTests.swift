import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    @Suite("Error classification")
    struct ErrorClassificationTests {
        @Test("engine errors are classified by their prefix, with the engine's own message")
        func classification() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY, name STRING)")
                _ = try connection.query("CREATE (:P {id: 1})")
                let cases: [(String, EngineError.Kind, String)] = [
                    ("RETURN 1 +", .parse, "Parser exception:"),
                    ("MATHC (n) RETURN n", .parse, "Parser exception:"),
                    ("MATCH (n:Nope) RETURN n", .bind, "Binder exception:"),
                    ("MATCH (p:P) RETURN p.nope", .bind, "Binder exception:"),
                    ("CREATE NODE TABLE P(id INT64 PRIMARY KEY)", .bind, "Binder exception:"),
                    ("RETURN nosuchfunction(1)", .catalog, "Catalog exception:"),
                    ("RETURN 1 / 0", .runtime, "Runtime exception:"),
                    ("CREATE (:P {id: 1})", .runtime, "Runtime exception:"),
                    ("RETURN [1, 2][5]", .runtime, "Runtime exception:"),
                    ("RETURN 9223372036854775807 + 1", .runtime, "Overflow exception:"),
                    ("RETURN CAST('abc' AS INT64)", .conversion, "Conversion exception:"),
                    ("COMMIT", .transaction, "No active transaction"),
                ]
                for (text, kind, prefix) in cases {
                    let error = engineError { try connection.query(text) }
                    #expect(error?.kind == kind, "\(text): \(String(describing: error))")
                    #expect(error?.message.hasPrefix(prefix) == true, "\(text): \(String(describing: error))")
                    // The connection is still usable.
                    #expect(try connection.scalar("RETURN 1") == .int64(1))
                }
                // Prepared statements report the same kinds at prepare time.
                #expect(engineError { try connection.prepare("RETURN 1 +") }?.kind == .parse)
                #expect(engineError { try connection.prepare("MATCH (n:Nope) RETURN n") }?.kind == .bind)
                #expect(engineError { try connection.prepare("RETURN nosuchfunction(1)") }?.kind == .catalog)
                #expect(engineError { try connection.prepare("RETURN 1; RETURN 2") }?.kind == .parse)
                let statement = try connection.prepare("RETURN 1 / $x")
                #expect(engineError { try connection.execute(statement, parameters: ["x": 0]) }?.kind == .runtime)
            }
        }

        @Test("a second concurrent writer is refused by the engine with kind writeConflict")
        func writeConflict() throws {
            try withTestDatabase { database, _ in
                let writer = try database.connect()
                let other = try database.connect()
                _ = try writer.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY)")
                _ = try writer.query("BEGIN TRANSACTION")
                _ = try writer.query("CREATE (:P {id: 1})")
                let error = engineError { try other.query("CREATE (:P {id: 2})") }
                #expect(error?.kind == .writeConflict)
                #expect(error?.message.hasPrefix("Cannot start a new write transaction") == true)
                _ = try writer.query("COMMIT")
                _ = try other.query("CREATE (:P {id: 2})")
                #expect(try other.scalar("MATCH (p:P) RETURN count(*)") == .int64(2))
            }
        }

        @Test("kinds compare by value and describe themselves")
        func kinds() {
            #expect(EngineError.Kind.parse == .parse)
            #expect(EngineError.Kind.parse != .bind)
            #expect(EngineError.Kind.timeout.description == "timeout")
            let error = EngineError(.bind, "Parameter x not found.")
            #expect(error.description.contains("bind"))
            #expect(EngineError.kind(ofEngineMessage: "Interrupted.") == .interrupted)
            #expect(EngineError.kind(ofEngineMessage: "Parameter x not found.") == .bind)
            #expect(EngineError.kind(ofEngineMessage: "something new") == .unknown)
        }
    }
}
