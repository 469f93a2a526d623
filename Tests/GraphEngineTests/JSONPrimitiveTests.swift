import Foundation
import NIOCore
import Testing

@testable import GraphEngine

/// The `ByteBuffer` JSON writers on their own, against exact text and `JSONSerialization`.
@Suite("JSON primitives on ByteBuffer")
struct JSONPrimitiveTests {
    private func written(_ write: (inout ByteBuffer) -> Void) -> String {
        var buffer = ByteBuffer()
        write(&buffer)
        return String(buffer: buffer)
    }

    @Test func stringEscaping() throws {
        #expect(self.written { $0.writeJSONString("plain") } == #""plain""#)
        #expect(self.written { $0.writeJSONString("") } == #""""#)
        #expect(self.written { $0.writeJSONString("a\"b\\c/d") } == #""a\"b\\c/d""#)
        #expect(
            self.written { $0.writeJSONString("\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F}") } == #""\b\f\n\r\t\u0000\u001f\#u{7F}""#
        )
        #expect(self.written { $0.writeJSONString("é中😀\u{2028}") } == "\"é中😀\u{2028}\"")
        let every = String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) }) + "é😀"
        let text = self.written { $0.writeJSONString(every) }
        let parsed = try #require(try expectValidJSON(text) as? String)
        #expect(parsed == every)
    }

    @Test func invalidUTF8IsReplaced() throws {
        let samples: [([UInt8], String)] = [
            ([0x61, 0xFF, 0x62], "a\u{FFFD}b"),  // impossible byte
            ([0x80], "\u{FFFD}"),  // stray continuation
            ([0xC3], "\u{FFFD}"),  // truncated two-byte sequence
            ([0xC0, 0xAF], "\u{FFFD}\u{FFFD}"),  // overlong
            ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),  // surrogate
            ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),  // above U+10FFFF
            ([0xF0, 0x9F, 0x98, 0x80, 0x22], "😀\""),
        ]
        for (bytes, expected) in samples {
            let text = bytes.withUnsafeBytes { raw in self.written { $0.writeJSONString(utf8: raw) } }
            #expect(try expectValidJSON(text) as? String == expected, "\(bytes)")
        }
    }

    @Test func cStrings() {
        #expect(self.written { buffer in "x\"y".withCString { buffer.writeJSONString(cString: $0) } } == #""x\"y""#)
    }

    @Test func integers() {
        #expect(self.written { $0.writeJSONNumber(0) } == "0")
        #expect(self.written { $0.writeJSONNumber(Int64.min) } == "-9223372036854775808")
        #expect(self.written { $0.writeJSONNumber(Int64.max) } == "9223372036854775807")
        #expect(self.written { $0.writeJSONNumber(UInt64.max) } == "18446744073709551615")
        #expect(self.written { $0.writeJSONNumber(Int8.min) } == "-128")
        #expect(self.written { $0.writeJSONNumber(UInt8(7)) } == "7")
        #expect(self.written { $0.writeJSONNumber(Int128.max) } == "170141183460469231731687303715884105727")
        #expect(self.written { $0.writeJSONNumber(Int128.min) } == "-170141183460469231731687303715884105728")
        #expect(self.written { $0.writeJSONNumber(UInt128.max) } == "340282366920938463463374607431768211455")
        #expect(self.written { $0.writeJSONNumber(Int128(10_000_000_000_000_000_000)) } == "10000000000000000000")
        #expect(self.written { $0.writeJSONNumber(Int128(-1) << 70) } == "-1180591620717411303424")
        for value in [1, 9, 10, 99, 100, 12_345, 1_000_000_007, -42] as [Int] {
            #expect(self.written { $0.writeJSONNumber(value) } == String(value))
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let value = Int128(bitPattern: UInt128(random.next() as UInt64) << 64 | UInt128(random.next() as UInt64))
            #expect(self.written { $0.writeJSONNumber(value) } == String(value))
        }
    }

    @Test func doublesRoundTripWithShortestDigits() throws {
        #expect(self.written { $0.writeJSONNumber(1.0) } == "1.0")
        #expect(self.written { $0.writeJSONNumber(-0.0) } == "-0.0")
        #expect(self.written { $0.writeJSONNumber(0.1) } == "0.1")
        #expect(self.written { $0.writeJSONNumber(1e-5) } == "1e-05")
        #expect(self.written { $0.writeJSONNumber(9_007_199_254_740_993.0) } == "9007199254740992.0")
        #expect(self.written { $0.writeJSONNumber(1e16) } == "1e+16")
        #expect(self.written { $0.writeJSONNumber(Double.nan) } == "null")
        #expect(self.written { $0.writeJSONNumber(Double.infinity) } == "null")
        #expect(self.written { $0.writeJSONNumber(-Double.infinity) } == "null")
        #expect(self.written { $0.writeJSONNumber(Float(1.1)) } == "1.1")
        #expect(self.written { $0.writeJSONNumber(Float.nan) } == "null")
        // The integral fast path agrees with Swift's formatting, and everything parses back exactly.
        var random = SystemRandomNumberGenerator()
        var samples: [Double] = [Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 123_456_789.0, -3.0]
        for _ in 0..<2_000 {
            samples.append(Double(bitPattern: random.next()))
            samples.append(Double(Int64.random(in: -(1 << 53)...(1 << 53), using: &random)))
        }
        for value in samples where value.isFinite {
            let text = self.written { $0.writeJSONNumber(value) }
            #expect(text == value.description)
            #expect(Double(text) == value)
            try expectValidJSON(text)
        }
        for _ in 0..<2_000 {
            let value = Float(bitPattern: random.next())
            guard value.isFinite else { continue }
            let text = self.written { $0.writeJSONNumber(value) }
            #expect(text == value.description)
            #expect(Float(text) == value)
        }
    }

    @Test func base64() {
        let cases: [([UInt8], String)] = [
            ([], ""), ([0x66], "Zg=="), ([0x66, 0x6F], "Zm8="), ([0x66, 0x6F, 0x6F], "Zm9v"),
            (Array("foobar".utf8), "Zm9vYmFy"), ([0xFF, 0xFE, 0xFD, 0x00], "//79AA=="),
        ]
        for (bytes, expected) in cases {
            #expect(bytes.withUnsafeBytes { raw in self.written { $0.writeJSONBase64String(raw) } } == "\"\(expected)\"")
        }
        let random = (0..<1_000).map { _ in UInt8.random(in: 0...255) }
        let text = random.withUnsafeBytes { raw in self.written { $0.writeBase64(raw) } }
        #expect(text == Data(random).base64EncodedString())
    }

    @Test func dates() {
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: 0) } == #""1970-01-01""#)
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: 19_724) } == #""2024-01-02""#)
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: -1) } == #""1969-12-31""#)
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: 11_016) } == #""2000-02-29""#)
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: -719_162) } == #""0001-01-01""#)
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: -719_528) } == #""0000-01-01""#)
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: -735_525) } == #""-0044-03-15""#)
        #expect(self.written { $0.writeJSONDate(daysSinceEpoch: 2_932_897) } == #""+10000-01-01""#)
        // Every day of 1900-2100 agrees with Foundation's Gregorian calendar.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for day in stride(from: -25_567, through: 47_482, by: 1) {
            let components = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            let expected = String(format: "\"%04d-%02d-%02d\"", components.year!, components.month!, components.day!)
            let text = self.written { $0.writeJSONDate(daysSinceEpoch: Int64(day)) }
            if text != expected {
                Issue.record("day \(day): \(text) != \(expected)")
                break
            }
        }
    }

    @Test func timestamps() {
        #expect(self.written { $0.writeJSONTimestamp(0, unit: .microseconds) } == #""1970-01-01T00:00:00""#)
        #expect(self.written { $0.writeJSONTimestamp(-1, unit: .microseconds) } == #""1969-12-31T23:59:59.999999""#)
        #expect(self.written { $0.writeJSONTimestamp(1_500_000, unit: .microseconds, utc: true) } == #""1970-01-01T00:00:01.500000Z""#)
        #expect(self.written { $0.writeJSONTimestamp(86_399_999, unit: .milliseconds) } == #""1970-01-01T23:59:59.999""#)
        #expect(self.written { $0.writeJSONTimestamp(1, unit: .nanoseconds) } == #""1970-01-01T00:00:00.000000001""#)
        #expect(self.written { $0.writeJSONTimestamp(1_704_164_645, unit: .seconds) } == #""2024-01-02T03:04:05""#)
        #expect(self.written { $0.writeJSONTimestamp(-1, unit: .seconds, utc: true) } == #""1969-12-31T23:59:59Z""#)
        let extreme = self.written { $0.writeJSONTimestamp(Int64.min, unit: .microseconds) }
        #expect(extreme == #""-290308-12-21T19:59:05.224192""#)
    }

    @Test func intervals() {
        func interval(_ months: Int32, _ days: Int32, _ micros: Int64) -> String {
            self.written { $0.writeJSONInterval(months: months, days: days, microseconds: micros) }
        }
        #expect(interval(0, 0, 0) == #""PT0S""#)
        #expect(interval(14, 3, 0) == #""P1Y2M3D""#)
        #expect(interval(12, 0, 0) == #""P1Y""#)
        #expect(interval(0, 1, 7_200_000_000) == #""P1DT2H""#)
        #expect(interval(0, 0, 3_723_500_000) == #""PT1H2M3.5S""#)
        #expect(interval(0, 0, 60_000_000) == #""PT1M""#)
        #expect(interval(0, 0, 1) == #""PT0.000001S""#)
        #expect(interval(0, 0, 90_000_000_000) == #""PT25H""#)
        #expect(interval(-14, -2, -3_600_000_000) == #""-P1Y2M2DT1H""#)
        #expect(interval(0, -1, 0) == #""-P1D""#)
        #expect(interval(0, 0, -500_000) == #""-PT0.5S""#)
        #expect(interval(1, -1, 0) == #""P1M-1D""#)
        #expect(interval(-13, 2, -1_500_000) == #""P-1Y-1M2DT-1.5S""#)
        #expect(interval(Int32.min, Int32.min, Int64.min).hasPrefix("\"-P178956970Y8M2147483648DT2562047788H"))
    }

    @Test func uuids() {
        #expect(
            self.written { $0.writeJSONUUID(0xA0EE_BC99_9C0B_4EF8_BB6D_6BB9_BD38_0A11) }
                == #""a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11""#
        )
        #expect(self.written { $0.writeJSONUUID(1) } == #""00000000-0000-0000-0000-000000000001""#)
    }

    @Test func internalIDsAndLiterals() {
        #expect(self.written { $0.writeJSONInternalID(offset: 5, table: 2) } == #"{"offset":5,"table":2}"#)
        #expect(self.written { $0.writeJSONNull() } == "null")
        #expect(self.written { $0.writeJSONBool(true) } == "true")
        #expect(self.written { $0.writeJSONBool(false) } == "false")
    }

    @Test func minifiedJSONText() {
        func minified(_ text: String) -> String? {
            var buffer = ByteBuffer(string: "<")
            let accepted = Array(text.utf8).withUnsafeBytes { buffer.writeMinifiedJSON($0) }
            let output = String(buffer: buffer)
            if !accepted {
                #expect(output == "<", "a rejected text must leave the buffer unchanged")
                return nil
            }
            return String(output.dropFirst())
        }
        #expect(minified(" { \"a\" : [ 1 , -2.5e+3 , true , null , \"x y\\n\" ] ,\n\"b\":{}} ") == #"{"a":[1,-2.5e+3,true,null,"x y\n"],"b":{}}"#)
        #expect(minified("\"\\u00e9\"") == "\"\\u00e9\"")
        #expect(minified("0") == "0")
        #expect(minified("[]") == "[]")
        for invalid in ["", "not json", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\u{1}\"", "[1] 2", "tru", "\"\\x\"", "{1:2}"] {
            #expect(minified(invalid) == nil, "\(invalid)")
        }
        #expect(minified(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) == nil)
    }
}
