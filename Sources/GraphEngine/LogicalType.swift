import CLadybug

/// The engine type of a result column or value: a type id, plus children for nested types.
///
/// - `LIST` and `ARRAY`: one child, the element type (``elementType``); `ARRAY` also has
///   ``arraySize``.
/// - `STRUCT`, `NODE`, `REL`, `RECURSIVE_REL`, `UNION`: one child per field, named in ``fieldNames``.
/// - `MAP`: two children, named `key` and `value`.
/// - `DECIMAL`: ``decimalPrecision`` and ``decimalScale``.
///
/// The C API exposes the id and LIST/ARRAY children directly; fields of STRUCT-like types and of
/// MAP come from the result's Arrow schema, where `NODE`, `REL` and `INTERNAL_ID` nested inside
/// other types are all reported as `STRUCT` (a top-level column keeps its exact id).
public struct LogicalType: Sendable, Hashable, CustomStringConvertible {
    /// An engine type id (`lbug_data_type_id`). New ids may appear in later engine versions.
    public struct ID: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        init(_ id: lbug_data_type_id) { self.rawValue = id.rawValue }

        public static let any = ID(LBUG_ANY)
        public static let node = ID(LBUG_NODE)
        public static let rel = ID(LBUG_REL)
        public static let recursiveRel = ID(LBUG_RECURSIVE_REL)
        public static let serial = ID(LBUG_SERIAL)
        public static let bool = ID(LBUG_BOOL)
        public static let int64 = ID(LBUG_INT64)
        public static let int32 = ID(LBUG_INT32)
        public static let int16 = ID(LBUG_INT16)
        public static let int8 = ID(LBUG_INT8)
        public static let uint64 = ID(LBUG_UINT64)
        public static let uint32 = ID(LBUG_UINT32)
        public static let uint16 = ID(LBUG_UINT16)
        public static let uint8 = ID(LBUG_UINT8)
        public static let int128 = ID(LBUG_INT128)
        public static let double = ID(LBUG_DOUBLE)
        public static let float = ID(LBUG_FLOAT)
        public static let date = ID(LBUG_DATE)
        public static let timestamp = ID(LBUG_TIMESTAMP)
        public static let timestampSec = ID(LBUG_TIMESTAMP_SEC)
        public static let timestampMs = ID(LBUG_TIMESTAMP_MS)
        public static let timestampNs = ID(LBUG_TIMESTAMP_NS)
        public static let timestampTz = ID(LBUG_TIMESTAMP_TZ)
        public static let interval = ID(LBUG_INTERVAL)
        public static let decimal = ID(LBUG_DECIMAL)
        public static let internalID = ID(LBUG_INTERNAL_ID)
        public static let string = ID(LBUG_STRING)
        public static let blob = ID(LBUG_BLOB)
        public static let list = ID(LBUG_LIST)
        public static let array = ID(LBUG_ARRAY)
        public static let `struct` = ID(LBUG_STRUCT)
        public static let map = ID(LBUG_MAP)
        public static let union = ID(LBUG_UNION)
        public static let pointer = ID(LBUG_POINTER)
        public static let uuid = ID(LBUG_UUID)

        /// The engine's name of the type, e.g. `INT64`.
        public var name: String {
            switch self {
            case .any: "ANY"
            case .node: "NODE"
            case .rel: "REL"
            case .recursiveRel: "RECURSIVE_REL"
            case .serial: "SERIAL"
            case .bool: "BOOL"
            case .int64: "INT64"
            case .int32: "INT32"
            case .int16: "INT16"
            case .int8: "INT8"
            case .uint64: "UINT64"
            case .uint32: "UINT32"
            case .uint16: "UINT16"
            case .uint8: "UINT8"
            case .int128: "INT128"
            case .double: "DOUBLE"
            case .float: "FLOAT"
            case .date: "DATE"
            case .timestamp: "TIMESTAMP"
            case .timestampSec: "TIMESTAMP_SEC"
            case .timestampMs: "TIMESTAMP_MS"
            case .timestampNs: "TIMESTAMP_NS"
            case .timestampTz: "TIMESTAMP_TZ"
            case .interval: "INTERVAL"
            case .decimal: "DECIMAL"
            case .internalID: "INTERNAL_ID"
            case .string: "STRING"
            case .blob: "BLOB"
            case .list: "LIST"
            case .array: "ARRAY"
            case .struct: "STRUCT"
            case .map: "MAP"
            case .union: "UNION"
            case .pointer: "POINTER"
            case .uuid: "UUID"
            default: "TYPE_\(rawValue)"
            }
        }

        public var description: String { name }
    }

    /// The type id.
    public let id: ID
    /// Child types: the element of a LIST/ARRAY, the fields of a STRUCT-like type, or key and
    /// value of a MAP.
    public let children: [LogicalType]
    /// Field names, parallel to ``children`` for STRUCT-like types and MAP (`key`, `value`);
    /// empty for the others.
    public let fieldNames: [String]
    /// Number of elements of an ARRAY.
    public let arraySize: UInt64?
    /// Precision of a DECIMAL.
    public let decimalPrecision: Int?
    /// Scale of a DECIMAL.
    public let decimalScale: Int?

    /// Creates a type.
    public init(
        id: ID, children: [LogicalType] = [], fieldNames: [String] = [], arraySize: UInt64? = nil,
        decimalPrecision: Int? = nil, decimalScale: Int? = nil
    ) {
        self.id = id
        self.children = children
        self.fieldNames = fieldNames
        self.arraySize = arraySize
        self.decimalPrecision = decimalPrecision
        self.decimalScale = decimalScale
    }

    /// The element type of a LIST or ARRAY.
    public var elementType: LogicalType? {
        (id == .list || id == .array) ? children.first : nil
    }

    /// The engine's spelling: `INT64`, `STRING[]`, `INT64[3]`, `STRUCT(a INT64, b STRING)`,
    /// `MAP(STRING, INT64)`, `DECIMAL(5, 2)`.
    public var description: String {
        switch id {
        case .list:
            return "\(children.first?.description ?? "ANY")[]"
        case .array:
            return "\(children.first?.description ?? "ANY")[\(arraySize ?? 0)]"
        case .map where children.count == 2:
            return "MAP(\(children[0]), \(children[1]))"
        case .struct, .union:
            let fields = zip(fieldNames, children).map { "\($0) \($1)" }.joined(separator: ", ")
            return "\(id.name)(\(fields))"
        case .decimal:
            if let precision = decimalPrecision, let scale = decimalScale {
                return "DECIMAL(\(precision), \(scale))"
            }
            return "DECIMAL"
        default:
            return id.name
        }
    }
}

extension LogicalType {
    /// Reads a C type (borrowed), taking what the C API knows: the id and LIST/ARRAY children.
    init(borrowing type: UnsafeMutablePointer<lbug_logical_type>) {
        let id = ID(lbug_data_type_get_id(type))
        var children: [LogicalType] = []
        var arraySize: UInt64?
        if id == .list || id == .array {
            var child = lbug_logical_type()
            if lbug_data_type_get_child_type(type, &child) == LbugSuccess {
                children.append(LogicalType(borrowing: &child))
                lbug_data_type_destroy(&child)
            }
            if id == .array {
                var size: UInt64 = 0
                if lbug_data_type_get_num_elements_in_array(type, &size) == LbugSuccess {
                    arraySize = size
                }
            }
        }
        self.init(id: id, children: children, arraySize: arraySize)
    }

    /// Whether the C API leaves part of this type unknown (fields of STRUCT-like types and MAP,
    /// DECIMAL precision), which only the Arrow schema tells.
    var needsArrowDetail: Bool {
        switch id {
        case .struct, .map, .union, .node, .rel, .recursiveRel, .decimal: true
        case .list, .array: children.first?.needsArrowDetail ?? false
        default: false
        }
    }

    /// Fills in the detail the C API does not give from the Arrow schema of the same column,
    /// keeping the ids known from the C API.
    func refined(with schema: UnsafePointer<ArrowSchema>) -> LogicalType {
        let arrow = schema.pointee
        let arrowChildren: [UnsafePointer<ArrowSchema>] = (0..<Int(max(arrow.n_children, 0))).compactMap {
            arrow.children?[$0].map { UnsafePointer($0) }
        }
        switch id {
        case .list, .array:
            guard let element = children.first, let arrowElement = arrowChildren.first else { return self }
            return LogicalType(id: id, children: [element.refined(with: arrowElement)], arraySize: arraySize)
        case .struct, .union, .node, .rel, .recursiveRel:
            return LogicalType(
                id: id,
                children: arrowChildren.map { LogicalType(arrowSchema: $0) },
                fieldNames: arrowChildren.map { $0.pointee.name.map { String(cString: $0) } ?? "" })
        case .map:
            // +m has one child, the entries struct, whose two children are key and value.
            guard let entries = arrowChildren.first, entries.pointee.n_children == 2,
                let key = entries.pointee.children?[0], let value = entries.pointee.children?[1]
            else { return self }
            return LogicalType(
                id: .map,
                children: [LogicalType(arrowSchema: key), LogicalType(arrowSchema: value)],
                fieldNames: ["key", "value"])
        case .decimal:
            let decimal = LogicalType(arrowSchema: schema)
            return LogicalType(
                id: .decimal, decimalPrecision: decimal.decimalPrecision, decimalScale: decimal.decimalScale)
        default:
            return self
        }
    }

    /// Derives a type from an Arrow schema node alone, as the engine's Arrow converter writes it.
    init(arrowSchema schema: UnsafePointer<ArrowSchema>) {
        let arrow = schema.pointee
        let format = arrow.format.map { String(cString: $0) } ?? ""
        let arrowChildren: [UnsafePointer<ArrowSchema>] = (0..<Int(max(arrow.n_children, 0))).compactMap {
            arrow.children?[$0].map { UnsafePointer($0) }
        }
        func childTypes() -> [LogicalType] { arrowChildren.map { LogicalType(arrowSchema: $0) } }
        func childNames() -> [String] { arrowChildren.map { $0.pointee.name.map { String(cString: $0) } ?? "" } }

        switch format {
        case "b": self.init(id: .bool)
        case "c": self.init(id: .int8)
        case "s": self.init(id: .int16)
        case "i": self.init(id: .int32)
        case "l": self.init(id: .int64)
        case "C": self.init(id: .uint8)
        case "S": self.init(id: .uint16)
        case "I": self.init(id: .uint32)
        case "L": self.init(id: .uint64)
        case "f": self.init(id: .float)
        case "g": self.init(id: .double)
        case "d:38,0": self.init(id: .int128)
        case "tdD": self.init(id: .date)
        case "tsm:": self.init(id: .timestampMs)
        case "tsn:": self.init(id: .timestampNs)
        case "tss:": self.init(id: .timestampSec)
        case "tsu:": self.init(id: .timestamp)
        case "tsu:UTC": self.init(id: .timestampTz)
        case "tDu", "tin": self.init(id: .interval)
        case "w:16": self.init(id: .uuid)
        case "u", "U", "vu": self.init(id: .string)
        case "z", "Z", "vz": self.init(id: .blob)
        case "+l", "+L", "+vl":
            self.init(id: .list, children: childTypes())
        case "+s":
            self.init(id: .struct, children: childTypes(), fieldNames: childNames())
        case "+m":
            if let entries = arrowChildren.first, entries.pointee.n_children == 2,
                let key = entries.pointee.children?[0], let value = entries.pointee.children?[1]
            {
                self.init(
                    id: .map, children: [LogicalType(arrowSchema: key), LogicalType(arrowSchema: value)],
                    fieldNames: ["key", "value"])
            } else {
                self.init(id: .map)
            }
        default:
            if format.hasPrefix("+w:") {
                self.init(id: .array, children: childTypes(), arraySize: UInt64(format.dropFirst(3)))
            } else if format.hasPrefix("+ud") || format.hasPrefix("+us") {
                self.init(id: .union, children: childTypes(), fieldNames: childNames())
            } else if format.hasPrefix("d:") {
                let parts = format.dropFirst(2).split(separator: ",").compactMap { Int($0) }
                self.init(
                    id: .decimal, decimalPrecision: parts.first, decimalScale: parts.count > 1 ? parts[1] : nil)
            } else {
                self.init(id: .any)
            }
        }
    }
}
