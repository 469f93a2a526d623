/// One DuckDB value: a decoded result cell, or a parameter to bind.
///
/// Results decode every DuckDB type natively except BIGNUM and VARIANT (``unsupported(type:)``);
/// parameters bind every scalar case (lists, structs and maps cannot be bound).
public enum StagingValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// BOOLEAN.
    case bool(Bool)
    /// TINYINT, SMALLINT, INTEGER or BIGINT.
    case int(Int64)
    /// UTINYINT, USMALLINT, UINTEGER or UBIGINT.
    case uint(UInt64)
    /// HUGEINT.
    case hugeint(Int128)
    /// UHUGEINT.
    case uhugeint(UInt128)
    /// FLOAT (kept as `Float`, so it prints with its own shortest digits).
    case float(Float)
    /// DOUBLE.
    case double(Double)
    /// DECIMAL as exact text, e.g. `"-12.50"` (scale digits always present).
    case decimal(String)
    /// VARCHAR (also ENUM values and BIT strings such as `"0101"`).
    case string(String)
    /// BLOB (also GEOMETRY, which DuckDB stores as WKB bytes).
    case blob([UInt8])
    /// DATE.
    case date(StagingDate)
    /// TIME or TIME_NS.
    case time(StagingTime)
    /// TIME WITH TIME ZONE: a local time and its offset from UTC in seconds.
    case timeWithTimeZone(StagingTime, offsetSeconds: Int32)
    /// TIMESTAMP, TIMESTAMP_S, TIMESTAMP_MS or TIMESTAMP_NS (no time zone).
    case timestamp(StagingTimestamp)
    /// TIMESTAMP WITH TIME ZONE (an instant, kept in UTC).
    case timestampWithTimeZone(StagingTimestamp)
    /// INTERVAL.
    case interval(StagingInterval)
    /// UUID in its canonical lower-case text form.
    case uuid(String)
    /// LIST or ARRAY.
    case list([StagingValue])
    /// STRUCT, fields in declaration order (a UNION decodes to its active member's value).
    case `struct`([StagingStructField])
    /// MAP, entries in storage order.
    case map([StagingMapEntry])
    /// A value of a type this layer does not decode; `type` is its SQL type name. Cast it in SQL
    /// (e.g. `::VARCHAR`) to read it.
    case unsupported(type: String)
}

/// A named field of a ``StagingValue/struct(_:)`` value.
public struct StagingStructField: Sendable, Hashable {
    /// The field's name.
    public var name: String
    /// The field's value.
    public var value: StagingValue

    /// Creates a field.
    public init(name: String, value: StagingValue) {
        self.name = name
        self.value = value
    }
}

/// One entry of a ``StagingValue/map(_:)`` value.
public struct StagingMapEntry: Sendable, Hashable {
    /// The entry's key.
    public var key: StagingValue
    /// The entry's value.
    public var value: StagingValue

    /// Creates an entry.
    public init(key: StagingValue, value: StagingValue) {
        self.key = key
        self.value = value
    }
}

/// A DATE: days since 1970-01-01 (DuckDB's representation, including ±infinity).
public struct StagingDate: Sendable, Hashable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int32

    /// Creates a date from days since 1970-01-01.
    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }

    /// Creates a date from a proleptic Gregorian year, month (1-12) and day (1-31).
    public init(year: Int, month: Int, day: Int) {
        daysSinceEpoch = Int32(CivilCalendar.days(year: year, month: month, day: day))
    }

    /// Whether the date is finite (DuckDB also stores `infinity` and `-infinity`).
    public var isFinite: Bool { daysSinceEpoch != Int32.max && daysSinceEpoch != -Int32.max }

    /// ISO-8601 text, `"2024-01-02"` (or `"infinity"` / `"-infinity"`).
    public var description: String {
        guard isFinite else { return daysSinceEpoch > 0 ? "infinity" : "-infinity" }
        return CivilCalendar.dateText(days: Int64(daysSinceEpoch))
    }
}

/// A TIME: nanoseconds since midnight (microsecond precision for TIME, nanosecond for TIME_NS).
public struct StagingTime: Sendable, Hashable, CustomStringConvertible {
    /// Nanoseconds since 00:00:00.
    public var nanosecondsSinceMidnight: Int64

    /// Creates a time from nanoseconds since midnight.
    public init(nanosecondsSinceMidnight: Int64) { self.nanosecondsSinceMidnight = nanosecondsSinceMidnight }

    /// Creates a time from microseconds since midnight (DuckDB's TIME representation).
    public init(microsecondsSinceMidnight: Int64) { nanosecondsSinceMidnight = microsecondsSinceMidnight * 1000 }

    /// ISO-8601 text, `"03:04:05"` or `"03:04:05.25"` (trailing fraction zeros dropped).
    public var description: String { CivilCalendar.timeText(nanoseconds: nanosecondsSinceMidnight) }
}

/// A TIMESTAMP: microseconds since 1970-01-01 00:00:00 plus, for TIMESTAMP_NS, the nanoseconds
/// below one microsecond.
public struct StagingTimestamp: Sendable, Hashable, CustomStringConvertible {
    /// Microseconds since 1970-01-01 00:00:00 (UTC for TIMESTAMP WITH TIME ZONE).
    public var microsecondsSinceEpoch: Int64
    /// Nanoseconds in addition to `microsecondsSinceEpoch` (0...999; only TIMESTAMP_NS sets it).
    public var nanosecondRemainder: Int16

    /// Creates a timestamp from microseconds since the epoch.
    public init(microsecondsSinceEpoch: Int64, nanosecondRemainder: Int16 = 0) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
        self.nanosecondRemainder = nanosecondRemainder
    }

    /// Whether the timestamp is finite (DuckDB also stores `infinity` and `-infinity`).
    public var isFinite: Bool { microsecondsSinceEpoch != Int64.max && microsecondsSinceEpoch != -Int64.max }

    /// ISO-8601 text without a zone, `"2024-01-02T03:04:05"` or `"2024-01-02T03:04:05.123"`.
    public var description: String {
        guard isFinite else { return microsecondsSinceEpoch > 0 ? "infinity" : "-infinity" }
        let microsPerDay: Int64 = 86_400_000_000
        let (days, micros) = floorDivision(microsecondsSinceEpoch, microsPerDay)
        return CivilCalendar.dateText(days: days) + "T"
            + CivilCalendar.timeText(nanoseconds: micros * 1000 + Int64(nanosecondRemainder))
    }
}

/// An INTERVAL: months, days and microseconds, kept apart as DuckDB keeps them.
public struct StagingInterval: Sendable, Hashable, CustomStringConvertible {
    /// Whole months.
    public var months: Int32
    /// Whole days.
    public var days: Int32
    /// Microseconds.
    public var microseconds: Int64

    /// Creates an interval.
    public init(months: Int32, days: Int32, microseconds: Int64) {
        self.months = months
        self.days = days
        self.microseconds = microseconds
    }

    /// ISO-8601 duration text, e.g. `"P1Y2M3DT4H5M6.5S"`, `"P1DT2H"`, `"PT0S"`.
    public var description: String {
        var text = "P"
        let years = months / 12, restMonths = months % 12
        if years != 0 { text += "\(years)Y" }
        if restMonths != 0 { text += "\(restMonths)M" }
        if days != 0 { text += "\(days)D" }
        if microseconds != 0 {
            text += "T"
            let negative = microseconds < 0
            let magnitude = microseconds.magnitude
            let hours = magnitude / 3_600_000_000
            let minutes = magnitude / 60_000_000 % 60
            let seconds = magnitude / 1_000_000 % 60
            let fraction = magnitude % 1_000_000
            let sign = negative ? "-" : ""
            if hours != 0 { text += "\(sign)\(hours)H" }
            if minutes != 0 { text += "\(sign)\(minutes)M" }
            if seconds != 0 || fraction != 0 {
                text += "\(sign)\(seconds)"
                if fraction != 0 { text += "." + CivilCalendar.fractionDigits(fraction, width: 6) }
                text += "S"
            }
        }
        return text == "P" ? "PT0S" : text
    }
}

extension StagingValue: CustomStringConvertible {
    /// DuckDB-like text of the value: numbers and text as DuckDB prints them, temporal values in
    /// ISO-8601, lists as `[1, 2]`, structs as `{'a': 1}`, maps as `{k=v}`, NULL as `NULL`.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .bool(let value): return String(value)
        case .int(let value): return String(value)
        case .uint(let value): return String(value)
        case .hugeint(let value): return String(value)
        case .uhugeint(let value): return String(value)
        case .float(let value): return String(value)
        case .double(let value): return String(value)
        case .decimal(let text), .string(let text), .uuid(let text): return text
        case .blob(let bytes): return StagingValue.blobText(bytes)
        case .date(let date): return date.description
        case .time(let time): return time.description
        case .timeWithTimeZone(let time, let offset): return time.description + CivilCalendar.offsetText(seconds: offset)
        case .timestamp(let timestamp): return timestamp.description
        case .timestampWithTimeZone(let timestamp):
            return timestamp.isFinite ? timestamp.description + "Z" : timestamp.description
        case .interval(let interval): return interval.description
        case .list(let values): return "[" + values.map(\.nestedDescription).joined(separator: ", ") + "]"
        case .struct(let fields):
            return "{" + fields.map { StagingSQL.literal($0.name) + ": " + $0.value.nestedDescription }
                .joined(separator: ", ") + "}"
        case .map(let entries):
            return "{" + entries.map { $0.key.nestedDescription + "=" + $0.value.nestedDescription }
                .joined(separator: ", ") + "}"
        case .unsupported(let type): return "<\(type)>"
        }
    }

    /// Strings inside lists and structs are quoted, as DuckDB prints them.
    private var nestedDescription: String {
        switch self {
        case .string(let text), .uuid(let text): return StagingSQL.literal(text)
        case .date, .time, .timeWithTimeZone, .timestamp, .timestampWithTimeZone, .interval, .blob:
            return StagingSQL.literal(description)
        default: return description
        }
    }

    /// DuckDB's BLOB text: printable ASCII as is, other bytes as `\xHH`.
    static func blobText(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "'") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// `(quotient, remainder)` rounding towards negative infinity, so the remainder is never negative.
func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
    let quotient = value / divisor, remainder = value % divisor
    return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's civil-from-days algorithms).
enum CivilCalendar {
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DD`; years outside 0...9999 get a sign and as many digits as needed.
    static func dateText(days: Int64) -> String {
        let (year, month, day) = civil(days: days)
        let yearText = year < 0 ? "-" + padded(Int64(year.magnitude), 4) : padded(year, 4)
        return yearText + "-" + padded(Int64(month), 2) + "-" + padded(Int64(day), 2)
    }

    /// `HH:MM:SS[.fraction]` for nanoseconds since midnight.
    static func timeText(nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        let fraction = UInt64(nanoseconds % 1_000_000_000)
        var text = padded(seconds / 3600, 2) + ":" + padded(seconds / 60 % 60, 2) + ":" + padded(seconds % 60, 2)
        if fraction != 0 { text += "." + fractionDigits(fraction, width: 9) }
        return text
    }

    /// `+HH:MM` / `-HH:MM` (with `:SS` when needed) for an offset from UTC in seconds.
    static func offsetText(seconds: Int32) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let magnitude = Int64(seconds.magnitude)
        var text = sign + padded(magnitude / 3600, 2) + ":" + padded(magnitude / 60 % 60, 2)
        if magnitude % 60 != 0 { text += ":" + padded(magnitude % 60, 2) }
        return text
    }

    /// The fraction digits of `value / 10^width`, trailing zeros removed (`value` must be non-zero).
    static func fractionDigits(_ value: UInt64, width: Int) -> String {
        var digits = Array(padded(Int64(value), width).utf8)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return String(decoding: digits, as: UTF8.self)
    }

    static func padded(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
