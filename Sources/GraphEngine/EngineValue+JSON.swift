import GraphJSON

extension EngineValue {
    /// Parses one JSON document filling `bytes` (surrounding whitespace allowed) straight into
    /// engine values, so parameters bind with the types JSON gave them and nothing goes through
    /// `Codable`, `Any` or ``JSONValue``: the query bodies' path.
    ///
    /// Numbers: an integer literal (no fraction, no exponent) becomes ``int64(_:)``, or
    /// ``uint64(_:)`` / ``int128(_:)`` when it is too large for 64 bits, keeping every digit; any
    /// other number becomes ``double(_:)``, and one beyond its range is refused. Objects become
    /// ``map(_:)`` with their keys in order; a key given twice is refused. Strings must be valid
    /// UTF-8. Nesting deeper than ``jsonMaxNestingDepth`` is refused so a hostile body cannot
    /// exhaust the stack.
    /// - Throws: `JSONSyntaxError`.
    public init(parsingJSON bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) {
        self = try JSONValue.parse(
            bytes, builder: EngineValueJSONBuilder(),
            options: JSONParsingOptions(maxNestingDepth: Self.jsonMaxNestingDepth, rejectsDuplicateKeys: true)
        )
    }

    /// The deepest nesting of arrays and objects ``init(parsingJSON:)`` accepts.
    public static let jsonMaxNestingDepth = 64

    /// Whether an integer literal (digits, an optional `-`, no leading zeros) lies within INT128.
    static func fitsInt128(_ text: String) -> Bool {
        let negative = text.hasPrefix("-")
        let magnitude = negative ? text.dropFirst() : Substring(text)
        let limit = negative ? "170141183460469231731687303715884105728" : "170141183460469231731687303715884105727"
        if magnitude.utf8.count != limit.utf8.count { return magnitude.utf8.count < limit.utf8.count }
        return magnitude <= limit  // same length, digits only: text order is numeric order
    }
}

/// Builds ``EngineValue``s for ``EngineValue/init(parsingJSON:)``.
struct EngineValueJSONBuilder: JSONValueBuilder {
    func null() -> EngineValue { .null }
    func bool(_ value: Bool) -> EngineValue { .bool(value) }
    func string(_ text: String) -> EngineValue { .string(text) }
    func array(_ elements: [EngineValue]) -> EngineValue { .list(elements) }
    func member(_ key: String, _ value: EngineValue) -> (key: String, value: EngineValue) { (key, value) }
    func object(_ members: [(key: String, value: EngineValue)]) -> EngineValue { .map(members) }

    func number(_ text: UnsafeBufferPointer<UInt8>, isInteger: Bool) -> EngineValue? {
        if isInteger {
            if let value = Self.int64(text) { return .int64(value) }
            let digits = String(decoding: text, as: UTF8.self)
            if let value = UInt64(digits) { return .uint64(value) }
            if EngineValue.fitsInt128(digits) { return .int128(digits) }
        }
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
        return .double(value)
    }

    /// An integer literal's value when it fits in `Int64`, read from its digits without a string.
    static func int64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        let negative = text.first == UInt8(ascii: "-")
        var value: Int64 = 0
        for byte in text.dropFirst(negative ? 1 : 0) {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            // Accumulated negatively, so that Int64.min fits.
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int64(byte &- UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}
