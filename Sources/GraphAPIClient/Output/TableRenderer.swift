import GraphJSON

/// Renders rows as aligned columns for a terminal:
///
/// ```
///  name  | age | tags
/// -------+-----+-----------
///  Alice |  30 | ["a","b"]
///  Bob   |     | []
/// ```
///
/// Values read as ``CellText/text(of:)`` says, null as ``nullText``, control characters escaped
/// so every row stays on one line; columns whose values are all numbers are right-aligned.
/// Widths count terminal columns (``CellText/displayWidth(_:)``), not characters.
public struct TableRenderer: Sendable {
    /// The column names.
    public var columns: [String]
    /// What a null reads as (`NULL` by default, so it differs from an empty string).
    public var nullText: String

    /// Creates a renderer for these columns.
    public init(columns: [String], nullText: String = "NULL") {
        self.columns = columns
        self.nullText = nullText
    }

    /// The table: a header, a rule and one line per row, each line ending in `\n`. Rows shorter
    /// than the header are padded with nulls. No columns render as nothing.
    public func render(_ rows: [[JSONValue]]) -> String {
        let header = columns.map(CellText.singleLine)
        var cells: [[String]] = []
        cells.reserveCapacity(rows.count)
        var numeric = Array(repeating: true, count: columns.count)
        var sawValue = Array(repeating: false, count: columns.count)
        for row in rows {
            var line: [String] = []
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
                line.append(CellText.text(of: value).map(CellText.singleLine) ?? nullText)
            }
            cells.append(line)
        }
        let rightAligned = columns.indices.map { numeric[$0] && sawValue[$0] }
        var widths = header.map(CellText.displayWidth)
        for line in cells {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], CellText.displayWidth(cell)) }
        }

        func pad(_ text: String, _ index: Int, right: Bool) -> String {
            let fill = String(repeating: " ", count: max(0, widths[index] - CellText.displayWidth(text)))
            return right ? fill + text : text + fill
        }
        func line(_ texts: [String], header: Bool) -> String {
            var output = " " + texts.indices.map { pad(texts[$0], $0, right: !header && rightAligned[$0]) }.joined(separator: " | ")
            while output.last == " " { output.removeLast() }  // no trailing blanks
            return output + "\n"
        }

        guard !columns.isEmpty else { return "" }
        var output = line(header, header: true)
        output += widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "\n"
        for cellLine in cells { output += line(cellLine, header: false) }
        return output
    }
}
