import GraphJSON

/// How one result value reads in a text cell (the table and CSV formats).
public enum CellText {
    /// The text of a value: a string as it is, a number with its exact digits, `true`/`false`,
    /// `nil` for null, and an array or object (lists, maps, structs, nodes, relationships,
    /// paths) as compact JSON.
    public static func text(of value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return number.text
        case .string(let string): return string
        case .array, .object: return value.jsonText
        }
    }

    /// Replaces control characters so a cell stays on one line: `\n`, `\r`, `\t` and a backslash
    /// escape, others as `\u{XX}`.
    public static func singleLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    output += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output
    }

    /// Columns a string takes in a terminal: two for East Asian wide and full-width characters
    /// and emoji, none for zero-width characters, one otherwise (per extended grapheme cluster).
    public static func displayWidth(_ text: String) -> Int {
        var width = 0
        for character in text {
            width += displayWidth(of: character)
        }
        return width
    }

    static func displayWidth(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if first.isASCII { return first.value < 0x20 || first.value == 0x7F ? 0 : 1 }
        let value = first.value
        // Zero-width: format characters and joiners.
        if first.properties.generalCategory == .format || first.properties.generalCategory == .nonspacingMark
            || first.properties.generalCategory == .enclosingMark
        {
            return 0
        }
        if character.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation })
            || character.unicodeScalars.contains(where: { $0.value == 0xFE0F })
        {
            return 2
        }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
        ]
        return wide.contains { $0.contains(value) } ? 2 : 1
    }
}
