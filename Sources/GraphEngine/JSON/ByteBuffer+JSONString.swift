import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ByteBuffer {
    /// Writes `string` as a JSON string literal (RFC 8259), quotes included.
    ///
    /// `"` and `\` are escaped, as are the control characters U+0000–U+001F (`\b`, `\t`, `\n`,
    /// `\f`, `\r` in their short form, the others as `\u00XX` with lowercase hex digits). Everything
    /// else, including `/` and non-ASCII characters, is copied as UTF-8.
    @inlinable
    public mutating func writeJSONString(_ string: String) {
        var string = string
        string.withUTF8 { self.writeJSONString(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Writes the NUL-terminated C string `cString` as a JSON string literal, quotes included.
    ///
    /// Bytes that are not valid UTF-8 are replaced by U+FFFD, as for ``writeJSONString(utf8:)``.
    @inlinable
    public mutating func writeJSONString(cString: UnsafePointer<CChar>) {
        self.writeJSONString(utf8: UnsafeRawBufferPointer(start: cString, count: strlen(cString)))
    }

    /// Writes the UTF-8 bytes `utf8` as a JSON string literal, quotes included.
    ///
    /// Runs of bytes that need no escaping are copied in one piece. A byte sequence that is not
    /// valid UTF-8 (a stray continuation byte, a truncated or overlong sequence, a surrogate, a
    /// code point above U+10FFFF) is replaced by U+FFFD, so the output is always valid UTF-8 and
    /// valid JSON whatever the input holds.
    public mutating func writeJSONString(utf8: UnsafeRawBufferPointer) {
        self.reserveCapacity(minimumWritableBytes: utf8.count + 2)
        self.writeInteger(UInt8(ascii: "\""))
        guard let base = utf8.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            self.writeInteger(UInt8(ascii: "\""))
            return
        }
        let count = utf8.count
        var runStart = 0
        var index = 0
        while index < count {
            let byte = base[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte < 0x80 {
                index &+= 1
                continue
            }
            if byte >= 0x80 {
                let length = Self.validUTF8SequenceLength(base + index, available: count - index)
                if length > 0 {
                    index &+= length
                    continue
                }
            }
            if index > runStart {
                self.writeBytes(UnsafeRawBufferPointer(start: base + runStart, count: index - runStart))
            }
            if byte >= 0x80 {
                // Invalid UTF-8: U+FFFD REPLACEMENT CHARACTER.
                self.writeBytes(Self.replacementCharacter)
            } else {
                self.writeJSONEscape(forASCII: byte)
            }
            index &+= 1
            runStart = index
        }
        if count > runStart {
            self.writeBytes(UnsafeRawBufferPointer(start: base + runStart, count: count - runStart))
        }
        self.writeInteger(UInt8(ascii: "\""))
    }

    private static var replacementCharacter: UnsafeRawBufferPointer {
        let replacement: StaticString = "\u{FFFD}"
        return UnsafeRawBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount)
    }

    /// Writes the JSON escape sequence of an ASCII byte that may not appear raw in a string.
    private mutating func writeJSONEscape(forASCII byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
        case 0x08: self.writeStaticString("\\b")
        case 0x09: self.writeStaticString("\\t")
        case 0x0A: self.writeStaticString("\\n")
        case 0x0C: self.writeStaticString("\\f")
        case 0x0D: self.writeStaticString("\\r")
        default:
            let hex: StaticString = "0123456789abcdef"
            let digits = hex.utf8Start
            self.writeStaticString("\\u00")
            self.writeInteger(digits[Int(byte >> 4)])
            self.writeInteger(digits[Int(byte & 0x0F)])
        }
    }

    /// The length (2–4) of the well-formed UTF-8 sequence starting at `bytes` (whose first byte is
    /// ≥ 0x80), or 0 when it is not one (Unicode Table 3-7).
    static func validUTF8SequenceLength(_ bytes: UnsafePointer<UInt8>, available: Int) -> Int {
        let first = bytes[0]
        @inline(__always) func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
        switch first {
        case 0xC2...0xDF:
            return available >= 2 && isContinuation(bytes[1]) ? 2 : 0
        case 0xE0...0xEF:
            guard available >= 3 else { return 0 }
            let second = bytes[1]
            let secondValid: Bool
            switch first {
            case 0xE0: secondValid = second >= 0xA0 && second <= 0xBF  // no overlong forms
            case 0xED: secondValid = second >= 0x80 && second <= 0x9F  // no surrogates
            default: secondValid = isContinuation(second)
            }
            return secondValid && isContinuation(bytes[2]) ? 3 : 0
        case 0xF0...0xF4:
            guard available >= 4 else { return 0 }
            let second = bytes[1]
            let secondValid: Bool
            switch first {
            case 0xF0: secondValid = second >= 0x90 && second <= 0xBF  // no overlong forms
            case 0xF4: secondValid = second >= 0x80 && second <= 0x8F  // nothing above U+10FFFF
            default: secondValid = isContinuation(second)
            }
            return secondValid && isContinuation(bytes[2]) && isContinuation(bytes[3]) ? 4 : 0
        default:
            return 0
        }
    }
}
