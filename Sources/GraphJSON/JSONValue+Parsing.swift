import Foundation

/// Text that is not one JSON value, with the byte offset where parsing stopped.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset into the input.
    public let offset: Int
    /// What was wrong there.
    public let reason: String

    @usableFromInline
    init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// How strict a parse is beyond RFC 8259 (which every parse follows).
public struct JSONParsingOptions: Sendable, Hashable {
    /// The deepest nesting of arrays and objects accepted; deeper input is refused with a
    /// ``JSONSyntaxError`` rather than risking the stack.
    public var maxNestingDepth: Int
    /// Whether an object that names a key twice is refused (RFC 8259 leaves it to the reader);
    /// otherwise both members are kept as written.
    public var rejectsDuplicateKeys: Bool

    /// Options; the defaults are what ``JSONValue/init(parsing:)-(String)`` uses.
    public init(maxNestingDepth: Int = 512, rejectsDuplicateKeys: Bool = false) {
        self.maxNestingDepth = maxNestingDepth
        self.rejectsDuplicateKeys = rejectsDuplicateKeys
    }
}

/// What the JSON parser makes of the values it reads, so that a caller with its own value type
/// (the server's engine values, for query parameters) gets it straight from the bytes, with no
/// ``JSONValue`` in between. ``JSONValue`` is built by one too.
///
/// The parser is generic over the builder and inlinable, so it is specialised for each builder.
public protocol JSONValueBuilder {
    /// The value type built.
    associatedtype Value
    /// One `"key": value` member of an object, as the builder keeps it.
    associatedtype Member

    /// `null`.
    func null() -> Value
    /// `true` or `false`.
    func bool(_ value: Bool) -> Value
    /// A string, escapes decoded (valid UTF-8).
    func string(_ text: String) -> Value
    /// A number, from its JSON text (already checked against the grammar); `isInteger` when it
    /// has neither a fraction nor an exponent. `nil` refuses it as out of range.
    func number(_ text: UnsafeBufferPointer<UInt8>, isInteger: Bool) -> Value?
    /// An array of the values read, in order.
    func array(_ elements: [Value]) -> Value
    /// One member of an object.
    func member(_ key: String, _ value: Value) -> Member
    /// An object of the members read, in order.
    func object(_ members: [Member]) -> Value
}

extension JSONValue {
    /// The deepest nesting of arrays and objects ``init(parsing:)-(String)`` accepts; deeper input
    /// is refused with a ``JSONSyntaxError`` rather than risking the stack.
    public static let maxNestingDepth = JSONParsingOptions().maxNestingDepth

    /// Parses exactly one JSON value (RFC 8259), surrounding whitespace allowed.
    ///
    /// Numbers keep their text, objects their member order; duplicate keys are kept as written.
    /// Strings must be valid UTF-8.
    /// - Throws: ``JSONSyntaxError``.
    public init(parsing text: String) throws(JSONSyntaxError) {
        var text = text
        let result: Result<JSONValue, JSONSyntaxError> = text.withUTF8 { bytes in
            Result { () throws(JSONSyntaxError) in try JSONValue.parse(bytes) }
        }
        self = try result.get()
    }

    /// Parses exactly one JSON value from UTF-8 bytes (see ``init(parsing:)-(String)``).
    /// - Throws: ``JSONSyntaxError``.
    public init(parsing data: Data) throws(JSONSyntaxError) {
        let result: Result<JSONValue, JSONSyntaxError> = data.withUnsafeBytes { raw in
            Result { () throws(JSONSyntaxError) in try JSONValue.parse(raw.bindMemory(to: UInt8.self)) }
        }
        self = try result.get()
    }

    /// Parses exactly one JSON value from UTF-8 bytes (see ``init(parsing:)-(String)``): the
    /// fast path for bytes already in memory, such as one line of a stream.
    /// - Throws: ``JSONSyntaxError``.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        try parse(UnsafeRawBufferPointer(bytes), builder: JSONValueTreeBuilder())
    }

    /// Parses exactly one JSON value from UTF-8 bytes, surrounding whitespace allowed, into what
    /// `builder` makes of it: the one JSON parser of the project, whatever the value type.
    /// - Throws: ``JSONSyntaxError``, also for a number the builder refuses.
    @inlinable
    public static func parse<Builder: JSONValueBuilder>(
        _ bytes: UnsafeRawBufferPointer, builder: Builder, options: JSONParsingOptions = JSONParsingOptions()
    ) throws(JSONSyntaxError) -> Builder.Value {
        // Typed bytes: `String(decoding:)` copies those at once, raw ones byte by byte.
        var parser = JSONParser(bytes: bytes.assumingMemoryBound(to: UInt8.self), builder: builder, options: options)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the value") }
        return value
    }
}

/// Builds ``JSONValue``s: numbers keep their text, objects their members in order.
struct JSONValueTreeBuilder: JSONValueBuilder {
    func null() -> JSONValue { .null }
    func bool(_ value: Bool) -> JSONValue { .bool(value) }
    func string(_ text: String) -> JSONValue { .string(text) }
    func number(_ text: UnsafeBufferPointer<UInt8>, isInteger: Bool) -> JSONValue? {
        .number(JSONNumber(uncheckedText: String(decoding: text, as: UTF8.self)))
    }
    func array(_ elements: [JSONValue]) -> JSONValue { .array(elements) }
    func member(_ key: String, _ value: JSONValue) -> JSONObject.Member { JSONObject.Member(key: key, value: value) }
    func object(_ members: [JSONObject.Member]) -> JSONValue { .object(JSONObject(members)) }
}

/// A recursive-descent parser over UTF-8 bytes (RFC 8259), building values with a
/// ``JSONValueBuilder``.
@usableFromInline
struct JSONParser<Builder: JSONValueBuilder> {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline let builder: Builder
    @usableFromInline let options: JSONParsingOptions
    @usableFromInline var index = 0

    @inlinable
    init(bytes: UnsafeBufferPointer<UInt8>, builder: Builder, options: JSONParsingOptions) {
        self.bytes = bytes
        self.builder = builder
        self.options = options
    }

    @inlinable
    func error(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: index, reason: reason)
    }

    @inlinable
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inlinable
    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> Builder.Value {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return builder.string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return builder.bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return builder.bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return builder.null()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            let isInteger = try scanNumber()
            guard let number = builder.number(UnsafeBufferPointer(rebasing: bytes[start..<index]), isInteger: isInteger) else {
                throw JSONSyntaxError(offset: start, reason: "number out of range")
            }
            return number
        default:
            throw error("unexpected character")
        }
    }

    @inlinable
    mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw error("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw error("unexpected character")
        }
        index += count
    }

    /// Moves past one number (RFC 8259 §6) and tells whether it is an integer (no fraction, no
    /// exponent).
    @inlinable
    mutating func scanNumber() throws(JSONSyntaxError) -> Bool {
        var position = index
        func isDigit(_ at: Int) -> Bool { at < bytes.count && bytes[at] >= 0x30 && bytes[at] <= 0x39 }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard isDigit(position) else {
            index = position
            throw error("a number needs a digit here")
        }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if isDigit(position) {
                index = position
                throw error("a number must not have a leading zero")
            }
        } else {
            while isDigit(position) { position += 1 }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard isDigit(position) else {
                index = position
                throw error("a number needs a digit after the decimal point")
            }
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(position) else {
                index = position
                throw error("a number needs a digit in its exponent")
            }
            while isDigit(position) { position += 1 }
        }
        index = position
        return isInteger
    }

    @inlinable
    mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // the opening quote
        let start = index
        // Every byte of the string ORed together: below 0x80 means ASCII, which needs no UTF-8 check.
        var highBits: UInt8 = 0
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try Self.string(UnsafeBufferPointer(rebasing: bytes[start..<index]), isASCII: highBits < 0x80, offset: start)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("a control character must be escaped inside a string") }
            highBits |= byte
            index += 1
        }
        guard index < bytes.count else { throw error("unterminated string") }
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text: Result<String, JSONSyntaxError> = buffer.withUnsafeBufferPointer { decoded in
                    Result { () throws(JSONSyntaxError) in try Self.string(decoded, isASCII: highBits < 0x80, offset: start) }
                }
                index += 1
                return try text.get()
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unterminated string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    buffer.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    index -= 1
                    throw error("invalid escape sequence")
                }
            default:
                if byte < 0x20 { throw error("a control character must be escaped inside a string") }
                highBits |= byte
                buffer.append(byte)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    /// The string of `utf8`, which must be valid UTF-8; `offset` is where the string starts.
    ///
    /// `String(decoding:)` is the fast way in, but repairs invalid UTF-8; the text it made is
    /// compared with the input, which it equals exactly when the input was valid. (That is several
    /// times faster than `String(validating:)` on these buffers.) ASCII needs no check.
    @inlinable
    static func string(_ utf8: UnsafeBufferPointer<UInt8>, isASCII: Bool, offset: Int) throws(JSONSyntaxError) -> String {
        var text = String(decoding: utf8, as: UTF8.self)
        if isASCII { return text }
        let isValid = text.withUTF8 { decoded in decoded.count == utf8.count && decoded.elementsEqual(utf8) }
        guard isValid else { throw JSONSyntaxError(offset: offset, reason: "a string must be valid UTF-8") }
        return text
    }

    /// Reads the hex digits after `\u` (and a following low surrogate escape when needed).
    @inlinable
    mutating func parseUnicodeEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
        let first = try parseHex4()
        if (0xD800...0xDBFF).contains(first) {
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("a high surrogate escape must be followed by a low surrogate escape")
            }
            index += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw error("invalid low surrogate escape") }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw error("invalid surrogate pair") }
            return scalar
        }
        guard let scalar = Unicode.Scalar(first) else { throw error("a lone low surrogate escape is not a character") }
        return scalar
    }

    @inlinable
    mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    @inlinable
    mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> Builder.Value {
        guard depth <= options.maxNestingDepth else { throw error("nested deeper than \(options.maxNestingDepth) levels") }
        index += 1
        var elements: [Builder.Value] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return builder.array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return builder.array(elements)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    @inlinable
    mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> Builder.Value {
        guard depth <= options.maxNestingDepth else { throw error("nested deeper than \(options.maxNestingDepth) levels") }
        index += 1
        var members: [Builder.Member] = []
        // The keys seen, when duplicates are refused: a short list searched in order (cheaper than
        // hashing for the few keys objects usually have), then a set.
        var keys: [String] = []
        var keySet: Set<String> = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return builder.object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let keyOffset = index
            let key = try parseString()
            if options.rejectsDuplicateKeys {
                let seen: Bool
                if keySet.isEmpty {
                    seen = keys.contains(key)
                    keys.append(key)
                    if keys.count > 16 { keySet = Set(keys) }
                } else {
                    seen = !keySet.insert(key).inserted
                }
                if seen { throw JSONSyntaxError(offset: keyOffset, reason: "duplicate key \"\(key.prefix(64))\"") }
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            index += 1
            skipWhitespace()
            members.append(builder.member(key, try parseValue(depth: depth)))
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return builder.object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }
}
