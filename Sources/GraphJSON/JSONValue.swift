/// A JSON value as the server sent it: numbers keep their exact digits (a 128-bit integer or a
/// long decimal survives a round trip) and objects keep their members in order.
///
/// Parse one with ``init(parsing:)-(String)``, write one with ``jsonText``. Literals work too:
/// `let limit: JSONValue = 10`, `let tags: JSONValue = ["a", "b"]`.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, kept as its JSON text.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, members in their order.
    case object(JSONObject)
}

/// A JSON number kept as its text, so no digit is lost to a binary floating-point conversion.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number's JSON text, e.g. `42`, `-0.5`, `1e300`, `170141183460469231731687303715884105727`.
    public let text: String

    /// Wraps number text; `nil` unless `text` is a number by the JSON grammar (RFC 8259 §6).
    public init?(_ text: String) {
        var text = text
        let isNumber = text.withUTF8 { bytes in
            var parser = JSONParser(bytes: bytes, builder: JSONValueTreeBuilder(), options: JSONParsingOptions())
            guard !bytes.isEmpty, (try? parser.scanNumber()) != nil else { return false }
            return parser.index == bytes.count
        }
        guard isNumber else { return nil }
        self.text = text
    }

    /// Text already checked by the parser.
    init(uncheckedText text: String) {
        self.text = text
    }

    /// An integer.
    public init<Integer: BinaryInteger>(_ value: Integer) {
        self.text = String(value)
    }

    /// A finite floating-point number; `nil` for NaN and the infinities, which JSON cannot express.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.text = "\(value)"
    }

    public var description: String { text }

    /// The value as an `Int64` if the text is an integer in its range.
    public var int64Value: Int64? { Int64(text) }

    /// The value as the nearest `Double`.
    public var doubleValue: Double? { Double(text) }
}

/// A JSON object: its members in the order they were written. Looking a key up returns the first
/// member of that name.
public struct JSONObject: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// One `"key": value` member.
    public struct Member: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// Creates a member.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in order.
    public var members: [Member]

    /// Creates an object from its members.
    public init(_ members: [Member] = []) {
        self.members = members
    }

    /// Creates an object from `key: value` literals, in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = elements.map { Member(key: $0.0, value: $0.1) }
    }

    /// The value of the first member named `key`.
    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    /// The member names in order.
    public var keys: [String] { members.map(\.key) }

    /// The position of the first member.
    public var startIndex: Int { members.startIndex }
    /// The position after the last member.
    public var endIndex: Int { members.endIndex }
    /// The member at `position`.
    public subscript(position: Int) -> Member { members[position] }
}

extension JSONValue {
    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number, if this is one.
    public var numberValue: JSONNumber? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The object, if this is one.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool { self == .null }

    /// The value of the member named `key`, if this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}

extension JSONValue {
    /// An integer.
    public static func int<Integer: BinaryInteger>(_ value: Integer) -> JSONValue {
        .number(JSONNumber(value))
    }

    /// The same value with every object's members sorted by key, at every depth: what a JSON
    /// encoder with `.sortedKeys` writes, so a value kept in memory equals the one read back.
    public var sortingKeys: JSONValue {
        switch self {
        case .array(let items): .array(items.map(\.sortingKeys))
        case .object(let object):
            .object(JSONObject(object.members.sorted { $0.key < $1.key }.map { JSONObject.Member(key: $0.key, value: $0.value.sortingKeys) }))
        default: self
        }
    }

    /// A floating-point number; `null` for NaN and the infinities, which JSON cannot express.
    public static func double(_ value: Double) -> JSONValue {
        JSONNumber(value).map(JSONValue.number) ?? .null
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer.
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    /// A floating-point number (a non-finite literal becomes `null`).
    public init(floatLiteral value: Double) { self = JSONNumber(value).map(JSONValue.number) ?? .null }
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object, members in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }
}
