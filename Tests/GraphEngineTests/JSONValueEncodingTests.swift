import Foundation
import NIOCore
import Testing

@testable import GraphEngine

/// Every engine value type, read from a real database, against the exact JSON of the contract.
/// Each row is encoded through the tuple path and (where it applies) the Arrow path, which must
/// agree byte for byte, and parsed back with `JSONSerialization`.
@Suite("JSON encoding of engine values")
struct JSONValueEncodingTests {
    @Test func nullsAtTopLevelAndNested() throws {
        let database = try JSONTestDatabase()
        try database.expectRow("RETURN NULL", "[null]")
        try database.expectRow("RETURN CAST(NULL AS INT64), CAST(NULL AS STRING)", "[null,null]")
        try database.expectRow("RETURN [1, NULL, 3]", "[[1,null,3]]")
        try database.expectRow("RETURN {a: NULL, b: [NULL]}", #"[{"a":null,"b":[null]}]"#)
    }

    @Test func signedIntegers() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            "RETURN CAST(-128 AS INT8), CAST(-32768 AS INT16), CAST(-2147483648 AS INT32), CAST(-9223372036854775807 - 1 AS INT64)",
            "[-128,-32768,-2147483648,-9223372036854775808]"
        )
        try database.expectRow(
            "RETURN CAST(127 AS INT8), CAST(32767 AS INT16), CAST(2147483647 AS INT32), CAST(9223372036854775807 AS INT64), 0",
            "[127,32767,2147483647,9223372036854775807,0]"
        )
    }

    @Test func unsignedIntegers() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            "RETURN CAST(255 AS UINT8), CAST(65535 AS UINT16), CAST(4294967295 AS UINT32), CAST('18446744073709551615' AS UINT64)",
            "[255,65535,4294967295,18446744073709551615]"
        )
    }

    @Test func int128KeepsEveryDigit() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            "RETURN CAST('170141183460469231731687303715884105727' AS INT128), CAST('-170141183460469231731687303715884105728' AS INT128), CAST(-5 AS INT128), CAST('10000000000000000000' AS INT128)",
            "[170141183460469231731687303715884105727,-170141183460469231731687303715884105728,-5,10000000000000000000]"
        )
    }

    @Test func serialColumns() throws {
        let database = try JSONTestDatabase()
        try database.execute(
            "CREATE NODE TABLE Item(id SERIAL, name STRING, PRIMARY KEY(id))",
            "CREATE (:Item {name: 'a'}), (:Item {name: 'b'})"
        )
        #expect(try database.encode("MATCH (i:Item) RETURN i.id, i.name ORDER BY i.id") == #"[0,"a"],[1,"b"]"#)
        #expect(try database.encode("MATCH (i:Item) RETURN i.id ORDER BY i.id", path: .flatTuples) == "[0],[1]")
    }

    @Test func floatingPointIncludingNaNAndInfinity() throws {
        let database = try JSONTestDatabase()
        try database.expectRow("RETURN 1.5, 0.1, -2.0, 1e300, 3.0e-7", "[1.5,0.1,-2.0,1e+300,3e-07]")
        try database.expectRow(
            "RETURN CAST(1.1 AS FLOAT), CAST(16777216 AS FLOAT), CAST(-0.25 AS FLOAT)",
            "[1.1,16777216.0,-0.25]"
        )
        try database.expectRow(
            "RETURN CAST('NaN' AS DOUBLE), CAST('inf' AS DOUBLE), CAST('-inf' AS DOUBLE), CAST('NaN' AS FLOAT), CAST('inf' AS FLOAT)",
            "[null,null,null,null,null]"
        )
        try database.expectRow("RETURN [CAST('NaN' AS DOUBLE), 2.5]", "[[null,2.5]]")
    }

    @Test func decimalsAreStrings() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            "RETURN CAST('1.25' AS DECIMAL(10,2)), CAST('-12345678901234567890.5' AS DECIMAL(38,1))",
            #"["1.25","-12345678901234567890.5"]"#
        )
    }

    @Test func stringsAreEscaped() throws {
        let database = try JSONTestDatabase()
        let row = try database.encodeRow(#"RETURN 'say \"hi\"', 'back\\slash', 'tab\tnl\ncr\rctl\u0001', '😀 中文 é', '', '/'"#)
        #expect(row == #"["say \"hi\"","back\\slash","tab\tnl\ncr\rctl\u0001","😀 中文 é","","/"]"#)
        let parsed = try #require(try expectValidJSON("[" + row + "]") as? [[Any]])
        #expect(parsed[0][0] as? String == "say \"hi\"")
        #expect(parsed[0][2] as? String == "tab\tnl\ncr\rctl\u{1}")
        #expect(parsed[0][3] as? String == "😀 中文 é")
    }

    @Test func booleans() throws {
        let database = try JSONTestDatabase()
        try database.expectRow("RETURN true, false", "[true,false]")
    }

    @Test func dates() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            "RETURN date('2024-01-02'), date('1970-01-01'), date('1969-12-31'), date('2000-02-29'), date('0001-01-01')",
            #"["2024-01-02","1970-01-01","1969-12-31","2000-02-29","0001-01-01"]"#
        )
    }

    /// The engine parses TIMESTAMP_NS text to microseconds, so the last three of the 9 digits are 0
    /// here; `JSONPrimitiveTests.timestamps` covers nanosecond digits.
    @Test func timestampVariants() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            "RETURN timestamp('2024-01-02 03:04:05'), timestamp('2024-01-02 03:04:05.5'), timestamp('1969-12-31 23:59:59.999999')",
            #"["2024-01-02T03:04:05","2024-01-02T03:04:05.500000","1969-12-31T23:59:59.999999"]"#
        )
        try database.expectRow(
            "RETURN CAST('2024-01-02 03:04:05.123456789' AS TIMESTAMP_NS), CAST('2024-01-02 03:04:05.123' AS TIMESTAMP_MS), CAST('2024-01-02 03:04:05' AS TIMESTAMP_SEC), CAST('2024-01-02 03:04:05' AS TIMESTAMP_MS)",
            #"["2024-01-02T03:04:05.123456000","2024-01-02T03:04:05.123","2024-01-02T03:04:05","2024-01-02T03:04:05"]"#
        )
        try database.expectRow(
            "RETURN CAST('2024-01-02 03:04:05+02' AS TIMESTAMP_TZ), CAST('2024-01-02 03:04:05.25' AS TIMESTAMP_TZ)",
            #"["2024-01-02T01:04:05Z","2024-01-02T03:04:05.250000Z"]"#
        )
    }

    @Test func intervalsAreISODurations() throws {
        let database = try JSONTestDatabase()
        try database.expectRow("RETURN interval('1 day 2 hours')", #"["P1DT2H"]"#)
        try database.expectRow(
            "RETURN interval('1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds')",
            #"["P1Y2M3DT4H5M6.5S"]"#
        )
        try database.expectRow("RETURN interval('0 days')", #"["PT0S"]"#)
        try database.expectRow("RETURN interval('1 microsecond')", #"["PT0.000001S"]"#)
        try database.expectRow("RETURN interval('3 months')", #"["P3M"]"#)
        try database.expectRow("RETURN interval('36 hours')", #"["PT36H"]"#)
        try database.expectRow("RETURN timestamp('2024-01-01') - timestamp('2024-01-03 01:00:00')", #"["-P2DT1H"]"#)
        try database.expectRow("RETURN interval('1 day') - interval('2 hours')", #"["P1DT-2H"]"#)
    }

    @Test func uuids() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            "RETURN uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), uuid('00000000-0000-0000-0000-000000000001'), uuid('FFFFFFFF-0000-0000-0000-000000000000')",
            #"["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","00000000-0000-0000-0000-000000000001","ffffffff-0000-0000-0000-000000000000"]"#
        )
    }

    @Test func blobsAreBase64() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            #"RETURN BLOB('\\xAA\\xBBabc'), BLOB(''), BLOB('a'), BLOB('ab')"#,
            #"["qrthYmM=","","YQ==","YWI="]"#
        )
    }

    @Test func nestedListsStructsAndArrays() throws {
        let database = try JSONTestDatabase()
        try database.expectRow("RETURN [[1,2],[3]], [], CAST([1,2,3] AS INT64[3])", "[[[1,2],[3]],[],[1,2,3]]")
        try database.expectRow(
            "RETURN [{a: [1, 2], b: {c: 'x'}}, {a: [], b: {c: NULL}}]",
            #"[[{"a":[1,2],"b":{"c":"x"}},{"a":[],"b":{"c":null}}]]"#
        )
        try database.expectRow(
            "RETURN {d: date('2024-01-02'), l: [interval('1 day')], s: 'q\"'}",
            #"[{"d":"2024-01-02","l":["P1D"],"s":"q\""}]"#
        )
    }

    @Test func mapsBecomeObjectsWithStringKeys() throws {
        let database = try JSONTestDatabase()
        try database.expectRow("RETURN map(['a', 'b'], [1, 2])", #"[{"a":1,"b":2}]"#)
        try database.expectRow("RETURN map([1, 2], ['x', 'y'])", #"[{"1":"x","2":"y"}]"#)
        try database.expectRow("RETURN map([date('2024-01-02')], [[1]])", #"[{"2024-01-02":[1]}]"#)
        try database.expectRow("RETURN map([{k: 1}], [true])", #"[{"{\"k\":1}":true}]"#)
    }

    @Test func unionsAreTheirMemberValue() throws {
        let database = try JSONTestDatabase()
        try database.expectRow("RETURN union_value(a := 1), union_value(s := 'x')", #"[1,"x"]"#)
    }

    @Test func jsonValuesAreEmbedded() throws {
        let database = try JSONTestDatabase()
        try database.expectRow(
            #"RETURN CAST('{"a": [1, 2.5, "x"],  "b" : null}' AS JSON)"#,
            #"[{"a":[1,2.5,"x"],"b":null}]"#
        )
        try database.expectRow("RETURN CAST('not json' AS JSON)", #"["not json"]"#)
    }
}
