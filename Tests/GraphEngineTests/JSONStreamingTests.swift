import Foundation
import NIOCore
import Testing

@testable import GraphEngine

/// Row shapes, chunked writing, empty results, and the agreement of the Arrow and tuple paths.
@Suite("JSON streaming of query results")
struct JSONStreamingTests {
    @Test func rowShapes() throws {
        let database = try JSONTestDatabase()
        let query = #"RETURN 1 AS a, 'x' AS b, [1.5] AS `we"ird\name`"#
        let objects = try database.encode(query, shape: .objects)
        #expect(objects == #"{"a":1,"b":"x","we\"ird\\name":[1.5]}"#)
        let parsed = try #require(try expectValidJSON(objects) as? [String: Any])
        #expect(parsed["we\"ird\\name"] as? [Double] == [1.5])
        #expect(try database.encode(query, shape: .arrays) == #"[1,"x",[1.5]]"#)
        try database.withWriter(query) { writer throws in
            #expect(writer.columnNames == ["a", "b", "we\"ird\\name"])
            var buffer = ByteBuffer()
            writer.writeColumnNames(into: &buffer)
            #expect(String(buffer: buffer) == #"["a","b","we\"ird\\name"]"#)
        }
    }

    @Test func emptyResult() throws {
        let database = try JSONTestDatabase()
        try database.execute("CREATE NODE TABLE P(id INT64, PRIMARY KEY(id))")
        for path in [QueryResultJSONWriter.ReadPath.arrowChunks, .flatTuples] {
            try database.withWriter("MATCH (p:P) RETURN p.id", shape: .objects, path: path) { writer throws in
                var buffer = ByteBuffer()
                #expect(!writer.hasMoreRows)
                #expect(try writer.writeRows(into: &buffer, maxRows: 100) == 0)
                #expect(try writer.writeRows(into: &buffer, maxRows: 100) == 0)
                #expect(buffer.readableBytes == 0)
                #expect(writer.rowsWritten == 0)
            }
        }
    }

    @Test func nonPositiveRowCountWritesNothing() throws {
        let database = try JSONTestDatabase()
        try database.withWriter("RETURN 1") { writer throws in
            var buffer = ByteBuffer()
            #expect(try writer.writeRows(into: &buffer, maxRows: 0) == 0)
            #expect(writer.hasMoreRows)
            #expect(try writer.writeRows(into: &buffer, maxRows: 5) == 1)
            #expect(String(buffer: buffer) == "[1]")
            #expect(!writer.hasMoreRows)
        }
    }

    @Test func publicInitializerWritesObjects() throws {
        let database = try JSONTestDatabase()
        let result = try database.query("UNWIND [1, 2] AS i RETURN i, i * 2 AS twice")
        let writer = try QueryResultJSONWriter(result)
        #expect(writer.shape == .objects)
        var buffer = ByteBuffer()
        #expect(try writer.writeRows(into: &buffer, maxRows: 10) == 2)
        #expect(String(buffer: buffer) == #"{"i":1,"twice":2},{"i":2,"twice":4}"#)
    }

    @Test func closedResultIsReported() throws {
        let database = try JSONTestDatabase()
        for query in ["UNWIND range(1, 10) AS i RETURN i", "UNWIND range(1, 10) AS i RETURN [i]"] {
            let result = try database.query(query)
            let writer = try QueryResultJSONWriter(result, shape: .arrays)
            var buffer = ByteBuffer()
            #expect(try writer.writeRows(into: &buffer, maxRows: 3) == 3)
            result.close()
            let before = buffer
            let error = #expect(throws: EngineError.self) { try writer.writeRows(into: &buffer, maxRows: 3) }
            #expect(error?.kind == .closed)
            #expect(buffer == before, "a failed call leaves the buffer as it was")
            #expect(!writer.hasMoreRows)
        }
        let closed = try database.query("RETURN 1")
        closed.close()
        #expect(throws: EngineError.self) { try QueryResultJSONWriter(closed) }
    }

    /// The same rows, written in chunks of many sizes over both paths, give the bytes of one call.
    @Test(.slow, arguments: [1, 7, 100, 2_047, 2_048, 5_000])
    func chunkedWritingMatchesOneCall(chunkRows: Int) throws {
        let database = try JSONTestDatabase()
        let query =
            "UNWIND range(1, 5000) AS i RETURN i, 'n' + string(i), i * 0.5, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END"
        let whole = try database.withWriter(query, path: .flatTuples) { writer throws in
            var buffer = ByteBuffer()
            #expect(try writer.writeRows(into: &buffer, maxRows: .max) == 5_000)
            #expect(try writer.writeRows(into: &buffer, maxRows: .max) == 0)
            return String(buffer: buffer)
        }
        let parsed = try #require(try expectValidJSON("[" + whole + "]") as? [[Any]])
        #expect(parsed.count == 5_000)
        #expect(whole.hasPrefix(#"[1,"n1",0.5,false],[2,"n2",1.0,true],[3,"n3",1.5,null]"#))
        for path in [QueryResultJSONWriter.ReadPath.arrowChunks, .flatTuples] {
            for arrowChunkRows in [64, 2_048] {
                let chunked = try database.withWriter(query, path: path, arrowChunkRows: arrowChunkRows) { writer throws in
                    #expect(writer.readPath == path)
                    var buffer = ByteBuffer()
                    var calls = 0
                    while true {
                        let written = try writer.writeRows(into: &buffer, maxRows: chunkRows)
                        if written == 0 { break }
                        #expect(written == min(chunkRows, 5_000 - calls * chunkRows))
                        calls += 1
                        if writer.hasMoreRows { buffer.writeStaticString(",") }
                    }
                    #expect(calls == (5_000 + chunkRows - 1) / chunkRows)
                    #expect(writer.rowsWritten == 5_000)
                    return String(buffer: buffer)
                }
                #expect(chunked == whole, "path \(path), Arrow chunks of \(arrowChunkRows) rows")
            }
        }
    }

    /// A table with a column of every type the Arrow path handles, with NULLs spread over it:
    /// both paths must write identical bytes.
    @Test func arrowPathMatchesTuplePath() throws {
        let database = try JSONTestDatabase()
        try database.execute(
            """
            CREATE NODE TABLE T(id INT64, i8 INT8, i16 INT16, i32 INT32, u8 UINT8, u16 UINT16, u32 UINT32,
            u64 UINT64, i128 INT128, f FLOAT, d DOUBLE, b BOOL, s STRING, bl BLOB, u UUID, dt DATE,
            ts TIMESTAMP, tsns TIMESTAMP_NS, tsms TIMESTAMP_MS, tssec TIMESTAMP_SEC, tstz TIMESTAMP_TZ,
            PRIMARY KEY(id))
            """
        )
        try database.execute(
            """
            UNWIND range(0, 2999) AS i
            CREATE (:T {id: i,
              i8: CASE WHEN i % 7 = 1 THEN NULL ELSE CAST(i % 128 - 64 AS INT8) END,
              i16: CAST(i * 7 - 10000 AS INT16),
              i32: CASE WHEN i % 5 = 2 THEN NULL ELSE CAST(i * 100003 - 2000000 AS INT32) END,
              u8: CAST(i % 256 AS UINT8), u16: CAST(i * 13 AS UINT16), u32: CAST(i * 1000003 AS UINT32),
              u64: CAST(i AS UINT64) * CAST(6148914691236517 AS UINT64),
              i128: CAST(i - 1500 AS INT128) * CAST('100000000000000000000000000000' AS INT128),
              f: CASE WHEN i % 11 = 3 THEN NULL ELSE CAST(i / 7.0 AS FLOAT) END,
              d: CASE WHEN i % 13 = 4 THEN NULL ELSE (i - 1500) / 3.0 END,
              b: CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END,
              s: CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN '' ELSE 'str "' + string(i) + '"\\n😀' END,
              bl: CASE WHEN i % 6 = 0 THEN NULL ELSE BLOB('\\\\x0' + string(i % 10) + 'ab' + string(i)) END,
              u: CASE WHEN i % 9 = 0 THEN NULL ELSE uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd38' + string(1000 + i)) END,
              dt: date('1900-01-01') + i * 37,
              ts: timestamp('1960-01-01 00:00:00') + to_microseconds(i * 9876543210),
              tsns: CAST(timestamp('2024-01-01 00:00:00') + to_microseconds(i * 1234567) AS TIMESTAMP_NS),
              tsms: CAST(timestamp('2024-01-01 00:00:00') + to_microseconds(i * 1001000) AS TIMESTAMP_MS),
              tssec: CAST(timestamp('1969-12-31 23:00:00') + to_microseconds(i * 1000000) AS TIMESTAMP_SEC),
              tstz: CAST(timestamp('2024-06-30 12:00:00') + to_microseconds(i * 333) AS TIMESTAMP_TZ)})
            """
        )
        let query = "MATCH (t:T) RETURN t.* ORDER BY t.id"
        let flat = try database.encode(query, shape: .objects, path: .flatTuples)
        try database.withWriter(query) { writer throws in
            #expect(writer.readPath == .arrowChunks)
        }
        let arrow = try database.encode(query, shape: .objects, path: .arrowChunks)
        #expect(arrow == flat)
        let rows = try #require(try expectValidJSON("[" + flat + "]") as? [[String: Any]])
        #expect(rows.count == 3_000)
        #expect(rows[1]["t.i8"] is NSNull)
        #expect(rows[4]["t.s"] is NSNull)
        #expect(rows[2]["t.s"] as? String == "str \"2\"\n😀")
        #expect(rows[0]["t.i128"] as? NSNumber != nil)
    }

    @Test func nestedColumnsUseTheTuplePath() throws {
        let database = try JSONTestDatabase()
        for query in ["RETURN [1]", "RETURN {a: 1}", "RETURN interval('1 day')", "RETURN CAST('1.5' AS DECIMAL(4,1))", "RETURN 1, [2]"] {
            try database.withWriter(query) { writer throws in
                #expect(writer.readPath == .flatTuples, "\(query)")
            }
        }
        try database.withWriter("RETURN 1, 'a', 2.5, date('2024-01-01')") { writer throws in
            #expect(writer.readPath == .arrowChunks)
        }
    }
}
