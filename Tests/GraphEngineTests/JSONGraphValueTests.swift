import Foundation
import NIOCore
import Testing

@testable import GraphEngine

/// Nodes, relationships, paths and internal ids against the contract's JSON shapes.
@Suite("JSON encoding of graph values")
struct JSONGraphValueTests {
    /// Person (table 0), City (table 1), KNOWS (table 2): Alice -[2020]-> Bob -> Carol (no age).
    private func makeGraph() throws -> JSONTestDatabase {
        let database = try JSONTestDatabase()
        try database.execute(
            "CREATE NODE TABLE Person(name STRING, age INT64, PRIMARY KEY(name))",
            "CREATE NODE TABLE City(name STRING, pop INT64, PRIMARY KEY(name))",
            "CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64)",
            "CREATE (:Person {name: 'Alice', age: 30}), (:Person {name: 'Bob', age: 40}), (:Person {name: 'Carol'})",
            "CREATE (:City {name: 'Paris', pop: 2})",
            "MATCH (a:Person {name: 'Alice'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 2020}]->(b)",
            "MATCH (a:Person {name: 'Bob'}), (b:Person {name: 'Carol'}) CREATE (a)-[:KNOWS]->(b)"
        )
        return database
    }

    private let alice = #"{"_ID":{"offset":0,"table":0},"_LABEL":"Person","name":"Alice","age":30}"#
    private let bob = #"{"_ID":{"offset":1,"table":0},"_LABEL":"Person","name":"Bob","age":40}"#
    private let carol = #"{"_ID":{"offset":2,"table":0},"_LABEL":"Person","name":"Carol","age":null}"#
    private let aliceKnowsBob =
        #"{"_SRC":{"offset":0,"table":0},"_DST":{"offset":1,"table":0},"_LABEL":"KNOWS","_ID":{"offset":0,"table":2},"since":2020}"#
    private let bobKnowsCarol =
        #"{"_SRC":{"offset":1,"table":0},"_DST":{"offset":2,"table":0},"_LABEL":"KNOWS","_ID":{"offset":1,"table":2},"since":null}"#

    @Test func nodes() throws {
        let database = try self.makeGraph()
        try database.expectRow("MATCH (n:Person {name: 'Alice'}) RETURN n", "[\(self.alice)]")
        try database.expectRow("MATCH (n:Person {name: 'Carol'}) RETURN n", "[\(self.carol)]")
        let objects = try database.encode("MATCH (n:Person) RETURN n ORDER BY n.name", shape: .objects)
        #expect(objects == #"{"n":\#(self.alice)},{"n":\#(self.bob)},{"n":\#(self.carol)}"#)
        try expectValidJSON("[" + objects + "]")
    }

    @Test func nodesOfSeveralTablesCarryEveryPropertyOfTheColumn() throws {
        let database = try self.makeGraph()
        let rows = try database.encode("MATCH (n) WHERE n.name IN ['Alice', 'Paris'] RETURN n ORDER BY n.name")
        #expect(
            rows == #"[{"_ID":{"offset":0,"table":0},"_LABEL":"Person","name":"Alice","age":30,"pop":null}],"#
                + #"[{"_ID":{"offset":0,"table":1},"_LABEL":"City","name":"Paris","age":null,"pop":2}]"#
        )
        try expectValidJSON("[" + rows + "]")
    }

    @Test func relationships() throws {
        let database = try self.makeGraph()
        try database.expectRow("MATCH (:Person {name: 'Alice'})-[r:KNOWS]->() RETURN r", "[\(self.aliceKnowsBob)]")
        try database.expectRow("MATCH (:Person {name: 'Bob'})-[r:KNOWS]->() RETURN r", "[\(self.bobKnowsCarol)]")
        try database.expectRow(
            "MATCH (a:Person {name: 'Alice'})-[r]->(b) RETURN a, r, b.name",
            #"[\#(self.alice),\#(self.aliceKnowsBob),"Bob"]"#
        )
    }

    @Test func pathsOfRecursiveRelationships() throws {
        let database = try self.makeGraph()
        let rows = try database.encode(
            "MATCH p = (a:Person {name: 'Alice'})-[:KNOWS*1..2]->(b) RETURN p ORDER BY length(p)"
        )
        // The path's node type spans every node table (the end node has no label), so its nodes
        // carry City's `pop` too.
        func spanning(_ node: String) -> String { String(node.dropLast()) + #","pop":null}"# }
        let (alice, bob, carol) = (spanning(self.alice), spanning(self.bob), spanning(self.carol))
        #expect(
            rows == #"[{"_NODES":[\#(alice),\#(bob)],"_RELS":[\#(self.aliceKnowsBob)]}],"#
                + #"[{"_NODES":[\#(alice),\#(bob),\#(carol)],"_RELS":[\#(self.aliceKnowsBob),\#(self.bobKnowsCarol)]}]"#
        )
        try expectValidJSON("[" + rows + "]")
        let relsOnly = try database.encode(
            "MATCH (a:Person {name: 'Alice'})-[e:KNOWS*2..2]->(b) RETURN e"
        )
        #expect(relsOnly.contains(#""_RELS":[\#(self.aliceKnowsBob),\#(self.bobKnowsCarol)]"#))
        try expectValidJSON("[" + relsOnly + "]")
    }

    @Test func internalIDs() throws {
        let database = try self.makeGraph()
        let rows = try database.encode("MATCH (n:Person) RETURN id(n) ORDER BY n.name", path: .flatTuples)
        #expect(rows == #"[{"offset":0,"table":0}],[{"offset":1,"table":0}],[{"offset":2,"table":0}]"#)
        let arrowRows = try database.encode("MATCH (n:Person) RETURN id(n) ORDER BY n.name", path: .arrowChunks)
        #expect(arrowRows == rows)
        try database.withWriter("MATCH (n:Person) RETURN id(n)") { writer throws in
            #expect(writer.readPath == .arrowChunks)
        }
        try database.expectRow("MATCH ()-[r:KNOWS]->(:Person {name: 'Bob'}) RETURN id(r)", #"[{"offset":0,"table":2}]"#)
    }

    @Test func nullGraphValues() throws {
        let database = try self.makeGraph()
        try database.expectRow(
            "MATCH (a:Person {name: 'Carol'}) OPTIONAL MATCH (a)-[r:KNOWS]->(b) RETURN r, b, id(b)",
            "[null,null,null]"
        )
    }
}
