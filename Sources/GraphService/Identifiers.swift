/// A validated graph id: `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`.
///
/// The only way to get one is ``init(validating:)``, so a path, SQL or Cypher text can only ever
/// be built from an id that has no `/`, `.`, quote or other special character.
public struct GraphID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The id as text.
    public let rawValue: String

    /// Validates `text`; throws ``ServiceError`` `invalid_graph_id` when it does not match.
    public init(validating text: String) throws(ServiceError) {
        guard Self.isValid(text) else {
            throw ServiceError(.invalidGraphID, "invalid graph_id '\(text.prefix(80))': use 1-64 letters, digits, '_' or '-', starting with a letter or digit")
        }
        rawValue = text
    }

    /// Whether `text` is a valid graph id.
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), bytes[0].isASCIIAlphanumeric else { return false }
        return bytes.dropFirst().allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    public var description: String { rawValue }
    public static func < (lhs: GraphID, rhs: GraphID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A validated table name: `^[A-Za-z_][A-Za-z0-9_]{0,63}$`, safe to quote into SQL and Cypher.
public struct TableName: Hashable, Sendable, CustomStringConvertible {
    /// The name as text.
    public let rawValue: String

    /// Validates `text`; throws ``ServiceError`` `invalid_table_name` when it does not match.
    public init(validating text: String) throws(ServiceError) {
        let bytes = Array(text.utf8)
        let valid =
            (1...64).contains(bytes.count) && (bytes[0].isASCIILetter || bytes[0] == UInt8(ascii: "_"))
            && bytes.dropFirst().allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") }
        guard valid else {
            throw ServiceError(.invalidTableName, "invalid table name '\(text.prefix(80))': use 1-64 letters, digits or '_', not starting with a digit")
        }
        rawValue = text
    }

    public var description: String { rawValue }
}

extension UInt8 {
    @usableFromInline var isASCIILetter: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
    @usableFromInline package var isASCIIAlphanumeric: Bool {
        isASCIILetter || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
