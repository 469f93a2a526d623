import Foundation
import Testing

@testable import GraphJSON

/// `JSONValueDecoder` reads a parsed value as `JSONDecoder` reads the same text.
@Suite struct JSONValueDecoderTests {
    struct Inner: Codable, Equatable {
        var name: String
        var tags: [String]
    }

    enum Colour: String, Codable, Equatable { case red, blue }

    struct Outer: Codable, Equatable {
        var id: Int
        var big: Int64
        var ratio: Double
        var flag: Bool
        var colour: Colour
        var inner: Inner
        var optional: String?
        var missing: Int?
        var list: [Inner]
        var map: [String: Int]
        var any: JSONValue
    }

    static let text = #"""
        {"id": 3.0, "big": 9223372036854775807, "ratio": 0.25, "flag": true, "colour": "blue",
         "inner": {"name": "a", "tags": ["x", "y"]}, "optional": null,
         "list": [{"name": "b", "tags": []}], "map": {"k": 1, "j": 2}, "any": {"n": [1, 2.5, "s", null]}}
        """#

    @Test func readsWhatJSONDecoderReads() throws {
        let fromValue = try JSONValueDecoder().decode(Outer.self, from: try JSONValue(parsing: Self.text))
        let fromText = try JSONDecoder().decode(Outer.self, from: Data(Self.text.utf8))
        #expect(fromValue == fromText)
        #expect(fromValue.id == 3 && fromValue.big == Int64.max && fromValue.colour == .blue && fromValue.optional == nil)
        #expect(fromValue.list == [Inner(name: "b", tags: [])] && fromValue.map == ["k": 1, "j": 2])
        #expect(fromValue.any == ["n": [1, 2.5, "s", nil]])
    }

    /// Each value that does not fit is a `DecodingError` with the path to it.
    @Test(arguments: [
        (#"{"name": 1, "tags": []}"#, "name", "typeMismatch"),
        (#"{"name": "a", "tags": ["x", 2]}"#, "tags.Index 1", "typeMismatch"),
        (#"{"name": "a"}"#, "tags", "keyNotFound"),
        (#"{"name": null, "tags": []}"#, "name", "valueNotFound"),
        (#"["a"]"#, "", "typeMismatch"),
    ])
    func aValueThatDoesNotFitNamesItsPath(json: String, path: String, kind: String) throws {
        let error = #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Inner.self, from: try JSONValue(parsing: json)) }
        switch error {
        case .typeMismatch(_, let context)?:
            #expect(kind == "typeMismatch" && Self.path(context.codingPath) == path, "\(context)")
        case .keyNotFound(let key, let context)?:
            #expect(kind == "keyNotFound" && Self.path(context.codingPath + [key]) == path, "\(context)")
        case .valueNotFound(_, let context)?:
            #expect(kind == "valueNotFound" && Self.path(context.codingPath) == path, "\(context)")
        default:
            Issue.record("unexpected \(String(describing: error))")
        }
    }

    @Test func numbersThatDoNotFitAreRefused() throws {
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Int.self, from: try JSONValue(parsing: "3.5")) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Int64.self, from: try JSONValue(parsing: "9223372036854775808")) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(UInt8.self, from: try JSONValue(parsing: "256")) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Double.self, from: try JSONValue(parsing: "1e400")) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Colour.self, from: try JSONValue(parsing: #""green""#)) }
        #expect(try JSONValueDecoder().decode(Int.self, from: try JSONValue(parsing: "1e2")) == 100)
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map(\.stringValue).joined(separator: ".")
    }
}
