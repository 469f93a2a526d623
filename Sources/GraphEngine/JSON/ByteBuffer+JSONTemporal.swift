import NIOCore

/// The unit in which a timestamp counts time since 1970-01-01T00:00:00 UTC.
public enum JSONTimestampUnit: Sendable, Hashable {
    /// Whole seconds; written without a fractional part.
    case seconds
    /// Milliseconds; a non-zero fraction is written with 3 digits.
    case milliseconds
    /// Microseconds; a non-zero fraction is written with 6 digits.
    case microseconds
    /// Nanoseconds; a non-zero fraction is written with 9 digits.
    case nanoseconds

    var unitsPerSecond: Int64 {
        switch self {
        case .seconds: 1
        case .milliseconds: 1_000
        case .microseconds: 1_000_000
        case .nanoseconds: 1_000_000_000
        }
    }

    var fractionDigits: Int {
        switch self {
        case .seconds: 0
        case .milliseconds: 3
        case .microseconds: 6
        case .nanoseconds: 9
        }
    }
}

extension ByteBuffer {
    /// Writes the calendar date `daysSinceEpoch` days after 1970-01-01 as a JSON string in ISO-8601
    /// form, `"2024-01-02"` (proleptic Gregorian calendar). Years outside 0000–9999 are written in
    /// ISO-8601's expanded form: `"-0044-03-15"`, `"+10000-01-01"`.
    public mutating func writeJSONDate(daysSinceEpoch: Int64) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { destination in
            let base = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
            base[0] = UInt8(ascii: "\"")
            var position = 1
            position += JSONCalendar.writeDate(daysSinceEpoch: daysSinceEpoch, to: base + position)
            base[position] = UInt8(ascii: "\"")
            return position + 1
        }
    }

    /// Writes a timestamp, `value` units after 1970-01-01T00:00:00, as a JSON string in ISO-8601
    /// form: `"2024-01-02T03:04:05"`, with a fractional part only when it is not zero, in the
    /// unit's full precision (`.500000` for microseconds, `.123` for milliseconds, `.123456789` for
    /// nanoseconds). With `utc`, the string ends in `Z` (the value is an instant in UTC); without,
    /// it carries no offset (a local date-time, as the engine's `TIMESTAMP` is).
    public mutating func writeJSONTimestamp(_ value: Int64, unit: JSONTimestampUnit, utc: Bool = false) {
        let unitsPerSecond = unit.unitsPerSecond
        let unitsPerDay = unitsPerSecond * 86_400
        var days = value / unitsPerDay
        var withinDay = value % unitsPerDay
        if withinDay < 0 {
            days -= 1
            withinDay += unitsPerDay
        }
        let secondsOfDay = withinDay / unitsPerSecond
        let fraction = withinDay % unitsPerSecond
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 48) { destination in
            let base = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
            base[0] = UInt8(ascii: "\"")
            var position = 1
            position += JSONCalendar.writeDate(daysSinceEpoch: days, to: base + position)
            base[position] = UInt8(ascii: "T")
            position += 1
            JSONDigits.write(UInt64(secondsOfDay / 3_600), paddedTo: 2, at: base + position)
            base[position + 2] = UInt8(ascii: ":")
            JSONDigits.write(UInt64(secondsOfDay / 60 % 60), paddedTo: 2, at: base + position + 3)
            base[position + 5] = UInt8(ascii: ":")
            JSONDigits.write(UInt64(secondsOfDay % 60), paddedTo: 2, at: base + position + 6)
            position += 8
            if fraction != 0 {
                base[position] = UInt8(ascii: ".")
                JSONDigits.write(UInt64(fraction), paddedTo: unit.fractionDigits, at: base + position + 1)
                position += 1 + unit.fractionDigits
            }
            if utc {
                base[position] = UInt8(ascii: "Z")
                position += 1
            }
            base[position] = UInt8(ascii: "\"")
            return position + 1
        }
    }

    /// Writes an interval of `months`, `days` and `microseconds` (the engine's three independent
    /// parts) as a JSON string holding an ISO-8601 duration.
    ///
    /// Months are written as years and months (`14` → `1Y2M`), days as days, microseconds as hours,
    /// minutes and seconds (never folded into days: a day is not always 24 hours), with the
    /// seconds' fraction trimmed of trailing zeros (`PT6.5S`, `PT0.000001S`). Zero parts are left
    /// out; the zero interval is `"PT0S"`. When every non-zero part is negative the whole duration
    /// is negated (`"-P2DT1H"`); when signs are mixed each negative part carries its own sign
    /// (`"P1DT-2H"`, as PostgreSQL writes ISO-8601 intervals).
    public mutating func writeJSONInterval(months: Int32, days: Int32, microseconds: Int64) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 96) { destination in
            let base = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var position = 0
            @inline(__always) func put(_ byte: UInt8) {
                base[position] = byte
                position += 1
            }
            @inline(__always) func putNumber(_ magnitude: UInt64, negative: Bool, designator: UInt8) {
                if negative { put(UInt8(ascii: "-")) }
                position += JSONDigits.write(magnitude, to: base + position)
                put(designator)
            }
            put(UInt8(ascii: "\""))
            if months == 0 && days == 0 && microseconds == 0 {
                for byte in "PT0S".utf8 { put(byte) }
                put(UInt8(ascii: "\""))
                return position
            }
            let wholeNegative = months <= 0 && days <= 0 && microseconds <= 0
            if wholeNegative { put(UInt8(ascii: "-")) }
            put(UInt8(ascii: "P"))
            let monthsNegative = months < 0 && !wholeNegative
            let years = UInt64(months.magnitude / 12)
            let remainingMonths = UInt64(months.magnitude % 12)
            if years != 0 { putNumber(years, negative: monthsNegative, designator: UInt8(ascii: "Y")) }
            if remainingMonths != 0 {
                putNumber(remainingMonths, negative: monthsNegative, designator: UInt8(ascii: "M"))
            }
            if days != 0 {
                putNumber(UInt64(days.magnitude), negative: days < 0 && !wholeNegative, designator: UInt8(ascii: "D"))
            }
            if microseconds != 0 {
                put(UInt8(ascii: "T"))
                let timeNegative = microseconds < 0 && !wholeNegative
                let magnitude = microseconds.magnitude
                let hours = magnitude / 3_600_000_000
                let minutes = magnitude / 60_000_000 % 60
                let seconds = magnitude / 1_000_000 % 60
                let fraction = magnitude % 1_000_000
                if hours != 0 { putNumber(hours, negative: timeNegative, designator: UInt8(ascii: "H")) }
                if minutes != 0 { putNumber(minutes, negative: timeNegative, designator: UInt8(ascii: "M")) }
                if seconds != 0 || fraction != 0 {
                    if timeNegative { put(UInt8(ascii: "-")) }
                    position += JSONDigits.write(seconds, to: base + position)
                    if fraction != 0 {
                        put(UInt8(ascii: "."))
                        var digits = 6
                        var trimmed = fraction
                        while trimmed % 10 == 0 {
                            trimmed /= 10
                            digits -= 1
                        }
                        JSONDigits.write(trimmed, paddedTo: digits, at: base + position)
                        position += digits
                    }
                    put(UInt8(ascii: "S"))
                }
            }
            put(UInt8(ascii: "\""))
            return position
        }
    }

    /// Writes a UUID, given as its 128 bits in big-endian order (the first hex digit is the top
    /// nibble), as a JSON string in the canonical lowercase form
    /// `"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`.
    public mutating func writeJSONUUID(_ bits: UInt128) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 38) { destination in
            let base = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let hexText: StaticString = "0123456789abcdef"
            let hex = hexText.utf8Start
            base[0] = UInt8(ascii: "\"")
            var position = 1
            for nibbleIndex in 0..<32 {
                if nibbleIndex == 8 || nibbleIndex == 12 || nibbleIndex == 16 || nibbleIndex == 20 {
                    base[position] = UInt8(ascii: "-")
                    position += 1
                }
                let nibble = Int(truncatingIfNeeded: bits >> UInt128(124 - nibbleIndex * 4)) & 0xF
                base[position] = hex[nibble]
                position += 1
            }
            base[position] = UInt8(ascii: "\"")
            return position + 1
        }
    }
}

/// Proleptic Gregorian calendar arithmetic for date formatting.
enum JSONCalendar {
    /// Writes `YYYY-MM-DD` for the day `daysSinceEpoch` days after 1970-01-01 and returns the
    /// number of bytes written (10, more for years outside 0000–9999; at most 24).
    static func writeDate(daysSinceEpoch: Int64, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        // Howard Hinnant's civil_from_days, in 400-year eras starting on March 1st.
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        var position = 0
        if year >= 0 && year <= 9_999 {
            JSONDigits.write(UInt64(year), paddedTo: 4, at: destination)
            position = 4
        } else if year > 9_999 {
            destination[0] = UInt8(ascii: "+")
            position = 1 + JSONDigits.write(UInt64(year), to: destination + 1)
        } else {
            destination[0] = UInt8(ascii: "-")
            let magnitude = year.magnitude
            if magnitude <= 9_999 {
                JSONDigits.write(magnitude, paddedTo: 4, at: destination + 1)
                position = 5
            } else {
                position = 1 + JSONDigits.write(magnitude, to: destination + 1)
            }
        }
        destination[position] = UInt8(ascii: "-")
        JSONDigits.write(UInt64(month), paddedTo: 2, at: destination + position + 1)
        destination[position + 3] = UInt8(ascii: "-")
        JSONDigits.write(UInt64(day), paddedTo: 2, at: destination + position + 4)
        return position + 6
    }
}
