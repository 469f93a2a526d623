import CDuckDB

/// The SQL type of a result column, as DuckDB reports it.
public indirect enum StagingType: Sendable, Hashable, CustomStringConvertible {
    /// BOOLEAN.
    case boolean
    /// TINYINT (8-bit).
    case tinyint
    /// SMALLINT (16-bit).
    case smallint
    /// INTEGER (32-bit).
    case integer
    /// BIGINT (64-bit).
    case bigint
    /// HUGEINT (128-bit).
    case hugeint
    /// UTINYINT.
    case utinyint
    /// USMALLINT.
    case usmallint
    /// UINTEGER.
    case uinteger
    /// UBIGINT.
    case ubigint
    /// UHUGEINT.
    case uhugeint
    /// FLOAT (32-bit).
    case float
    /// DOUBLE (64-bit).
    case double
    /// DECIMAL(width, scale).
    case decimal(width: Int, scale: Int)
    /// VARCHAR.
    case varchar
    /// BLOB.
    case blob
    /// BIT (bit string).
    case bit
    /// DATE.
    case date
    /// TIME (microseconds).
    case time
    /// TIME_NS (nanoseconds).
    case timeNanoseconds
    /// TIME WITH TIME ZONE.
    case timeWithTimeZone
    /// TIMESTAMP (microseconds).
    case timestamp
    /// TIMESTAMP_S (seconds).
    case timestampSeconds
    /// TIMESTAMP_MS (milliseconds).
    case timestampMilliseconds
    /// TIMESTAMP_NS (nanoseconds).
    case timestampNanoseconds
    /// TIMESTAMP WITH TIME ZONE.
    case timestampWithTimeZone
    /// INTERVAL.
    case interval
    /// UUID.
    case uuid
    /// ENUM with its values.
    case enumeration([String])
    /// `child[]`.
    case list(StagingType)
    /// `child[size]`.
    case array(StagingType, size: Int)
    /// STRUCT with named fields.
    case structure([Field])
    /// MAP(key, value).
    case map(key: StagingType, value: StagingType)
    /// UNION with named members.
    case union([Field])
    /// Any other DuckDB type, by its SQL name (BIGNUM, GEOMETRY, VARIANT, ...).
    case other(String)

    /// A named field of a STRUCT or member of a UNION.
    public struct Field: Sendable, Hashable {
        /// The field's name.
        public var name: String
        /// The field's type.
        public var type: StagingType

        /// Creates a field.
        public init(name: String, type: StagingType) {
            self.name = name
            self.type = type
        }
    }

    /// The SQL spelling DuckDB uses, e.g. `DECIMAL(18,3)`, `VARCHAR[]`, `STRUCT(a INTEGER)`.
    public var description: String {
        switch self {
        case .boolean: "BOOLEAN"
        case .tinyint: "TINYINT"
        case .smallint: "SMALLINT"
        case .integer: "INTEGER"
        case .bigint: "BIGINT"
        case .hugeint: "HUGEINT"
        case .utinyint: "UTINYINT"
        case .usmallint: "USMALLINT"
        case .uinteger: "UINTEGER"
        case .ubigint: "UBIGINT"
        case .uhugeint: "UHUGEINT"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .decimal(let width, let scale): "DECIMAL(\(width),\(scale))"
        case .varchar: "VARCHAR"
        case .blob: "BLOB"
        case .bit: "BIT"
        case .date: "DATE"
        case .time: "TIME"
        case .timeNanoseconds: "TIME_NS"
        case .timeWithTimeZone: "TIME WITH TIME ZONE"
        case .timestamp: "TIMESTAMP"
        case .timestampSeconds: "TIMESTAMP_S"
        case .timestampMilliseconds: "TIMESTAMP_MS"
        case .timestampNanoseconds: "TIMESTAMP_NS"
        case .timestampWithTimeZone: "TIMESTAMP WITH TIME ZONE"
        case .interval: "INTERVAL"
        case .uuid: "UUID"
        case .enumeration(let values): "ENUM(" + values.map(StagingSQL.literal).joined(separator: ", ") + ")"
        case .list(let child): child.description + "[]"
        case .array(let child, let size): child.description + "[\(size)]"
        case .structure(let fields): "STRUCT(" + Self.fieldList(fields) + ")"
        case .map(let key, let value): "MAP(\(key), \(value))"
        case .union(let members): "UNION(" + Self.fieldList(members) + ")"
        case .other(let name): name
        }
    }

    private static func fieldList(_ fields: [Field]) -> String {
        fields.map { StagingSQL.identifier($0.name) + " " + $0.type.description }.joined(separator: ", ")
    }
}

extension StagingType {
    /// Reads a DuckDB logical type (which the caller still owns and destroys).
    init(_ logical: duckdb_logical_type) {
        self = Self.read(logical).type
    }

    /// Reads a logical type into its public description and the decoder for its vectors.
    static func read(_ logical: duckdb_logical_type) -> (type: StagingType, decoder: VectorDecoder) {
        let id = duckdb_get_type_id(logical)
        switch id {
        case DUCKDB_TYPE_BOOLEAN: return (.boolean, .bool)
        case DUCKDB_TYPE_TINYINT: return (.tinyint, .int8)
        case DUCKDB_TYPE_SMALLINT: return (.smallint, .int16)
        case DUCKDB_TYPE_INTEGER: return (.integer, .int32)
        case DUCKDB_TYPE_BIGINT: return (.bigint, .int64)
        case DUCKDB_TYPE_HUGEINT: return (.hugeint, .int128)
        case DUCKDB_TYPE_UTINYINT: return (.utinyint, .uint8)
        case DUCKDB_TYPE_USMALLINT: return (.usmallint, .uint16)
        case DUCKDB_TYPE_UINTEGER: return (.uinteger, .uint32)
        case DUCKDB_TYPE_UBIGINT: return (.ubigint, .uint64)
        case DUCKDB_TYPE_UHUGEINT: return (.uhugeint, .uint128)
        case DUCKDB_TYPE_FLOAT: return (.float, .float)
        case DUCKDB_TYPE_DOUBLE: return (.double, .double)
        case DUCKDB_TYPE_DECIMAL:
            let width = Int(duckdb_decimal_width(logical)), scale = Int(duckdb_decimal_scale(logical))
            let storage: VectorDecoder.IntegerStorage
            switch duckdb_decimal_internal_type(logical) {
            case DUCKDB_TYPE_SMALLINT: storage = .int16
            case DUCKDB_TYPE_INTEGER: storage = .int32
            case DUCKDB_TYPE_BIGINT: storage = .int64
            default: storage = .int128
            }
            return (.decimal(width: width, scale: scale), .decimal(storage, scale: scale))
        case DUCKDB_TYPE_VARCHAR: return (.varchar, .string)
        case DUCKDB_TYPE_BLOB: return (.blob, .blob)
        case DUCKDB_TYPE_GEOMETRY: return (.other("GEOMETRY"), .blob)
        case DUCKDB_TYPE_BIT: return (.bit, .bit)
        case DUCKDB_TYPE_DATE: return (.date, .date)
        case DUCKDB_TYPE_TIME: return (.time, .time(nanosecondsPerUnit: 1000))
        case DUCKDB_TYPE_TIME_NS: return (.timeNanoseconds, .time(nanosecondsPerUnit: 1))
        case DUCKDB_TYPE_TIME_TZ: return (.timeWithTimeZone, .timeWithTimeZone)
        case DUCKDB_TYPE_TIMESTAMP: return (.timestamp, .timestamp(.microseconds, withTimeZone: false))
        case DUCKDB_TYPE_TIMESTAMP_S: return (.timestampSeconds, .timestamp(.seconds, withTimeZone: false))
        case DUCKDB_TYPE_TIMESTAMP_MS: return (.timestampMilliseconds, .timestamp(.milliseconds, withTimeZone: false))
        case DUCKDB_TYPE_TIMESTAMP_NS: return (.timestampNanoseconds, .timestamp(.nanoseconds, withTimeZone: false))
        case DUCKDB_TYPE_TIMESTAMP_TZ: return (.timestampWithTimeZone, .timestamp(.microseconds, withTimeZone: true))
        case DUCKDB_TYPE_INTERVAL: return (.interval, .interval)
        case DUCKDB_TYPE_UUID: return (.uuid, .uuid)
        case DUCKDB_TYPE_ENUM:
            let size = Int(duckdb_enum_dictionary_size(logical))
            var values: [String] = []
            values.reserveCapacity(size)
            for index in 0..<size {
                values.append(takeDuckDBString(duckdb_enum_dictionary_value(logical, idx_t(index))))
            }
            let storage: VectorDecoder.IntegerStorage
            switch duckdb_enum_internal_type(logical) {
            case DUCKDB_TYPE_UTINYINT: storage = .uint8
            case DUCKDB_TYPE_USMALLINT: storage = .uint16
            default: storage = .uint32
            }
            return (.enumeration(values), .enumeration(storage, values))
        case DUCKDB_TYPE_LIST:
            let child = readChild(duckdb_list_type_child_type(logical))
            return (.list(child.type), .list(child.decoder))
        case DUCKDB_TYPE_ARRAY:
            let child = readChild(duckdb_array_type_child_type(logical))
            let size = Int(duckdb_array_type_array_size(logical))
            return (.array(child.type, size: size), .array(child.decoder, size: size))
        case DUCKDB_TYPE_STRUCT:
            let count = Int(duckdb_struct_type_child_count(logical))
            var fields: [Field] = [], decoders: [VectorDecoder] = [], names: [String] = []
            for index in 0..<count {
                let name = takeDuckDBString(duckdb_struct_type_child_name(logical, idx_t(index)))
                let child = readChild(duckdb_struct_type_child_type(logical, idx_t(index)))
                fields.append(Field(name: name, type: child.type))
                decoders.append(child.decoder)
                names.append(name)
            }
            return (.structure(fields), .structure(names: names, fields: decoders))
        case DUCKDB_TYPE_MAP:
            let key = readChild(duckdb_map_type_key_type(logical))
            let value = readChild(duckdb_map_type_value_type(logical))
            return (.map(key: key.type, value: value.type), .map(key: key.decoder, value: value.decoder))
        case DUCKDB_TYPE_UNION:
            let count = Int(duckdb_union_type_member_count(logical))
            var members: [Field] = [], decoders: [VectorDecoder] = []
            for index in 0..<count {
                let name = takeDuckDBString(duckdb_union_type_member_name(logical, idx_t(index)))
                let member = readChild(duckdb_union_type_member_type(logical, idx_t(index)))
                members.append(Field(name: name, type: member.type))
                decoders.append(member.decoder)
            }
            return (.union(members), .union(members: decoders))
        case DUCKDB_TYPE_BIGNUM: return (.other("BIGNUM"), .unsupported("BIGNUM"))
        case DUCKDB_TYPE_VARIANT: return (.other("VARIANT"), .unsupported("VARIANT"))
        case DUCKDB_TYPE_SQLNULL: return (.other("NULL"), .unsupported("NULL"))
        default:
            let name = "TYPE_\(id.rawValue)"
            return (.other(name), .unsupported(name))
        }
    }

    /// Reads and destroys a child logical type returned by DuckDB.
    private static func readChild(_ child: duckdb_logical_type?) -> (type: StagingType, decoder: VectorDecoder) {
        guard let child else { return (.other("UNKNOWN"), .unsupported("UNKNOWN")) }
        defer {
            var owned: duckdb_logical_type? = child
            duckdb_destroy_logical_type(&owned)
        }
        return read(child)
    }
}

/// Converts a `char *` that DuckDB allocated (and the caller must free) into a `String`.
func takeDuckDBString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    takeDuckDBString(UnsafePointer(pointer))
}

/// Converts a `const char *` that DuckDB allocated (and the caller must free) into a `String`.
func takeDuckDBString(_ pointer: UnsafePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    defer { duckdb_free(UnsafeMutableRawPointer(mutating: pointer)) }
    return String(cString: pointer)
}
