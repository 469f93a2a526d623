import CDuckDB

/// How the values of a vector of one logical type are laid out and decoded (built once per
/// result column from its logical type).
indirect enum VectorDecoder: Sendable {
    /// The physical integer type behind a DECIMAL or ENUM.
    enum IntegerStorage: Sendable { case int16, int32, int64, int128, uint8, uint16, uint32 }
    /// The unit of a TIMESTAMP variant.
    enum TimestampUnit: Sendable { case seconds, milliseconds, microseconds, nanoseconds }

    case bool, int8, int16, int32, int64, int128, uint8, uint16, uint32, uint64, uint128, float, double
    case decimal(IntegerStorage, scale: Int)
    case string, blob, bit, date, timeWithTimeZone, interval, uuid
    case time(nanosecondsPerUnit: Int64)
    case timestamp(TimestampUnit, withTimeZone: Bool)
    case enumeration(IntegerStorage, [String])
    case list(VectorDecoder)
    case array(VectorDecoder, size: Int)
    case structure(names: [String], fields: [VectorDecoder])
    case map(key: VectorDecoder, value: VectorDecoder)
    case union(members: [VectorDecoder])
    case unsupported(String)
}

/// Reads values straight out of a flat DuckDB vector of a data chunk (data pointer, validity
/// mask and, for nested types, child vectors). Only valid while its chunk is alive.
struct VectorReader {
    private let data: UnsafeRawPointer?
    private let validity: UnsafePointer<UInt64>?
    private let decoder: VectorDecoder
    private let children: [VectorReader]

    init(vector: duckdb_vector, decoder: VectorDecoder) {
        self.data = UnsafeRawPointer(duckdb_vector_get_data(vector))
        self.validity = duckdb_vector_get_validity(vector).map { UnsafePointer($0) }
        self.decoder = decoder
        switch decoder {
        case .list(let child):
            children = [VectorReader(vector: duckdb_list_vector_get_child(vector), decoder: child)]
        case .array(let child, _):
            children = [VectorReader(vector: duckdb_array_vector_get_child(vector), decoder: child)]
        case .map(let key, let value):
            let entries = duckdb_list_vector_get_child(vector)
            children = [
                VectorReader(vector: duckdb_struct_vector_get_child(entries, 0), decoder: key),
                VectorReader(vector: duckdb_struct_vector_get_child(entries, 1), decoder: value),
            ]
        case .structure(_, let fields):
            children = fields.indices.map {
                VectorReader(vector: duckdb_struct_vector_get_child(vector, idx_t($0)), decoder: fields[$0])
            }
        case .union(let members):
            // A UNION is stored as a STRUCT whose first child is the UTINYINT member tag.
            children = ([VectorDecoder.uint8] + members).indices.map { index in
                VectorReader(
                    vector: duckdb_struct_vector_get_child(vector, idx_t(index)),
                    decoder: index == 0 ? .uint8 : members[index - 1])
            }
        default:
            children = []
        }
    }

    /// Whether the value in `row` is NULL.
    func isNull(_ row: Int) -> Bool {
        guard let validity else { return false }
        return (validity[row >> 6] >> UInt64(row & 63)) & 1 == 0
    }

    private func load<T>(_ row: Int, as type: T.Type) -> T {
        data.unsafelyUnwrapped.loadUnaligned(fromByteOffset: row * MemoryLayout<T>.stride, as: T.self)
    }

    private func loadInt128(_ row: Int) -> Int128 {
        let lower = load(row * 2, as: UInt64.self), upper = load(row * 2 + 1, as: Int64.self)
        return Int128(upper) << 64 | Int128(lower)
    }

    private func loadUInt128(_ row: Int) -> UInt128 {
        let lower = load(row * 2, as: UInt64.self), upper = load(row * 2 + 1, as: UInt64.self)
        return UInt128(upper) << 64 | UInt128(lower)
    }

    /// The bytes of a `duckdb_string_t` (VARCHAR, BLOB, BIT): inlined up to 12 bytes, else a pointer.
    private func stringBytes(_ row: Int) -> UnsafeRawBufferPointer {
        let base = data.unsafelyUnwrapped + row * 16
        let length = Int(base.loadUnaligned(as: UInt32.self))
        if length <= 12 { return UnsafeRawBufferPointer(start: base + 4, count: length) }
        let pointer = base.loadUnaligned(fromByteOffset: 8, as: UnsafeRawPointer.self)
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    private func integer(_ storage: VectorDecoder.IntegerStorage, _ row: Int) -> Int128 {
        switch storage {
        case .int16: Int128(load(row, as: Int16.self))
        case .int32: Int128(load(row, as: Int32.self))
        case .int64: Int128(load(row, as: Int64.self))
        case .int128: loadInt128(row)
        case .uint8: Int128(load(row, as: UInt8.self))
        case .uint16: Int128(load(row, as: UInt16.self))
        case .uint32: Int128(load(row, as: UInt32.self))
        }
    }

    /// The value in `row`, decoded.
    func value(_ row: Int) -> StagingValue {
        if isNull(row) { return .null }
        switch decoder {
        case .bool: return .bool(load(row, as: UInt8.self) != 0)
        case .int8: return .int(Int64(load(row, as: Int8.self)))
        case .int16: return .int(Int64(load(row, as: Int16.self)))
        case .int32: return .int(Int64(load(row, as: Int32.self)))
        case .int64: return .int(load(row, as: Int64.self))
        case .int128: return .hugeint(loadInt128(row))
        case .uint8: return .uint(UInt64(load(row, as: UInt8.self)))
        case .uint16: return .uint(UInt64(load(row, as: UInt16.self)))
        case .uint32: return .uint(UInt64(load(row, as: UInt32.self)))
        case .uint64: return .uint(load(row, as: UInt64.self))
        case .uint128: return .uhugeint(loadUInt128(row))
        case .float: return .float(load(row, as: Float.self))
        case .double: return .double(load(row, as: Double.self))
        case .decimal(let storage, let scale): return .decimal(Self.decimalText(integer(storage, row), scale: scale))
        case .string: return .string(String(decoding: stringBytes(row), as: UTF8.self))
        case .blob: return .blob(Array(stringBytes(row)))
        case .bit: return .string(Self.bitText(stringBytes(row)))
        case .date: return .date(StagingDate(daysSinceEpoch: load(row, as: Int32.self)))
        case .time(let nanosecondsPerUnit):
            return .time(StagingTime(nanosecondsSinceMidnight: load(row, as: Int64.self) * nanosecondsPerUnit))
        case .timeWithTimeZone:
            let parts = duckdb_from_time_tz(duckdb_time_tz(bits: load(row, as: UInt64.self)))
            let micros = duckdb_to_time(parts.time).micros
            return .timeWithTimeZone(StagingTime(microsecondsSinceMidnight: micros), offsetSeconds: parts.offset)
        case .timestamp(let unit, let withTimeZone):
            let timestamp = Self.timestamp(load(row, as: Int64.self), unit: unit)
            return withTimeZone ? .timestampWithTimeZone(timestamp) : .timestamp(timestamp)
        case .interval:
            let interval = load(row, as: duckdb_interval.self)
            return .interval(StagingInterval(months: interval.months, days: interval.days, microseconds: interval.micros))
        case .uuid: return .uuid(Self.uuidText(lower: load(row * 2, as: UInt64.self), upper: load(row * 2 + 1, as: UInt64.self)))
        case .enumeration(let storage, let values):
            let index = Int(integer(storage, row))
            return index < values.count ? .string(values[index]) : .null
        case .list:
            let entry = load(row, as: duckdb_list_entry.self)
            let start = Int(entry.offset)
            return .list((start..<start + Int(entry.length)).map { children[0].value($0) })
        case .array(_, let size):
            return .list((row * size..<(row + 1) * size).map { children[0].value($0) })
        case .map:
            let entry = load(row, as: duckdb_list_entry.self)
            let start = Int(entry.offset)
            return .map((start..<start + Int(entry.length)).map {
                StagingMapEntry(key: children[0].value($0), value: children[1].value($0))
            })
        case .structure(let names, _):
            return .struct(names.indices.map { StagingStructField(name: names[$0], value: children[$0].value(row)) })
        case .union:
            guard case .uint(let tag) = children[0].value(row), Int(tag) + 1 < children.count else { return .null }
            return children[Int(tag) + 1].value(row)
        case .unsupported(let name): return .unsupported(type: name)
        }
    }

    static func decimalText(_ value: Int128, scale: Int) -> String {
        var digits = String(value.magnitude)
        guard scale > 0 else { return value < 0 ? "-" + digits : digits }
        if digits.count <= scale { digits = String(repeating: "0", count: scale + 1 - digits.count) + digits }
        let point = digits.index(digits.endIndex, offsetBy: -scale)
        return (value < 0 ? "-" : "") + String(digits[..<point]) + "." + String(digits[point...])
    }

    /// A BIT value as `0`/`1` text: the first byte counts the padding bits at the start of the
    /// second byte.
    static func bitText(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let padding = bytes.first else { return "" }
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count - 1) * 8)
        for (index, byte) in bytes.dropFirst().enumerated() {
            for bit in stride(from: 7, through: 0, by: -1) {
                if index == 0 && 7 - bit < Int(padding) { continue }
                text.append((byte >> UInt8(bit)) & 1 == 1 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// DuckDB stores a UUID as a HUGEINT with the top bit flipped (so it sorts as text does).
    static func uuidText(lower: UInt64, upper: UInt64) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, shift) in stride(from: 124, through: 0, by: -4).enumerated() {
            let word = shift >= 64 ? upper ^ (1 << 63) : lower
            text.append(hex[Int((word >> UInt64(shift % 64)) & 0xF)])
            if [7, 11, 15, 19].contains(index) { text.append(UInt8(ascii: "-")) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func timestamp(_ raw: Int64, unit: VectorDecoder.TimestampUnit) -> StagingTimestamp {
        // Infinite timestamps keep their sentinel in every unit.
        if raw == Int64.max || raw == -Int64.max { return StagingTimestamp(microsecondsSinceEpoch: raw) }
        switch unit {
        case .seconds: return StagingTimestamp(microsecondsSinceEpoch: raw &* 1_000_000)
        case .milliseconds: return StagingTimestamp(microsecondsSinceEpoch: raw &* 1000)
        case .microseconds: return StagingTimestamp(microsecondsSinceEpoch: raw)
        case .nanoseconds:
            let (micros, nanos) = floorDivision(raw, 1000)
            return StagingTimestamp(microsecondsSinceEpoch: micros, nanosecondRemainder: Int16(nanos))
        }
    }
}
