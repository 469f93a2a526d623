/// `Codable` for use inside other `Codable` models. Through `JSONDecoder`/`JSONEncoder` numbers go
/// through `Int64`, `UInt64` or `Double` and object members come back sorted by key; use
/// ``JSONValue/init(parsing:)-(String)`` and ``JSONValue/jsonText`` where exact digits and order matter
/// (the client does for query results).
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if var elements = try? decoder.unkeyedContainer() {
            var array: [JSONValue] = []
            while !elements.isAtEnd { array.append(try elements.decode(JSONValue.self)) }
            self = .array(array)
            return
        }
        if let members = try? decoder.container(keyedBy: AnyCodingKey.self) {
            var object: [JSONObject.Member] = []
            // A decoder keeps no member order: sorted, so that decoding is deterministic and a value
            // written with `.sortedKeys` reads back equal.
            for key in members.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                object.append(JSONObject.Member(key: key.stringValue, value: try members.decode(JSONValue.self, forKey: key)))
            }
            self = .object(JSONObject(object))
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Int64.self) {
            self = .number(JSONNumber(value))
        } else if let value = try? single.decode(UInt64.self) {
            self = .number(JSONNumber(value))
        } else if let value = try? single.decode(Double.self) {
            self = JSONNumber(value).map(JSONValue.number) ?? .null
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .number(let number):
            var single = encoder.singleValueContainer()
            if let value = Int64(number.text) {
                try single.encode(value)
            } else if let value = UInt64(number.text) {
                try single.encode(value)
            } else {
                try single.encode(Double(number.text) ?? 0)
            }
        case .string(let text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let object):
            var container = encoder.container(keyedBy: AnyCodingKey.self)
            for member in object.members { try container.encode(member.value, forKey: AnyCodingKey(member.key)) }
        }
    }
}

extension JSONObject: Codable {
    public init(from decoder: any Decoder) throws {
        guard case .object(let object) = try JSONValue(from: decoder) else {
            throw DecodingError.typeMismatch(
                JSONObject.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a JSON object")
            )
        }
        self = object
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONValue.object(self).encode(to: encoder)
    }
}

/// A coding key for any member name.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
