/// Finds the parameter names (`$name`, `$1`, `` $`odd name` ``) a Cypher statement uses.
///
/// The C API does not list a prepared statement's parameters, and the engine silently ignores a
/// value bound under a name the statement does not use. To report unknown names, the statement
/// text is scanned here, skipping string literals, backtick-quoted names and comments, the way the
/// engine's lexer does.
enum ParameterScanner {
    static func parameterNames(in query: String) -> Set<String> {
        var names = Set<String>()
        let bytes = Array(query.utf8)
        var index = 0
        let count = bytes.count

        func isIdentifierByte(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte >= 0x80
        }

        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A string literal; a backslash escapes the next character.
                index += 1
                while index < count, bytes[index] != byte {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            case UInt8(ascii: "`"):
                // A quoted name; a doubled backtick stands for one.
                index += 1
                while index < count {
                    if bytes[index] == UInt8(ascii: "`") {
                        if index + 1 < count, bytes[index + 1] == UInt8(ascii: "`") {
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index += 1
            case UInt8(ascii: "/") where index + 1 < count && bytes[index + 1] == UInt8(ascii: "/"):
                while index < count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where index + 1 < count && bytes[index + 1] == UInt8(ascii: "*"):
                index += 2
                while index + 1 < count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) {
                    index += 1
                }
                index += 2
            case UInt8(ascii: "$"):
                index += 1
                if index < count, bytes[index] == UInt8(ascii: "`") {
                    var name: [UInt8] = []
                    index += 1
                    while index < count {
                        if bytes[index] == UInt8(ascii: "`") {
                            if index + 1 < count, bytes[index + 1] == UInt8(ascii: "`") {
                                name.append(UInt8(ascii: "`"))
                                index += 2
                                continue
                            }
                            break
                        }
                        name.append(bytes[index])
                        index += 1
                    }
                    index += 1
                    names.insert(String(decoding: name, as: UTF8.self))
                } else {
                    let start = index
                    while index < count, isIdentifierByte(bytes[index]) { index += 1 }
                    if index > start {
                        names.insert(String(decoding: bytes[start..<index], as: UTF8.self))
                    }
                }
            default:
                index += 1
            }
        }
        return names
    }
}
