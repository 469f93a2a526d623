/// Splits Cypher/DDL text into statements and tokens, respecting the engine's quoting and comment
/// rules, so that a `;` inside a string, a backtick-quoted name or a comment never ends a
/// statement and a keyword inside them is never mistaken for one.
///
/// The rules follow LadybugDB's grammar (`Cypher.g4`):
/// - string literals in `'…'` or `"…"`, where a backslash escapes the next character;
/// - names in backticks, a doubled backtick standing for one inside the name;
/// - comments `// …` to the end of the line and `/* … */`;
/// - statements separated by `;` (a trailing `;` is optional).
///
/// ```swift
/// let statements = try CypherStatementScanner.statements(in: "CREATE NODE TABLE A(id STRING PRIMARY KEY); // done")
/// statements[0].text   // "CREATE NODE TABLE A(id STRING PRIMARY KEY)"
/// ```
enum CypherStatementScanner {
    /// One lexical token of a statement.
    struct Token: Equatable, Sendable {
        enum Kind: Equatable, Sendable {
            /// An unquoted word: a keyword or a name (letters, digits, `_`).
            case word
            /// A backtick-quoted name; `text` is the name without the quotes.
            case quotedName
            /// A string literal; `text` is its source text including the quotes.
            case string
            /// A number.
            case number
            /// Any other single character (`(`, `)`, `,`, `=`, `:`, …).
            case symbol
        }

        var kind: Kind
        var text: String

        /// Whether this is the unquoted word `keyword`, compared without regard to case.
        func isKeyword(_ keyword: String) -> Bool {
            kind == .word && text.uppercased() == keyword
        }
    }

    /// One statement: its source text (without surrounding whitespace, leading or trailing
    /// comments and the `;`) and its tokens.
    struct Statement: Equatable, Sendable {
        var text: String
        var tokens: [Token]
    }

    /// Why text could not be split.
    struct ScanError: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// Splits `text` into its non-empty statements.
    ///
    /// - Throws: ``ScanError`` for a string, quoted name or block comment that is never closed.
    static func statements(in text: String) throws(ScanError) -> [Statement] {
        let bytes = Array(text.utf8)
        var statements: [Statement] = []
        var tokens: [Token] = []
        var statementStart: Int?
        var statementEnd = 0
        var index = 0

        func finishStatement() {
            if let start = statementStart, !tokens.isEmpty {
                let statementText = String(decoding: bytes[start..<statementEnd], as: UTF8.self)
                statements.append(Statement(text: statementText, tokens: tokens))
            }
            tokens = []
            statementStart = nil
        }

        func add(_ kind: Token.Kind, from start: Int, to end: Int, text tokenText: String? = nil) {
            if statementStart == nil { statementStart = start }
            statementEnd = end
            tokens.append(Token(kind: kind, text: tokenText ?? String(decoding: bytes[start..<end], as: UTF8.self)))
        }

        while index < bytes.count {
            let byte = bytes[index]
            let next: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                index += 1
            case UInt8(ascii: "/") where next == UInt8(ascii: "/"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                let start = index
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) {
                    index += 1
                }
                guard index + 1 < bytes.count else {
                    throw ScanError(description: "a /* comment is never closed (it starts at byte \(start + 1))")
                }
                index += 2
            case UInt8(ascii: ";"):
                finishStatement()
                index += 1
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                let start = index
                index += 1
                var closed = false
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if bytes[index] == byte {
                        closed = true
                        index += 1
                        break
                    }
                    index += 1
                }
                guard closed else {
                    throw ScanError(description: "a string literal is never closed (it starts at byte \(start + 1))")
                }
                add(.string, from: start, to: index)
            case UInt8(ascii: "`"):
                let start = index
                var name: [UInt8] = []
                index += 1
                var closed = false
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "`") {
                        if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "`") {
                            name.append(UInt8(ascii: "`"))
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    name.append(bytes[index])
                    index += 1
                }
                guard closed else {
                    throw ScanError(description: "a `quoted` name is never closed (it starts at byte \(start + 1))")
                }
                add(.quotedName, from: start, to: index, text: String(decoding: name, as: UTF8.self))
            case _ where byte.isASCIILetter || byte == UInt8(ascii: "_") || byte >= 0x80:
                let start = index
                while index < bytes.count,
                    bytes[index].isASCIIAlphanumeric || bytes[index] == UInt8(ascii: "_") || bytes[index] >= 0x80
                {
                    index += 1
                }
                add(.word, from: start, to: index)
            case _ where byte.isCypherDigit:
                let start = index
                while index < bytes.count, bytes[index].isASCIIAlphanumeric || bytes[index] == UInt8(ascii: ".") {
                    index += 1
                }
                add(.number, from: start, to: index)
            default:
                add(.symbol, from: index, to: index + 1)
                index += 1
            }
        }
        finishStatement()
        return statements
    }
}

extension UInt8 {
    fileprivate var isCypherDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
}
