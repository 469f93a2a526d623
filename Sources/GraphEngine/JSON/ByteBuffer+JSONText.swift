import NIOCore

extension ByteBuffer {
    /// Writes `text`, which should hold one JSON value, after checking it against RFC 8259 and
    /// dropping the whitespace between tokens (so it stays on one line, as NDJSON needs).
    ///
    /// Returns `false`, and leaves the buffer as it was, when `text` is not exactly one valid JSON
    /// value (or nests deeper than 512 levels); callers typically write it as a JSON string then.
    /// Strings and numbers are copied byte for byte.
    @discardableResult
    public mutating func writeMinifiedJSON(_ text: UnsafeRawBufferPointer) -> Bool {
        let start = self.writerIndex
        var reader = JSONTextMinifier(text: text)
        if reader.copyDocument(into: &self) {
            return true
        }
        self.moveWriterIndex(to: start)
        return false
    }
}

/// A recursive-descent JSON checker that copies the tokens it accepts.
struct JSONTextMinifier {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private static let maximumDepth = 512

    init(text: UnsafeRawBufferPointer) {
        self.bytes = text
    }

    mutating func copyDocument(into buffer: inout ByteBuffer) -> Bool {
        self.skipWhitespace()
        guard self.copyValue(into: &buffer, depth: 0) else { return false }
        self.skipWhitespace()
        return self.position == self.bytes.count
    }

    private var current: UInt8? {
        self.position < self.bytes.count ? self.bytes[self.position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.position += 1
        }
    }

    private mutating func copyValue(into buffer: inout ByteBuffer, depth: Int) -> Bool {
        guard depth < Self.maximumDepth, let byte = self.current else { return false }
        switch byte {
        case UInt8(ascii: "{"):
            return self.copyObject(into: &buffer, depth: depth + 1)
        case UInt8(ascii: "["):
            return self.copyArray(into: &buffer, depth: depth + 1)
        case UInt8(ascii: "\""):
            return self.copyString(into: &buffer)
        case UInt8(ascii: "t"):
            return self.copyLiteral("true", into: &buffer)
        case UInt8(ascii: "f"):
            return self.copyLiteral("false", into: &buffer)
        case UInt8(ascii: "n"):
            return self.copyLiteral("null", into: &buffer)
        default:
            return self.copyNumber(into: &buffer)
        }
    }

    private mutating func copyObject(into buffer: inout ByteBuffer, depth: Int) -> Bool {
        self.position += 1
        buffer.writeInteger(UInt8(ascii: "{"))
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.position += 1
            buffer.writeInteger(UInt8(ascii: "}"))
            return true
        }
        while true {
            guard self.current == UInt8(ascii: "\""), self.copyString(into: &buffer) else { return false }
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { return false }
            self.position += 1
            buffer.writeInteger(UInt8(ascii: ":"))
            self.skipWhitespace()
            guard self.copyValue(into: &buffer, depth: depth) else { return false }
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.position += 1
                buffer.writeInteger(UInt8(ascii: ","))
                self.skipWhitespace()
            case UInt8(ascii: "}"):
                self.position += 1
                buffer.writeInteger(UInt8(ascii: "}"))
                return true
            default:
                return false
            }
        }
    }

    private mutating func copyArray(into buffer: inout ByteBuffer, depth: Int) -> Bool {
        self.position += 1
        buffer.writeInteger(UInt8(ascii: "["))
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.position += 1
            buffer.writeInteger(UInt8(ascii: "]"))
            return true
        }
        while true {
            guard self.copyValue(into: &buffer, depth: depth) else { return false }
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.position += 1
                buffer.writeInteger(UInt8(ascii: ","))
                self.skipWhitespace()
            case UInt8(ascii: "]"):
                self.position += 1
                buffer.writeInteger(UInt8(ascii: "]"))
                return true
            default:
                return false
            }
        }
    }

    private mutating func copyLiteral(_ literal: StaticString, into buffer: inout ByteBuffer) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard self.bytes.count - self.position >= count else { return false }
        for index in 0..<count where self.bytes[self.position + index] != literal.utf8Start[index] {
            return false
        }
        self.position += count
        buffer.writeStaticString(literal)
        return true
    }

    /// Copies a string token, checking escapes, control characters and UTF-8.
    private mutating func copyString(into buffer: inout ByteBuffer) -> Bool {
        let start = self.position
        self.position += 1
        while let byte = self.current {
            switch byte {
            case UInt8(ascii: "\""):
                self.position += 1
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]))
                return true
            case UInt8(ascii: "\\"):
                self.position += 1
                guard let escaped = self.current else { return false }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    self.position += 1
                case UInt8(ascii: "u"):
                    guard self.bytes.count - self.position >= 5 else { return false }
                    for offset in 1...4 where !Self.isHexDigit(self.bytes[self.position + offset]) {
                        return false
                    }
                    self.position += 5
                default:
                    return false
                }
            case 0x00..<0x20:
                return false
            case 0x80...:
                let base = self.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + self.position
                let length = ByteBuffer.validUTF8SequenceLength(base, available: self.bytes.count - self.position)
                guard length > 0 else { return false }
                self.position += length
            default:
                self.position += 1
            }
        }
        return false
    }

    /// Copies a number token: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func copyNumber(into buffer: inout ByteBuffer) -> Bool {
        let start = self.position
        if self.current == UInt8(ascii: "-") { self.position += 1 }
        guard let first = self.current, Self.isDigit(first) else { return false }
        self.position += 1
        if first != UInt8(ascii: "0") {
            self.skipDigits()
        }
        if self.current == UInt8(ascii: ".") {
            self.position += 1
            guard let digit = self.current, Self.isDigit(digit) else { return false }
            self.skipDigits()
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.position += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.position += 1 }
            guard let digit = self.current, Self.isDigit(digit) else { return false }
            self.skipDigits()
        }
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]))
        return true
    }

    private mutating func skipDigits() {
        while let byte = self.current, Self.isDigit(byte) {
            self.position += 1
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        Self.isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }
}
