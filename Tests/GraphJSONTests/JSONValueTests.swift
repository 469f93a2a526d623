import Foundation
import Testing

@testable import GraphJSON

@Suite struct JSONValueTests {
    @Test func parsesEveryKindKeepingOrderAndDigits() throws {
        let text = #"{"z":1,"a":[true,false,null],"big":170141183460469231731687303715884105727,"d":-0.5e-3,"s":"x","o":{"k":{}}}"#
        let value = try JSONValue(parsing: text)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["z", "a", "big", "d", "s", "o"])
        #expect(value["a"] == .array([.bool(true), .bool(false), .null]))
        #expect(value["big"]?.numberValue?.text == "170141183460469231731687303715884105727")
        #expect(value["d"]?.numberValue?.text == "-0.5e-3")
        #expect(value["o"] == ["k": [:]])
        // Serializing gives the same text back: order and digits survive a round trip.
        #expect(value.jsonText == text)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\n\t\r\b\f\u00e9\ud83d\ude00 \u4e2d""#)
        #expect(value == .string("a\"b\\c/d\n\t\r\u{08}\u{0C}é😀 中"))
        #expect(try JSONValue(parsing: "\"héllo ✓\"") == .string("héllo ✓"))
    }

    @Test func writesStringsWithTheEscapesJSONNeeds() throws {
        let value = JSONValue.string("q\"b\\n\nt\tc\u{01}é😀/")
        #expect(value.jsonText == #""q\"b\\n\nt\tc\u0001é😀/""#)
        #expect(try JSONValue(parsing: value.jsonText) == value)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "+1", "tru", "nul", "\"abc", "\"a\u{01}b\"",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "[1 2]", "{\"a\" 1}", "{1:2}", "1 2", "NaN", "Infinity", "'a'",
    ])
    func refusesInvalidJSON(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
    }

    @Test func refusesNestingBeyondTheLimit() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try JSONValue(parsing: fine).arrayValue?.count == 1)
    }

    @Test func refusesInvalidUTF8InStrings() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0xFE, 0x22], [0x22, 0x61, 0x5C, 0x6E, 0xC3, 0x22], [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D]] {
            #expect(throws: JSONSyntaxError.self, "\(bytes)") { try JSONValue(parsing: Data(bytes)) }
        }
    }

    @Test func keepsOrRefusesDuplicateKeysAsAsked() throws {
        let text = #"{"a": 1, "b": {"a": 2, "a": 3}}"#
        #expect(try JSONValue(parsing: text)["b"]?.objectValue?.keys == ["a", "a"])
        let strict = JSONParsingOptions(rejectsDuplicateKeys: true)
        #expect(throws: JSONSyntaxError(offset: 23, reason: #"duplicate key "a""#)) {
            try Array(text.utf8).withUnsafeBytes { try JSONValue.parse($0, builder: JSONValueTreeBuilder(), options: strict) }
        }
    }

    /// A builder of another value type gets what the parser read, and can refuse a number.
    @Test func buildsOtherValueTypes() throws {
        struct Summary: JSONValueBuilder {
            func null() -> String { "null" }
            func bool(_ value: Bool) -> String { "\(value)" }
            func string(_ text: String) -> String { "s:\(text)" }
            func number(_ text: UnsafeBufferPointer<UInt8>, isInteger: Bool) -> String? {
                text.count > 3 ? nil : (isInteger ? "i:" : "d:") + String(decoding: text, as: UTF8.self)
            }
            func array(_ elements: [String]) -> String { "[" + elements.joined(separator: " ") + "]" }
            func member(_ key: String, _ value: String) -> String { key + "=" + value }
            func object(_ members: [String]) -> String { "{" + members.joined(separator: " ") + "}" }
        }
        let text = #"{"k": [1, 2.5, "x", null, true], "e": 1e2}"#
        #expect(try Array(text.utf8).withUnsafeBytes { try JSONValue.parse($0, builder: Summary()) } == "{k=[i:1 d:2.5 s:x null true] e=d:1e2}")
        #expect(throws: JSONSyntaxError(offset: 1, reason: "number out of range")) {
            try Array("[1234]".utf8).withUnsafeBytes { try JSONValue.parse($0, builder: Summary()) }
        }
        let deep = String(repeating: "[", count: 11) + String(repeating: "]", count: 11)
        #expect(throws: JSONSyntaxError.self) {
            try Array(deep.utf8).withUnsafeBytes { try JSONValue.parse($0, builder: Summary(), options: JSONParsingOptions(maxNestingDepth: 10)) }
        }
    }

    @Test func errorNamesTheOffset() {
        #expect(throws: JSONSyntaxError(offset: 6, reason: "expected ',' or ']' in an array")) { try JSONValue(parsing: "[1, 2 3]") }
    }

    @Test func numbersAreCheckedWhenMadeFromText() {
        #expect(JSONNumber("12.5e+3")?.text == "12.5e+3")
        #expect(JSONNumber("-0")?.text == "-0")
        #expect(JSONNumber("1.") == nil)
        #expect(JSONNumber("0x10") == nil)
        #expect(JSONNumber("") == nil)
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(UInt64.max).text == "18446744073709551615")
        #expect(JSONNumber("9223372036854775807")?.int64Value == Int64.max)
        #expect(JSONNumber("9223372036854775808")?.int64Value == nil)
    }

    @Test func literalsBuildValues() {
        let value: JSONValue = ["n": 1, "d": 2.5, "s": "x", "b": true, "z": nil, "l": [1, "a"]]
        #expect(value.jsonText == #"{"n":1,"d":2.5,"s":"x","b":true,"z":null,"l":[1,"a"]}"#)
    }

    @Test func codableRoundTripThroughFoundation() throws {
        let value: JSONValue = ["n": 1, "s": "x", "l": [true, nil], "f": 1.5]
        let data = try JSONEncoder().encode(value)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
        // Foundation may reorder members; compare member by member.
        for key in ["n", "s", "l", "f"] { #expect(decoded[key] == value[key]) }
    }
}
