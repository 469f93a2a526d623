import GraphJSON

/// Renders rows as aligned columns for a terminal:
///
/// ```
///  name  | age | plan
/// -------+-----+------------------
///  Alice |  30 | Projection      +
///        |     |   Scan(Person)
///  Bob   |     | []
/// ```
///
/// Values read as ``CellText/text(of:)`` says, null as ``nullText``. A value with line breaks
/// prints as several lines within its column (the row grows in height) and a `+` after each line
/// that continues; other control characters are escaped (``CellText/singleLine(_:)``). A column
/// is as wide as its longest line. With ``maxWidth`` the widest columns are narrowed until the
/// table fits, and longer lines wrap with a `.` after each line that continues (the marks are
/// psql's). Columns whose values are all numbers are right-aligned. Widths count terminal
/// columns (``CellText/displayWidth(_:)``), not characters.
public struct TableRenderer: Sendable {
    /// The column names.
    public var columns: [String]
    /// What a null reads as (`NULL` by default, so it differs from an empty string).
    public var nullText: String
    /// The widest line the table may take, in terminal columns (e.g. the terminal's width);
    /// `nil`: no limit. A column is not narrowed below ``minimumColumnWidth`` (or its longest
    /// line, when shorter), so a table of many columns may still be wider.
    public var maxWidth: Int?

    /// The narrowest a column is made to fit ``maxWidth``.
    public static let minimumColumnWidth = 10

    /// Creates a renderer for these columns.
    public init(columns: [String], nullText: String = "NULL", maxWidth: Int? = nil) {
        self.columns = columns
        self.nullText = nullText
        self.maxWidth = maxWidth
    }

    /// The lines of one cell's text: split at line breaks (`\n`, `\r\n`), each with its other
    /// control characters escaped.
    static func lines(of text: String) -> [String] {
        guard text.contains(where: \.isNewline) else { return [CellText.singleLine(text)] }
        var lines: [String] = []
        var current = ""
        for character in text {
            // "\r\n" is one Character; a lone "\r" and other separators stay escaped or as they are.
            if character == "\n" || character == "\r\n" {
                lines.append(CellText.singleLine(current))
                current = ""
            } else {
                current.append(character)
            }
        }
        lines.append(CellText.singleLine(current))
        return lines
    }

    /// `line` cut into pieces of at most `width` terminal columns (at least one character each).
    static func wrap(_ line: String, width: Int) -> [String] {
        guard CellText.displayWidth(line) > width else { return [line] }
        var pieces: [String] = []
        var current = ""
        var currentWidth = 0
        for character in line {
            let characterWidth = CellText.displayWidth(of: character)
            if currentWidth + characterWidth > width, !current.isEmpty {
                pieces.append(current)
                current = ""
                currentWidth = 0
            }
            current.append(character)
            currentWidth += characterWidth
        }
        pieces.append(current)
        return pieces
    }

    /// The width of each column: its longest line, then, when the table is wider than
    /// `maxWidth`, the widest ones narrowed to one cap (no narrower than the minimum).
    static func widths(natural: [Int], maxWidth: Int?) -> [Int] {
        guard let maxWidth, !natural.isEmpty else { return natural }
        // A line is " " + each cell, its mark and "|" between columns: content + 3n - 1.
        let budget = maxWidth - (3 * natural.count - 1)
        let floors = natural.map { min($0, minimumColumnWidth) }
        func capped(_ cap: Int) -> [Int] { natural.indices.map { min(natural[$0], max(cap, floors[$0])) } }
        guard natural.reduce(0, +) > budget else { return natural }
        // The largest cap that fits; at the smallest (every column at its floor) it may not.
        var low = 0
        var high = natural.max() ?? 0
        while low < high {
            let middle = (low + high + 1) / 2
            if capped(middle).reduce(0, +) <= budget { low = middle } else { high = middle - 1 }
        }
        return capped(low)
    }

    /// The table: a header, a rule and each row's lines, each line ending in `\n`. Rows shorter
    /// than the header are padded with nulls. No columns render as nothing.
    public func render(_ rows: [[JSONValue]]) -> String {
        guard !columns.isEmpty else { return "" }
        let header = columns.map(CellText.singleLine)
        var cells: [[[String]]] = []
        cells.reserveCapacity(rows.count)
        var numeric = Array(repeating: true, count: columns.count)
        var sawValue = Array(repeating: false, count: columns.count)
        var natural = header.map(CellText.displayWidth)
        for row in rows {
            var line: [[String]] = []
            line.reserveCapacity(columns.count)
            for index in columns.indices {
                let value = index < row.count ? row[index] : .null
                switch value {
                case .null: break
                case .number: sawValue[index] = true
                default:
                    sawValue[index] = true
                    numeric[index] = false
                }
                let lines = CellText.text(of: value).map(Self.lines(of:)) ?? [nullText]
                for text in lines { natural[index] = max(natural[index], CellText.displayWidth(text)) }
                line.append(lines)
            }
            cells.append(line)
        }
        let rightAligned = columns.indices.map { numeric[$0] && sawValue[$0] }
        let widths = Self.widths(natural: natural, maxWidth: maxWidth)

        func pad(_ text: String, _ index: Int, right: Bool) -> String {
            let fill = String(repeating: " ", count: max(0, widths[index] - CellText.displayWidth(text)))
            return right ? fill + text : text + fill
        }
        /// One printed line: each column's text and the mark after it (" ", "+" or ".").
        func line(_ texts: [(text: String, mark: Character)], header: Bool) -> String {
            var output = " "
            for (index, cell) in texts.enumerated() {
                if index > 0 { output += "| " }
                output += pad(cell.text, index, right: !header && rightAligned[index])
                output.append(cell.mark)
            }
            while output.last == " " { output.removeLast() }  // no trailing blanks
            return output + "\n"
        }

        /// A cell's printed lines, each with the mark that says how it continues.
        func printed(_ lines: [String], _ index: Int) -> [(text: String, mark: Character)] {
            var result: [(text: String, mark: Character)] = []
            for (number, text) in lines.enumerated() {
                let pieces = Self.wrap(text, width: widths[index])
                for (piece, part) in pieces.enumerated() {
                    let mark: Character = piece < pieces.count - 1 ? "." : number < lines.count - 1 ? "+" : " "
                    result.append((part, mark))
                }
            }
            return result
        }
        func block(_ row: [[String]], header: Bool) -> String {
            let cells = row.indices.map { printed(row[$0], $0) }
            let height = cells.map(\.count).max() ?? 1
            var output = ""
            for number in 0..<height {
                output += line(cells.map { number < $0.count ? $0[number] : ("", " ") }, header: header)
            }
            return output
        }

        var output = block(header.map { [$0] }, header: true)
        output += widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "\n"
        for row in cells { output += block(row, header: false) }
        return output
    }
}
