import NIOCore

extension ByteBuffer {
    /// Writes `null`.
    @inlinable
    public mutating func writeJSONNull() {
        self.writeStaticString("null")
    }

    /// Writes `true` or `false`.
    @inlinable
    public mutating func writeJSONBool(_ value: Bool) {
        if value {
            self.writeStaticString("true")
        } else {
            self.writeStaticString("false")
        }
    }

    /// Writes `value` as a JSON number with all its digits (no exponent, no rounding), without
    /// going through `String`. Works for every width up to 128 bits (`Int128`, `UInt128`).
    @inlinable
    public mutating func writeJSONNumber<Integer: FixedWidthInteger>(_ value: Integer) {
        if Integer.bitWidth <= 64 {
            if Integer.isSigned {
                let signed = Int64(truncatingIfNeeded: value)
                if signed < 0 {
                    self.writeDecimalDigits(of: signed.magnitude, negative: true)
                } else {
                    self.writeDecimalDigits(of: UInt64(signed), negative: false)
                }
            } else {
                self.writeDecimalDigits(of: UInt64(truncatingIfNeeded: value), negative: false)
            }
        } else if let wide = Int128(exactly: value) {
            self.writeDecimalDigits(of: wide.magnitude, negative: wide < 0)
        } else if let wide = UInt128(exactly: value) {
            self.writeDecimalDigits(of: wide, negative: false)
        } else {
            self.writeString(String(value))
        }
    }

    /// Writes `value` as a JSON number with the shortest digits that read back as the same
    /// `Double` (Swift's `description`: `1.0`, `0.1`, `1e-05`, `1.5e+300`); NaN and ±infinity,
    /// which JSON cannot express, become `null`.
    public mutating func writeJSONNumber(_ value: Double) {
        guard value.isFinite else {
            self.writeJSONNull()
            return
        }
        // Integral values below 2^53 print as "<digits>.0": write them without formatting.
        if value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            if value == 0 {
                if value.sign == .minus {
                    self.writeStaticString("-0.0")
                } else {
                    self.writeStaticString("0.0")
                }
                return
            }
            self.writeJSONNumber(Int64(value))
            self.writeStaticString(".0")
            return
        }
        self.writeString(value.description)
    }

    /// Writes `value` as a JSON number with the shortest digits that read back as the same
    /// `Float` (`1.1` for the float nearest 1.1, not `1.100000023841858`); NaN and ±infinity become
    /// `null`.
    public mutating func writeJSONNumber(_ value: Float) {
        guard value.isFinite else {
            self.writeJSONNull()
            return
        }
        // Integral values below 2^24 print as "<digits>.0": write them without formatting.
        if value.magnitude < 16_777_216, value == value.rounded(.towardZero) {
            if value == 0 {
                if value.sign == .minus {
                    self.writeStaticString("-0.0")
                } else {
                    self.writeStaticString("0.0")
                }
                return
            }
            self.writeJSONNumber(Int32(value))
            self.writeStaticString(".0")
            return
        }
        self.writeString(value.description)
    }

    /// Writes the decimal digits of `magnitude`, preceded by `-` when `negative`.
    @usableFromInline
    mutating func writeDecimalDigits(of magnitude: UInt64, negative: Bool) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 21) { destination in
            let base = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var position = 0
            if negative {
                base[0] = UInt8(ascii: "-")
                position = 1
            }
            return position + JSONDigits.write(magnitude, to: base + position)
        }
    }

    /// Writes the decimal digits of a 128-bit `magnitude`, preceded by `-` when `negative`.
    @usableFromInline
    mutating func writeDecimalDigits(of magnitude: UInt128, negative: Bool) {
        if let narrow = UInt64(exactly: magnitude) {
            self.writeDecimalDigits(of: narrow, negative: negative)
            return
        }
        // Split into base-10^19 limbs: the top one unpadded, the others as 19 digits each.
        let limbBase: UInt128 = 10_000_000_000_000_000_000
        let (upper, lowest) = magnitude.quotientAndRemainder(dividingBy: limbBase)
        let (top, middle) = upper.quotientAndRemainder(dividingBy: limbBase)
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 41) { destination in
            let base = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var position = 0
            if negative {
                base[0] = UInt8(ascii: "-")
                position = 1
            }
            if top > 0 {
                position += JSONDigits.write(UInt64(top), to: base + position)
                JSONDigits.write(UInt64(middle), paddedTo: 19, at: base + position)
                position += 19
            } else {
                position += JSONDigits.write(UInt64(middle), to: base + position)
            }
            JSONDigits.write(UInt64(lowest), paddedTo: 19, at: base + position)
            return position + 19
        }
    }
}

/// Decimal digit writing into raw memory, two digits per division.
@usableFromInline
enum JSONDigits {
    /// "00" through "99", two bytes per number.
    private static var pairs: UnsafePointer<UInt8> {
        let table: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        return table.utf8Start
    }

    /// Writes the digits of `value` at `destination` (up to 20 bytes) and returns their count.
    @usableFromInline
    static func write(_ value: UInt64, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, enough for 20 digits
        return withUnsafeMutableBytes(of: &scratch) { raw in
            let end = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + 24
            var cursor = end
            var remaining = value
            let pairs = Self.pairs
            while remaining >= 100 {
                let (quotient, remainder) = remaining.quotientAndRemainder(dividingBy: 100)
                cursor -= 2
                cursor[0] = pairs[Int(remainder) &* 2]
                cursor[1] = pairs[Int(remainder) &* 2 &+ 1]
                remaining = quotient
            }
            if remaining >= 10 {
                cursor -= 2
                cursor[0] = pairs[Int(remaining) &* 2]
                cursor[1] = pairs[Int(remaining) &* 2 &+ 1]
            } else {
                cursor -= 1
                cursor[0] = UInt8(ascii: "0") &+ UInt8(remaining)
            }
            let count = end - cursor
            destination.update(from: cursor, count: count)
            return count
        }
    }

    /// Writes exactly `width` digits of `value` at `destination`, with leading zeros.
    @usableFromInline
    static func write(_ value: UInt64, paddedTo width: Int, at destination: UnsafeMutablePointer<UInt8>) {
        var remaining = value
        var index = width
        let pairs = Self.pairs
        while index >= 2 {
            let (quotient, remainder) = remaining.quotientAndRemainder(dividingBy: 100)
            index -= 2
            destination[index] = pairs[Int(remainder) &* 2]
            destination[index + 1] = pairs[Int(remainder) &* 2 &+ 1]
            remaining = quotient
        }
        if index == 1 {
            destination[0] = UInt8(ascii: "0") &+ UInt8(remaining % 10)
        }
    }
}
