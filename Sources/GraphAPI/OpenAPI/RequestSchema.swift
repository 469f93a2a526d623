import GraphJSON
import GraphService

/// What the strict request decoder (``RequestBodyDecoder``) checks of a JSON request body before
/// decoding it into its generated type, read from the OpenAPI document itself: the fields an
/// object has (any other is refused), which of them may be `null`, the values a choice takes,
/// and the objects nested in it. The generated decoders alone would read `null` as "not given"
/// and say little about a wrong choice.
struct RequestSchema: Sendable {
    /// A field of an object schema.
    struct Field: Sendable {
        /// The document types the field with `"null"` (`null` means "not given").
        var nullable = false
        /// The values of an `enum` field, in the document's order.
        var choices: [String]?
        /// The fields of an object field (with `additionalProperties: false`).
        var object: RequestSchema?
        /// What a `oneOf` field takes, in words (`a string or a list of strings`).
        var alternatives: String?
    }

    /// The fields in the document's order.
    var names: [String] = []
    var fields: [String: Field] = [:]

    /// The request body schemas of the embedded document (every `application/json` request body
    /// that refers to a named schema), by schema name.
    static let bodies: [String: RequestSchema] = bodies(of: OpenAPIDocument.parsed)

    static func bodies(of document: JSONValue) -> [String: RequestSchema] {
        let schemas = document["components"]?["schemas"]?.objectValue ?? [:]
        var found: [String: RequestSchema] = [:]
        for path in document["paths"]?.objectValue ?? [:] {
            for operation in path.value.objectValue ?? [:] where OpenAPIDocument.methods.contains(operation.key) {
                let schema = operation.value["requestBody"]?["content"]?["application/json"]?["schema"]
                guard let reference = schema?["$ref"]?.stringValue else { continue }
                let name = String(reference.split(separator: "/").last ?? "")
                if let object = schemas[name], let parsed = RequestSchema(object, schemas: schemas, depth: 0) {
                    found[name] = parsed
                }
            }
        }
        return found
    }

    /// An object schema's fields; `nil` for anything that is not an object with properties.
    init?(_ schema: JSONValue, schemas: JSONObject, depth: Int) {
        guard depth < 8, let properties = Self.resolved(schema, schemas)["properties"]?.objectValue else { return nil }
        for property in properties {
            let value = Self.resolved(property.value, schemas)
            var field = Field()
            if case .array(let types)? = value["type"] { field.nullable = types.contains(.string("null")) }
            field.choices = value["enum"]?.arrayValue?.compactMap(\.stringValue)
            if value["additionalProperties"] == .bool(false) {
                field.object = RequestSchema(value, schemas: schemas, depth: depth + 1)
            }
            if let alternatives = value["oneOf"]?.arrayValue {
                field.alternatives = alternatives.map { Self.words(for: Self.resolved($0, schemas)) }.joined(separator: " or ")
            }
            names.append(property.key)
            fields[property.key] = field
        }
    }

    /// A schema with its `$ref` (to `#/components/schemas/…`) followed.
    private static func resolved(_ schema: JSONValue, _ schemas: JSONObject) -> JSONValue {
        guard let reference = schema["$ref"]?.stringValue, let name = reference.split(separator: "/").last,
            let target = schemas[String(name)]
        else { return schema }
        return target
    }

    private static func words(for schema: JSONValue) -> String {
        switch schema["type"]?.stringValue {
        case "string": "a string"
        case "boolean": "a boolean"
        case "integer": "an integer"
        case "number": "a number"
        case "object": "an object"
        case "array": schema["items"]?["type"]?.stringValue == "string" ? "a list of strings" : "a list"
        default: "a value of the documented type"
        }
    }

    /// The field at a coding path (`s3_credentials`, `region`), if the document describes it.
    func field(at path: [String]) -> Field? {
        guard let first = path.first, let field = fields[first] else { return nil }
        if path.count == 1 { return field }
        return field.object?.field(at: Array(path.dropFirst()))
    }

    /// Refuses (`422 validation_error` naming the field) an unknown field, a `null` where the
    /// document does not allow one, and a choice the document does not list; then the same for
    /// every nested object the document describes.
    func check(_ object: JSONObject, prefix: String = "") throws(ServiceError) {
        let unknown = object.keys.filter { fields[$0] == nil }
        if !unknown.isEmpty {
            let listed = unknown.map { "'\(prefix)\($0)'" }.joined(separator: ", ")
            throw ServiceError.invalidBody(
                "unknown field\(unknown.count == 1 ? "" : "s") \(listed); accepted: \(names.joined(separator: ", "))"
            )
        }
        for member in object.members {
            guard let field = fields[member.key] else { continue }
            let path = prefix + member.key
            switch member.value {
            case .null where !field.nullable:
                throw ServiceError.invalidBody("field '\(path)' must not be null (leave it out for its default)")
            case .string(let text):
                if let choices = field.choices, !choices.contains(text) {
                    let allowed = choices.map { "'\($0)'" }.joined(separator: ", ")
                    throw ServiceError.invalidBody("field '\(path)' must be one of \(allowed), not '\(text.prefix(64))'")
                }
            case .object(let nested):
                try field.object?.check(nested, prefix: path + ".")
            default:
                break
            }
        }
    }
}
