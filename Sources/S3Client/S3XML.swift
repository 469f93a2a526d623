/// The little XML that S3 answers with (a list page, an initiated or completed multipart upload,
/// an error), read into a tree by a small scanner: no libxml2 behind FoundationXML.
///
/// It reads elements, text, the five named entities and numeric character references, CDATA,
/// comments, processing instructions and a DOCTYPE without an internal subset; attributes and
/// namespaces are skipped (S3's answers carry only the default `xmlns`). Anything else is an
/// ``S3XMLError``. Nesting is limited, so a hostile body cannot exhaust the stack.
struct S3XMLElement: Sendable, Equatable {
    /// The tag name as written (with any prefix).
    var name: String
    /// The child elements, in order.
    var children: [S3XMLElement]
    /// The element's own text (its text and CDATA, entities decoded), not its children's.
    var text: String

    /// The first child named `name`.
    func child(_ name: String) -> S3XMLElement? {
        children.first { $0.name == name }
    }

    /// Every child named `name`, in order.
    func children(named name: String) -> [S3XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child named `name`.
    func text(of name: String) -> String? {
        child(name)?.text
    }

    /// Parses a document and returns its root element.
    static func parse(_ bytes: some Collection<UInt8>) throws(S3XMLError) -> S3XMLElement {
        var scanner = XMLScanner(bytes: Array(bytes))
        return try scanner.document()
    }
}

/// A body that is not the XML expected: where and what.
struct S3XMLError: Error, Sendable, CustomStringConvertible {
    /// What was wrong, with the byte offset.
    var description: String
}

/// Renders text for an XML element's content.
func xmlEscaped(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(character)
        }
    }
    return out
}

private struct XMLScanner {
    static let maximumDepth = 64

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func document() throws(S3XMLError) -> S3XMLElement {
        try skipMisc()
        guard peek("<") else { throw error("expected the root element") }
        let root = try element(depth: 0)
        try skipMisc()
        guard index == bytes.count else { throw error("content after the root element") }
        return root
    }

    /// Skips white space, comments, processing instructions and a DOCTYPE outside the root.
    private mutating func skipMisc() throws(S3XMLError) {
        while true {
            skipWhitespace()
            if peek("<?") {
                try skip(past: "?>")
            } else if peek("<!--") {
                try skip(past: "-->")
            } else if peek("<!DOCTYPE") {
                try skip(past: ">")
            } else {
                return
            }
        }
    }

    private mutating func element(depth: Int) throws(S3XMLError) -> S3XMLElement {
        guard depth < Self.maximumDepth else { throw error("elements nested deeper than \(Self.maximumDepth)") }
        index += 1  // "<"
        let name = try self.name()
        // Attributes are skipped; a quoted value may hold '>'.
        var selfClosing = false
        while true {
            guard index < bytes.count else { throw error("unterminated start tag <\(name)>") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                index += 1
                guard let end = bytes[index...].firstIndex(of: byte) else { throw error("unterminated attribute value") }
                index = end + 1
            } else if byte == UInt8(ascii: ">") {
                index += 1
                break
            } else if peek("/>") {
                index += 2
                selfClosing = true
                break
            } else {
                index += 1
            }
        }
        var result = S3XMLElement(name: name, children: [], text: "")
        if selfClosing { return result }

        var text: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("unterminated element <\(name)>") }
            if bytes[index] != UInt8(ascii: "<") {
                try characterData(into: &text)
            } else if peek("</") {
                index += 2
                let closing = try self.name()
                skipWhitespace()
                guard closing == name, peek(">") else { throw error("</\(closing)> does not close <\(name)>") }
                index += 1
                result.text = String(decoding: text, as: UTF8.self)
                return result
            } else if peek("<![CDATA[") {
                index += 9
                guard let end = find("]]>") else { throw error("unterminated CDATA") }
                text.append(contentsOf: bytes[index..<end])
                index = end + 3
            } else if peek("<!--") {
                try skip(past: "-->")
            } else if peek("<?") {
                try skip(past: "?>")
            } else {
                result.children.append(try element(depth: depth + 1))
            }
        }
    }

    /// Text up to the next '<', entities decoded.
    private mutating func characterData(into text: inout [UInt8]) throws(S3XMLError) {
        while index < bytes.count, bytes[index] != UInt8(ascii: "<") {
            if bytes[index] == UInt8(ascii: "&") {
                guard let end = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                    throw error("a '&' that starts no entity")
                }
                let entity = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                index = end + 1
                switch entity {
                case "amp": text.append(UInt8(ascii: "&"))
                case "lt": text.append(UInt8(ascii: "<"))
                case "gt": text.append(UInt8(ascii: ">"))
                case "quot": text.append(UInt8(ascii: "\""))
                case "apos": text.append(UInt8(ascii: "'"))
                default:
                    var scalarValue: UInt32?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        scalarValue = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        scalarValue = UInt32(entity.dropFirst(), radix: 10)
                    }
                    guard let value = scalarValue, let scalar = Unicode.Scalar(value) else {
                        throw error("unknown entity &\(entity);")
                    }
                    text.append(contentsOf: String(Character(scalar)).utf8)
                }
            } else {
                text.append(bytes[index])
                index += 1
            }
        }
    }

    private mutating func name() throws(S3XMLError) -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
            {
                break
            }
            index += 1
        }
        guard index > start else { throw error("expected a tag name") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count,
            bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") || bytes[index] == UInt8(ascii: "\n")
                || bytes[index] == UInt8(ascii: "\r")
        {
            index += 1
        }
    }

    private func peek(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { literalBytes in
            var position = index
            for byte in literalBytes {
                if bytes[position] != byte { return false }
                position += 1
            }
            return true
        }
    }

    /// The index where `literal` next starts, from the current position.
    private func find(_ literal: StaticString) -> Int? {
        let needle = literal.withUTF8Buffer { Array($0) }
        guard bytes.count >= needle.count else { return nil }
        var position = index
        while position + needle.count <= bytes.count {
            if bytes[position] == needle[0], bytes[position..<(position + needle.count)].elementsEqual(needle) {
                return position
            }
            position += 1
        }
        return nil
    }

    private mutating func skip(past literal: StaticString) throws(S3XMLError) {
        guard let start = find(literal) else { throw error("unterminated markup, expected \(literal)") }
        index = start + literal.utf8CodeUnitCount
    }

    private func error(_ message: String) -> S3XMLError {
        S3XMLError(description: "\(message) at byte \(index)")
    }
}
