import Foundation
import GraphJSON
import GraphService
import NIOCore

/// Decodes request bodies strictly: malformed JSON is `400 invalid_json`; a body that is not an
/// object, has a field the type does not know, lacks a required field, has a field of the
/// wrong type, gives a field twice, or `null` for a field the document does not type with
/// `"null"` (``NullableRequestFields``) is `422 validation_error` naming the field.
///
/// The body is read by GraphJSON's parser (the project's one JSON parser) for these checks, then
/// decoded into `Body` by `JSONDecoder`.
package enum RequestBodyDecoder {
    package static func decode<Body: Decodable, Keys: CodingKey & CaseIterable>(
        _ type: Body.Type, keys: Keys.Type, from buffer: ByteBuffer
    ) throws -> Body {
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
            // JSONSerialization kept the last value and JSONDecoder the first: say so instead of
            // picking one.
            throw ServiceError.invalidBody("field '\(field)' is given more than once")
        }
        let fields = members(object)
        let known = Set(Keys.allCases.map(\.stringValue))
        let unknown = fields.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw ServiceError.invalidBody(
                "unknown field\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); "
                    + "accepted: \(Keys.allCases.map(\.stringValue).joined(separator: ", "))"
            )
        }
        let nullable = (Body.self as? any NullableRequestFields.Type)?.nullableFields ?? []
        if let field = firstNull(in: fields, prefix: "", except: nullable) {
            throw ServiceError.invalidBody("field '\(field)' must not be null (leave it out for its default)")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw ServiceError.invalidBody(describe(error))
        }
    }

    /// An object's members by key (its keys are known to differ).
    private static func members(_ object: JSONObject) -> [String: JSONValue] {
        Dictionary(object.members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
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

    /// The first field (in key order, depth first through objects) that is `null` and not in
    /// `except`.
    private static func firstNull(in object: [String: JSONValue], prefix: String, except: Set<String>) -> String? {
        for key in object.keys.sorted() {
            let path = prefix + key
            switch object[key] {
            case .null?:
                if !except.contains(path) { return path }
            case .object(let nested)?:
                if let found = firstNull(in: members(nested), prefix: path + ".", except: except) { return found }
            default:
                break
            }
        }
        return nil
    }

    package static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
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
        case is SchemaType.Type: "one of \(SchemaType.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))"
        default: "of type \(type)"
        }
    }
}
