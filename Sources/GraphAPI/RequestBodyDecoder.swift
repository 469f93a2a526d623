import Foundation
import GraphJSON
import GraphService
import NIOCore

/// Decodes request bodies strictly into the document's generated types (GraphAPIContract):
/// malformed JSON is `400 invalid_json`; a body that is not an object, gives a field twice, has a
/// field its schema does not list, `null` for a field the document does not type with `"null"`,
/// a choice the document does not list (``RequestSchema``), lacks a required field or has one of
/// the wrong type is `422 validation_error` naming the field.
///
/// The body is parsed once, by GraphJSON's parser (the project's one JSON parser); the checks and
/// the decoding into `Body` (``JSONValueDecoder``) both read the parsed value.
package enum RequestBodyDecoder {
    /// Decodes `Body`, a request body schema of the document (`Components.Schemas.<name>`).
    package static func decode<Body: Decodable>(_ type: Body.Type, from buffer: ByteBuffer) throws -> Body {
        let name = String(describing: Body.self)
        guard let schema = RequestSchema.bodies[name] else {
            preconditionFailure("\(name) is not a request body schema of openapi/openapi.json")
        }
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        let value: JSONValue
        do {
            value = try JSONValue(parsing: data)
        } catch {
            throw ServiceError(.invalidJSON, "the request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw ServiceError.invalidBody("the request body must be a JSON object")
        }
        if let field = firstRepeatedKey(in: object, prefix: "") {
            // Decoders differ on which one counts (JSONSerialization took the last, JSONDecoder the
            // first): say so instead of picking one.
            throw ServiceError.invalidBody("field '\(field)' is given more than once")
        }
        try schema.check(object)
        do {
            return try JSONValueDecoder().decode(Body.self, from: value)
        } catch let error as DecodingError {
            throw ServiceError.invalidBody(describe(error, schema: schema))
        }
    }

    /// The first key (depth first, through objects and arrays) that an object gives twice.
    private static func firstRepeatedKey(in object: JSONObject, prefix: String) -> String? {
        var seen: Set<String> = []
        for member in object.members {
            let path = prefix + member.key
            if !seen.insert(member.key).inserted { return path }
            if let found = firstRepeatedKey(in: member.value, prefix: path) { return found }
        }
        return nil
    }

    private static func firstRepeatedKey(in value: JSONValue, prefix: String) -> String? {
        switch value {
        case .object(let object):
            return firstRepeatedKey(in: object, prefix: prefix + ".")
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = firstRepeatedKey(in: element, prefix: prefix + "[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    static func describe(_ error: DecodingError, schema: RequestSchema) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        // A `oneOf` field that matched none of its alternatives: say what it takes.
        if let context = error.decodingContext, let field = schema.field(at: context.codingPath.map(\.stringValue)),
            let alternatives = field.alternatives
        {
            return "field '\(path(context.codingPath))' must be \(alternatives)"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return "missing required field '\(field)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(typeName(type)), not null"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))' \(context.debugDescription)"
        @unknown default:
            return "the request body does not match the schema"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is [String].Type: "a list of strings"
        case is [String: String].Type: "an object of strings"
        case is [String: JSONValue].Type: "an object"
        case is [JSONValue].Type: "a list"
        default: "of type \(type)"
        }
    }
}

extension DecodingError {
    /// The context every case carries.
    var decodingContext: Context? {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            context
        @unknown default:
            nil
        }
    }
}
