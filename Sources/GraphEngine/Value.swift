/// A value read from a query result, able to represent every engine type.
///
/// Used by ``QueryResult/next()`` for tests, the CLI and small results; large results are better
/// read column-wise with ``QueryResult/nextArrowChunk(rows:)`` or encoded straight to JSON.
public indirect enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int8(Int8)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case uint8(UInt8)
    case uint16(UInt16)
    case uint32(UInt32)
    case uint64(UInt64)
    /// An `INT128`, in decimal.
    case int128(String)
    case float(Float)
    case double(Double)
    /// A `DECIMAL`, in its exact decimal text.
    case decimal(String)
    case string(String)
    case blob([UInt8])
    /// A `UUID` in its text form.
    case uuid(String)
    /// A `DATE`: days since 1970-01-01.
    case date(daysSinceEpoch: Int32)
    /// A `TIMESTAMP` (microseconds since 1970-01-01 00:00:00 UTC).
    case timestamp(microsecondsSinceEpoch: Int64)
    /// A `TIMESTAMP_TZ` (microseconds since 1970-01-01 00:00:00 UTC).
    case timestampTz(microsecondsSinceEpoch: Int64)
    /// A `TIMESTAMP_NS`.
    case timestampNs(nanosecondsSinceEpoch: Int64)
    /// A `TIMESTAMP_MS`.
    case timestampMs(millisecondsSinceEpoch: Int64)
    /// A `TIMESTAMP_SEC`.
    case timestampSec(secondsSinceEpoch: Int64)
    case interval(months: Int32, days: Int32, microseconds: Int64)
    /// An `INTERNAL_ID`: a node's or relationship's table and offset.
    case internalID(InternalID)
    /// A `LIST`.
    case list([Value])
    /// An `ARRAY` (fixed-size list).
    case array([Value])
    /// A `STRUCT`, fields in order.
    case `struct`([Field])
    /// A `MAP`, entries in order.
    case map([MapEntry])
    /// A `UNION`: the tag of the active member and its value.
    case union(tag: String, value: Value)
    case node(Node)
    case rel(Rel)
    /// A path (`RECURSIVE_REL`): its nodes and relationships.
    case recursiveRel(nodes: [Node], rels: [Rel])

    /// A node's or relationship's id.
    public struct InternalID: Sendable, Hashable, CustomStringConvertible {
        public var table: UInt64
        public var offset: UInt64
        public init(table: UInt64, offset: UInt64) {
            self.table = table
            self.offset = offset
        }
        public var description: String { "\(table):\(offset)" }
    }

    /// A named field of a struct, node or relationship.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: Value
        public init(name: String, value: Value) {
            self.name = name
            self.value = value
        }
    }

    /// One entry of a map.
    public struct MapEntry: Sendable, Hashable {
        public var key: Value
        public var value: Value
        public init(key: Value, value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// A node: its id, label and properties (in table order).
    public struct Node: Sendable, Hashable {
        public var id: InternalID
        public var label: String
        public var properties: [Field]
        public init(id: InternalID, label: String, properties: [Field]) {
            self.id = id
            self.label = label
            self.properties = properties
        }
        /// The value of a property, or `nil` if the node has none of that name.
        public subscript(property name: String) -> Value? {
            properties.first { $0.name == name }?.value
        }
    }

    /// A relationship: its id, endpoints, label and properties.
    public struct Rel: Sendable, Hashable {
        public var id: InternalID
        public var source: InternalID
        public var destination: InternalID
        public var label: String
        public var properties: [Field]
        public init(id: InternalID, source: InternalID, destination: InternalID, label: String, properties: [Field]) {
            self.id = id
            self.source = source
            self.destination = destination
            self.label = label
            self.properties = properties
        }
        /// The value of a property, or `nil` if the relationship has none of that name.
        public subscript(property name: String) -> Value? {
            properties.first { $0.name == name }?.value
        }
    }
}

extension Value {
    /// Whether the value is NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Any integer type that fits in `Int64`, else `nil`.
    public var int64Value: Int64? {
        switch self {
        case .int8(let v): Int64(v)
        case .int16(let v): Int64(v)
        case .int32(let v): Int64(v)
        case .int64(let v): v
        case .uint8(let v): Int64(v)
        case .uint16(let v): Int64(v)
        case .uint32(let v): Int64(v)
        case .uint64(let v): Int64(exactly: v)
        case .int128(let text): Int64(text)
        default: nil
        }
    }

    /// A `DOUBLE` or `FLOAT`, else `nil`.
    public var doubleValue: Double? {
        switch self {
        case .double(let v): v
        case .float(let v): Double(v)
        default: nil
        }
    }

    /// A `STRING`, else `nil`.
    public var stringValue: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// A `BOOL`, else `nil`.
    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The elements of a `LIST` or `ARRAY`, else `nil`.
    public var listValue: [Value]? {
        switch self {
        case .list(let v), .array(let v): v
        default: nil
        }
    }

    /// A struct field's value by name, else `nil`.
    public subscript(field name: String) -> Value? {
        switch self {
        case .struct(let fields): fields.first { $0.name == name }?.value
        case .node(let node): node[property: name]
        case .rel(let rel): rel[property: name]
        default: nil
        }
    }
}

extension Value: CustomStringConvertible {
    /// A compact, Cypher-like rendering for logs and the CLI.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .bool(let v): return v ? "True" : "False"
        case .int8(let v): return String(v)
        case .int16(let v): return String(v)
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .uint8(let v): return String(v)
        case .uint16(let v): return String(v)
        case .uint32(let v): return String(v)
        case .uint64(let v): return String(v)
        case .int128(let v), .decimal(let v), .uuid(let v), .string(let v): return v
        case .float(let v): return String(v)
        case .double(let v): return String(v)
        case .blob(let bytes):
            return bytes.map { byte in
                let hex = String(byte, radix: 16, uppercase: true)
                return "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }.joined()
        case .date(let days): return CivilTime.dateString(daysSinceEpoch: Int64(days))
        case .timestamp(let micros): return CivilTime.timestampString(micros: micros, fractionDigits: 6)
        case .timestampTz(let micros): return CivilTime.timestampString(micros: micros, fractionDigits: 6) + "+00"
        case .timestampNs(let nanos):
            return CivilTime.timestampString(micros: nanos.floorDiv(1000), fractionDigits: 6)
        case .timestampMs(let millis): return CivilTime.timestampString(micros: millis * 1000, fractionDigits: 3)
        case .timestampSec(let seconds):
            return CivilTime.timestampString(micros: seconds * 1_000_000, fractionDigits: 0)
        case .interval(let months, let days, let micros):
            return "\(months) months \(days) days \(micros) microseconds"
        case .internalID(let id): return id.description
        case .list(let values), .array(let values):
            return "[" + values.map(\.description).joined(separator: ",") + "]"
        case .struct(let fields):
            return "{" + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "}"
        case .map(let entries):
            return "{" + entries.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}"
        case .union(_, let value): return value.description
        case .node(let node):
            let properties = node.properties.map { ", \($0.name): \($0.value)" }.joined()
            return "{_ID: \(node.id), _LABEL: \(node.label)\(properties)}"
        case .rel(let rel):
            let properties = rel.properties.map { ", \($0.name): \($0.value)" }.joined()
            return "(\(rel.source))-{_LABEL: \(rel.label), _ID: \(rel.id)\(properties)}->(\(rel.destination))"
        case .recursiveRel(let nodes, let rels):
            return "{_NODES: [" + nodes.map { Value.node($0).description }.joined(separator: ",")
                + "], _RELS: [" + rels.map { Value.rel($0).description }.joined(separator: ",") + "]}"
        }
    }
}

extension Int64 {
    fileprivate func floorDiv(_ divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's civil-from-days), UTC only.
enum CivilTime {
    static func civil(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    static func dateString(daysSinceEpoch days: Int64) -> String {
        let (y, m, d) = civil(daysSinceEpoch: days)
        let year = y < 0 ? "-" + pad(-y, 4) : pad(y, 4)
        return "\(year)-\(pad(m, 2))-\(pad(d, 2))"
    }

    static func timestampString(micros: Int64, fractionDigits: Int) -> String {
        let perDay: Int64 = 86_400_000_000
        var days = micros / perDay
        var rest = micros % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        let seconds = rest / 1_000_000
        let fraction = rest % 1_000_000
        var text =
            dateString(daysSinceEpoch: days) + " "
            + "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        if fraction != 0 && fractionDigits > 0 {
            let digits = pad(fraction, 6)
            text += "." + digits.prefix(fractionDigits)
        }
        return text
    }
}
