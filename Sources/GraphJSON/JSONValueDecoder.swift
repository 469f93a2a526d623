/// Decodes a `Decodable` value from a parsed ``JSONValue``, so that text read once by GraphJSON's
/// parser (for checks of its own, such as repeated keys) need not be parsed a second time by
/// `JSONDecoder`.
///
/// It reads as `JSONDecoder` does with its default strategies: member names as they are, numbers
/// into any integer type that holds them exactly (`3`, `3.0` or `3e0` for an `Int`) or into
/// `Double`/`Float`, `null` as an absent optional. Its errors are `DecodingError`s with the coding
/// path of the value that did not fit. Object keys are expected to be unique (the first wins).
public struct JSONValueDecoder: Sendable {
    public init() {}

    public func decode<Value: Decodable>(_ type: Value.Type, from value: JSONValue) throws -> Value {
        try Value(from: ValueDecoder(value: value, codingPath: []))
    }
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw mismatch([String: JSONValue].self, value, codingPath)
        }
        var members: [String: JSONValue] = [:]
        for member in object.members where members[member.key] == nil { members[member.key] = member.value }
        return KeyedDecodingContainer(ObjectContainer<Key>(members: members, keys: object.keys, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([JSONValue].self, value, codingPath) }
        return ArrayContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath)
    }
}

/// The error for a value that is not of the type asked for.
private func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    let found: String
    switch value {
    case .null: return DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "found null"))
    case .bool: found = "a boolean"
    case .number: found = "a number"
    case .string: found = "a string"
    case .array: found = "an array"
    case .object: found = "an object"
    }
    return DecodingError.typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found \(found)"))
}

/// Reads a scalar from a value; shared by the three containers.
private enum Scalar {
    static func string(_ value: JSONValue, _ path: [any CodingKey]) throws -> String {
        guard case .string(let text) = value else { throw mismatch(String.self, value, path) }
        return text
    }

    static func bool(_ value: JSONValue, _ path: [any CodingKey]) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(Bool.self, value, path) }
        return flag
    }

    static func integer<Integer: FixedWidthInteger>(_ value: JSONValue, _ path: [any CodingKey]) throws -> Integer {
        guard case .number(let number) = value else { throw mismatch(Integer.self, value, path) }
        if let exact = Integer(number.text) { return exact }
        // `3.0` and `3e0` are the integer 3, as JSONDecoder reads them; `3.5` and out of range are not.
        if let double = Double(number.text), double.rounded(.towardZero) == double, let exact = Integer(exactly: double) {
            return exact
        }
        throw DecodingError.dataCorrupted(
            .init(codingPath: path, debugDescription: "the number \(number.text.prefix(40)) does not fit in \(Integer.self)")
        )
    }

    static func floatingPoint<Float: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: JSONValue, _ path: [any CodingKey]
    ) throws -> Float {
        guard case .number(let number) = value else { throw mismatch(Float.self, value, path) }
        guard let parsed = Float(number.text), parsed.isFinite else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path, debugDescription: "the number \(number.text.prefix(40)) does not fit in \(Float.self)")
            )
        }
        return parsed
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> Value {
        // The scalar types directly (as JSONDecoder does), the rest through their initializer.
        switch type {
        case is String.Type: return try string(value, path) as! Value
        case is Bool.Type: return try bool(value, path) as! Value
        case is Int.Type: return try integer(value, path) as Int as! Value
        case is Int64.Type: return try integer(value, path) as Int64 as! Value
        case is Double.Type: return try floatingPoint(value, path) as Double as! Value
        default: return try Value(from: ValueDecoder(value: value, codingPath: path))
        }
    }
}

private struct ObjectContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    /// The keys in the object's order.
    let keys: [String]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func value(for key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no member '\(key.stringValue)'"))
        }
        return value
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool { try value(for: key) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try Scalar.bool(value(for: key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try Scalar.string(value(for: key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try Scalar.floatingPoint(value(for: key), path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try Scalar.floatingPoint(value(for: key), path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try Scalar.integer(value(for: key), path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try Scalar.integer(value(for: key), path(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try Scalar.decode(type, value(for: key), path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(value: value(for: key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: value(for: key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: members["super"] ?? .null, codingPath: codingPath + [JSONValueDecoderKey("super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: members[key.stringValue] ?? .null, codingPath: path(key))
    }
}

private struct ArrayContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private var path: [any CodingKey] { codingPath + [JSONValueDecoderKey(index: currentIndex)] }

    private mutating func next<T>(_ type: T.Type) throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the array has no more elements"))
        }
        return elements[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard try next(Never.self) == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoded = try Scalar.decode(type, next(type), path)
        currentIndex += 1
        return decoded
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let container = try ValueDecoder(value: next(type), codingPath: path).container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try ValueDecoder(value: next([JSONValue].self), codingPath: path).unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = ValueDecoder(value: try next(JSONValue.self), codingPath: path)
        currentIndex += 1
        return decoder
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try Scalar.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try Scalar.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Scalar.floatingPoint(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try Scalar.floatingPoint(value, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try Scalar.integer(value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Scalar.integer(value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Scalar.integer(value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Scalar.integer(value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Scalar.integer(value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Scalar.integer(value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Scalar.integer(value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Scalar.integer(value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Scalar.integer(value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Scalar.integer(value, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try Scalar.decode(type, value, codingPath) }
}

/// A coding key of a decoding path: a member name or an array index.
private struct JSONValueDecoderKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}
