import Foundation
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// The strict request body decoder on its own: what GraphJSON's parser reads of a body, and the
/// status and message each kind of bad body gets.
@Suite struct RequestBodyDecoderTests {
    static func decode(_ json: String) throws -> CreateDatabaseRequest {
        try RequestBodyDecoder.decode(CreateDatabaseRequest.self, keys: CreateDatabaseRequest.CodingKeys.self, from: ByteBuffer(string: json))
    }

    static func refusal(_ json: String) -> ServiceError? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error as? ServiceError
        }
    }

    /// A field given twice is refused, at any depth. Before, the null check read the last value
    /// (JSONSerialization) and the decoding the first (JSONDecoder): `{"read_only": null,
    /// "read_only": true}` passed the check and created a writable graph.
    @Test(arguments: [
        (#"{"graph_id": "g", "read_only": null, "read_only": true}"#, "read_only"),
        (#"{"graph_id": null, "graph_id": "g"}"#, "graph_id"),
        (#"{"graph_id": "g", "read_only": false, "graph_id": "h"}"#, "graph_id"),
        (#"{"graph_id": "g", "colour": [{"a": 1, "a": 2}]}"#, "colour[0].a"),
    ])
    func aFieldGivenTwiceIs422(json: String, field: String) {
        let refused = Self.refusal(json)
        #expect(refused?.code == .validationError, "\(json)")
        #expect(refused?.message == "field '\(field)' is given more than once", "\(json)")
    }

    @Test(arguments: [
        #"{"graph_id": "g""#,
        #"{"graph_id": "g",}"#,
        #"{"graph_id": "g"} {}"#,
    ])
    func textThatIsNotOneJSONValueIs400InvalidJSON(json: String) {
        let refused = Self.refusal(json)
        #expect(refused?.code == .invalidJSON, "\(json.prefix(40))")
        #expect(refused?.message == "the request body is not valid JSON")
    }

    @Test func nestingDeeperThanTheParserAllowsIs400InvalidJSON() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(Self.refusal(#"{"graph_id": "g", "colour": \#(deep)}"#)?.code == .invalidJSON)
    }

    @Test func invalidUTF8Is400InvalidJSON() {
        var buffer = ByteBuffer(string: #"{"graph_id": ""#)
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString(#""}"#)
        let refused = #expect(throws: ServiceError.self) {
            try RequestBodyDecoder.decode(CreateDatabaseRequest.self, keys: CreateDatabaseRequest.CodingKeys.self, from: buffer)
        }
        #expect(refused?.code == .invalidJSON)
    }

    @Test func anEmptyBodyIsAnEmptyObject() {
        #expect(Self.refusal("")?.message == "missing required field 'graph_id'")
    }
}
