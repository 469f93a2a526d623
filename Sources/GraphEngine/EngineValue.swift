/// A parameter value for a prepared statement: the JSON kinds (null, booleans, numbers, strings,
/// arrays, objects) plus a few engine types JSON has no literal for.
///
/// How each case binds (see ``Connection/execute(_:parameters:)``):
///
/// | case | engine type |
/// | --- | --- |
/// | ``null`` | a NULL the statement's context types |
/// | ``bool(_:)`` | `BOOL` |
/// | ``int64(_:)`` | `INT64` |
/// | ``uint64(_:)`` | `UINT64` |
/// | ``int128(_:)`` | `INT128`, from decimal text (JSON numbers beyond 64 bits) |
/// | ``double(_:)`` | `DOUBLE` |
/// | ``string(_:)`` | `STRING` |
/// | ``date(_:)`` | `DATE`, from `YYYY-MM-DD` |
/// | ``timestamp(microsecondsSinceEpoch:)`` | `TIMESTAMP` |
/// | ``interval(months:days:microseconds:)`` | `INTERVAL` |
/// | ``uuid(_:)`` | `UUID`, from its text |
/// | ``blob(_:)`` | `BLOB` |
/// | ``list(_:)`` | `LIST` of the elements' common type |
/// | ``map(_:)`` | `STRUCT` with one field per key, in order (`$p.a` reads field `a`) |
///
/// Lists: `null` elements fit any list. The other elements must be of one kind, except that
/// integers and doubles mix (the list becomes `DOUBLE[]`). Any other mix, such as `[1, "a"]` or
/// `[true, 1]`, fails with ``EngineError/Kind/bind``: the engine itself would silently turn
/// `[1, "a"]` into `["1", "a"]`, which a JSON client would not expect. Nested lists and objects
/// take the engine's common type (objects in a list must have the same keys).
/// An empty list or object has no element type of its own (`LIST(ANY)`, `MAP(ANY, ANY)`): it binds
/// where the statement gives it one (`p.id IN $ids`, `UNWIND $rows`, a list or map property), and
/// fails with ``EngineError/Kind/bind`` where nothing does (`RETURN $empty`).
public enum EngineValue: Sendable {
    /// NULL.
    case null
    /// A boolean.
    case bool(Bool)
    /// A signed 64-bit integer (a JSON number without fraction or exponent that fits).
    case int64(Int64)
    /// An unsigned 64-bit integer, for values above `Int64.max`.
    case uint64(UInt64)
    /// A 128-bit integer written in decimal, e.g. `"-170141183460469231731687303715884105728"`.
    case int128(String)
    /// A double (any other JSON number).
    case double(Double)
    /// A string.
    case string(String)
    /// A date written `YYYY-MM-DD`.
    case date(String)
    /// A timestamp: microseconds since 1970-01-01 00:00:00 UTC.
    case timestamp(microsecondsSinceEpoch: Int64)
    /// An interval.
    case interval(months: Int32, days: Int32, microseconds: Int64)
    /// A UUID written in its usual text form.
    case uuid(String)
    /// Bytes.
    case blob([UInt8])
    /// A list (JSON array).
    case list([EngineValue])
    /// An object with ordered keys (JSON object); binds as a `STRUCT`.
    case map([(key: String, value: EngineValue)])
}

extension EngineValue: Equatable {
    public static func == (lhs: EngineValue, rhs: EngineValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int64(let a), .int64(let b)): return a == b
        case (.uint64(let a), .uint64(let b)): return a == b
        case (.int128(let a), .int128(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.date(let a), .date(let b)): return a == b
        case (.timestamp(let a), .timestamp(let b)): return a == b
        case (.interval(let m1, let d1, let u1), .interval(let m2, let d2, let u2)):
            return m1 == m2 && d1 == d2 && u1 == u2
        case (.uuid(let a), .uuid(let b)): return a == b
        case (.blob(let a), .blob(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.map(let a), .map(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

extension EngineValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: EngineValue...) { self = .list(elements) }
    /// Keeps the literal's key order.
    public init(dictionaryLiteral elements: (String, EngineValue)...) {
        self = .map(elements.map { (key: $0.0, value: $0.1) })
    }
}

extension EngineValue {
    /// Whether the value is, or contains, an empty list or object (untyped for the engine).
    var containsUntypedEmpty: Bool {
        switch self {
        case .list(let values): values.isEmpty || values.contains { $0.containsUntypedEmpty }
        case .map(let pairs): pairs.isEmpty || pairs.contains { $0.value.containsUntypedEmpty }
        default: false
        }
    }

    /// The kind of JSON-like value, for messages and the list-mixing rule.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int64, .uint64, .int128: "integer"
        case .double: "double"
        case .string: "string"
        case .date: "date"
        case .timestamp: "timestamp"
        case .interval: "interval"
        case .uuid: "uuid"
        case .blob: "blob"
        case .list: "list"
        case .map: "object"
        }
    }
}
