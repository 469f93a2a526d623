import GraphJSON

/// Writes rows as CSV by RFC 4180: records end in CRLF; a field containing a comma, a double
/// quote, CR or LF is enclosed in double quotes, with each double quote doubled.
///
/// Values read as ``CellText/text(of:)`` says (nested values as compact JSON). A null is an empty
/// unquoted field and an empty string is `""`, so the two stay apart (PostgreSQL's convention).
public enum CSVRenderer {
    /// The record separator RFC 4180 prescribes.
    public static let lineEnding = "\r\n"

    /// One field.
    public static func field(_ value: JSONValue) -> String {
        guard let text = CellText.text(of: value) else { return "" }
        return quoted(text)
    }

    /// `text` as a field: quoted when it must be, or when it is empty.
    public static func quoted(_ text: String) -> String {
        if text.isEmpty { return "\"\"" }
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
        guard needsQuotes else { return text }
        return "\"" + text.doublingQuotes() + "\""
    }

    /// The header record of the column names.
    public static func header(_ columns: [String]) -> String {
        columns.map(quoted).joined(separator: ",") + lineEnding
    }

    /// One record.
    public static func record(_ values: [JSONValue]) -> String {
        values.map(field).joined(separator: ",") + lineEnding
    }

    /// Appends one record to `output`.
    public static func appendRecord(_ values: [JSONValue], to output: inout String) {
        for (index, value) in values.enumerated() {
            if index > 0 { output += "," }
            output += field(value)
        }
        output += lineEnding
    }
}

extension String {
    /// Every double quote doubled (scalar by scalar, so a quote followed by a combining mark is
    /// doubled too).
    fileprivate func doublingQuotes() -> String {
        var output = ""
        output.unicodeScalars.reserveCapacity(unicodeScalars.count + 8)
        for scalar in unicodeScalars {
            output.unicodeScalars.append(scalar)
            if scalar == "\"" { output.unicodeScalars.append(scalar) }
        }
        return output
    }
}
