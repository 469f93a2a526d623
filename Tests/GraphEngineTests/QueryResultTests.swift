import CLadybug
import Foundation
import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    @Suite("Query results")
    struct QueryResultTests {
        @Test("column names, types with children, row count and summary")
        func metadata() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let result = try connection.query(
                    """
                    RETURN 1 AS i, 'a' AS s, [1, 2] AS l, {a: 1, b: ['x']} AS st, map(['k'], [2.5]) AS m,
                           CAST([1, 2, 3] AS INT64[3]) AS arr, CAST(1.5 AS DECIMAL(5, 2)) AS d,
                           [{a: 1}] AS ls
                    """)
                #expect(result.columnNames == ["i", "s", "l", "st", "m", "arr", "d", "ls"])
                let types = result.columnTypes
                #expect(
                    types.map(\.description) == [
                        "INT64", "STRING", "INT64[]", "STRUCT(a INT64, b STRING[])", "MAP(STRING, DOUBLE)", "INT64[3]",
                        "DECIMAL(5, 2)", "STRUCT(a INT64)[]",
                    ])
                #expect(types[2].id == .list && types[2].elementType?.id == .int64)
                #expect(types[3].id == .struct && types[3].fieldNames == ["a", "b"])
                #expect(types[3].children[1].elementType?.id == .string)
                #expect(types[4].id == .map && types[4].children.map(\.id) == [.string, .double])
                #expect(types[5].id == .array && types[5].arraySize == 3)
                #expect(types[6].decimalPrecision == 5 && types[6].decimalScale == 2)
                #expect(result.rowCount == 1)
                #expect(result.hasNext)
                let summary = result.summary
                #expect(summary.compilingTimeMilliseconds >= 0 && summary.executionTimeMilliseconds >= 0)
                let row = try #require(try result.next())
                #expect(row[0] == .int64(1))
                #expect(row[3][field: "b"] == .list([.string("x")]))
                #expect(row[4] == .map([.init(key: .string("k"), value: .double(2.5))]))
                #expect(row[5] == .array([.int64(1), .int64(2), .int64(3)]))
                #expect(row[6] == .decimal("1.50"))
                #expect(!result.hasNext)
                #expect(try result.next() == nil)
            }
        }

        @Test("scalar types decode to the matching Value")
        func scalars() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let row = try connection.query(
                    """
                    RETURN true, CAST(1 AS INT8), CAST(2 AS INT16), CAST(3 AS INT32), CAST(4 AS INT64),
                           CAST(5 AS UINT8), CAST(6 AS UINT16), CAST(7 AS UINT32), CAST(8 AS UINT64),
                           CAST(9 AS INT128), CAST(1.5 AS FLOAT), 2.5, 'text', blob('ab'),
                           uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), date('2024-02-29'),
                           timestamp('2024-02-29 12:34:56.789'), interval('1 day 2 hours'), NULL
                    """
                ).next()
                #expect(
                    row == [
                        .bool(true), .int8(1), .int16(2), .int32(3), .int64(4), .uint8(5), .uint16(6), .uint32(7),
                        .uint64(8),
                        .int128("9"), .float(1.5), .double(2.5), .string("text"), .blob([97, 98]),
                        .uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), .date(daysSinceEpoch: 19782),
                        .timestamp(microsecondsSinceEpoch: 1_709_210_096_789_000),
                        .interval(months: 0, days: 1, microseconds: 7_200_000_000), .null,
                    ])
                #expect(row?[15].description == "2024-02-29")
                #expect(row?[16].description == "2024-02-29 12:34:56.789000")
            }
        }

        @Test("nodes, relationships and paths decode with ids, labels and properties")
        func graphValues() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY, name STRING)")
                _ = try connection.query("CREATE REL TABLE Knows(FROM P TO P, since INT64)")
                _ = try connection.query("CREATE (:P {id: 1, name: 'a'}), (:P {id: 2, name: 'b'})")
                _ = try connection.query(
                    "MATCH (a:P {id: 1}), (b:P {id: 2}) CREATE (a)-[:Knows {since: 2020}]->(b)")
                let result = try connection.query("MATCH (a:P)-[k:Knows]->(b:P) RETURN a, k, b")
                #expect(result.columnTypes.map(\.id) == [.node, .rel, .node])
                let row = try #require(try result.next())
                guard case .node(let a) = row[0], case .rel(let k) = row[1], case .node(let b) = row[2] else {
                    Issue.record("unexpected \(row)")
                    return
                }
                #expect(a.label == "P" && a[property: "name"] == .string("a") && a[property: "id"] == .int64(1))
                #expect(k.label == "Knows" && k[property: "since"] == .int64(2020))
                #expect(k.source == a.id && k.destination == b.id)
                let path = try connection.query("MATCH p = (:P {id: 1})-[:Knows*1..2]->(:P) RETURN p").next()
                guard case .recursiveRel(let nodes, let rels) = path?.first else {
                    Issue.record("unexpected \(String(describing: path))")
                    return
                }
                #expect(nodes.map { $0[property: "id"] } == [.int64(1), .int64(2)])
                #expect(rels.count == 1)
            }
        }

        @Test("a multi-statement query gives one result per statement")
        func multipleResults() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let first = try connection.query("RETURN 1 AS a; RETURN 2 AS b; RETURN 3 AS c")
                #expect(first.hasNextQueryResult)
                #expect(try first.next() == [.int64(1)])
                let second = try #require(try first.nextQueryResult())
                #expect(second.columnNames == ["b"])
                #expect(try second.next() == [.int64(2)])
                let third = try #require(try first.nextQueryResult())
                #expect(try third.next() == [.int64(3)])
                #expect(!first.hasNextQueryResult)
                #expect(try first.nextQueryResult() == nil)

                let failing = try connection.query("RETURN 1; MATCH (n:Nope) RETURN n")
                #expect(engineError { try failing.nextQueryResult() }?.kind == .bind)
            }
        }

        @Test("Arrow chunks cover every row, own their memory and come with the schema")
        func arrowChunks() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let result = try connection.query("UNWIND range(1, 10000) AS i RETURN i, CAST(i AS STRING) AS s")
                let schema = try result.arrowSchema()
                #expect(schema.format == "+s")
                #expect(schema.childNames == ["i", "s"])
                #expect(try result.arrowSchema() === schema)
                var chunks: [ArrowChunk] = []
                while let chunk = try result.nextArrowChunk(rows: 4096) {
                    chunks.append(chunk)
                }
                #expect(chunks.map(\.length) == [4096, 4096, 1808])
                result.close()
                // Chunks stay readable after their result is gone: sum the INT64 column.
                var sum: Int64 = 0
                for chunk in chunks {
                    let column = try #require(chunk.pointer.pointee.children?[0])
                    let values = try #require(column.pointee.buffers?[1]).assumingMemoryBound(to: Int64.self)
                    for row in 0..<Int(column.pointee.length) {
                        sum += values[Int(column.pointee.offset) + row]
                    }
                }
                #expect(sum == 10000 * 10001 / 2)
            }
        }

        @Test("the internal handle and connection are available to this module")
        func internalHandle() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                let result = try connection.query("RETURN 42")
                #expect(result.connection === connection)
                #expect(lbug_query_result_get_num_tuples(result.handle) == 1)
                #expect(try result.withHandle { lbug_query_result_has_next($0) })
                #expect(try result.renderedTable().contains("42"))
            }
        }
    }
}
