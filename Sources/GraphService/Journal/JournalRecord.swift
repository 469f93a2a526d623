import BackupArchive
import Foundation

/// One record of a graph's write journal, as stored in its segment files.
///
/// Layout (little-endian), 40 bytes then the payload:
///
/// | bytes | field |
/// |---|---|
/// | 4 | magic `JRNL` |
/// | 1 | kind (1 commit, 2 checkpoint, 3 base) |
/// | 1 | flags (base: 1 when it continues the journal before it, 0 after a gap) |
/// | 2 | reserved (0) |
/// | 8 | position |
/// | 8 | time, microseconds since 1970 |
/// | 8 | log offset (commit: where its bytes start in the log; checkpoint, base: the log's size after it) |
/// | 4 | payload length |
/// | 4 | CRC-32 of the 36 bytes before it and the payload |
///
/// - A **commit** carries the bytes one write appended to the write-ahead log. It takes the next
///   position.
/// - A **checkpoint** marks where a checkpoint cut the log (the bytes after it are a new log, or,
///   when a reader pinned the checkpoint, continue the old one after its checkpoint record); its
///   payload is the log's header when the log outlived it. It takes no position.
/// - A **base** starts a generation: the engine files copied to `base-<position>` (after a
///   `COPY`, a restore or a rebuild changed the data file without the log, on the graph's first
///   open with the journal, or after the chain broke). Its payload is the log's header when the
///   log was not empty. It takes the next position.
struct JournalRecord: Sendable, Equatable {
    enum Kind: UInt8, Sendable {
        case commit = 1
        case checkpoint = 2
        case base = 3
    }

    static let magic: UInt32 = 0x4C4E_524A  // "JRNL"
    static let headerSize = 40

    var kind: Kind
    /// For a base: whether the state just before it is the state after the record before it
    /// (a `COPY`, a restore), rather than unknown (after a gap).
    var continuous: Bool
    var position: UInt64
    /// Microseconds since 1970.
    var time: Int64
    var logOffset: UInt64
    var payload: [UInt8]

    var date: Date { Date(timeIntervalSince1970: Double(time) / 1_000_000) }

    func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.headerSize + payload.count)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        append(Self.magic)
        append(kind.rawValue)
        append(UInt8(continuous ? 1 : 0))
        append(UInt16(0))
        append(position)
        append(time)
        append(logOffset)
        append(UInt32(payload.count))
        let crc = payload.withUnsafeBytes { payloadBytes in
            bytes.withUnsafeBytes { Checksum.crc32(payloadBytes, continuing: Checksum.crc32($0)) }
        }
        append(crc)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// The record at `offset` of `bytes` and the offset after it; `nil` when what is there is not
    /// a whole, intact record (the torn end of a segment a crash cut).
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (record: JournalRecord, next: Int)? {
        guard bytes.count - offset >= headerSize else { return nil }
        func read<T: FixedWidthInteger>(_: T.Type, _ at: Int) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + at, as: T.self))
        }
        guard read(UInt32.self, 0) == magic, let kind = Kind(rawValue: read(UInt8.self, 4)) else { return nil }
        let length = Int(read(UInt32.self, 32))
        guard bytes.count - offset - headerSize >= length else { return nil }
        let header = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 36)])
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + headerSize)..<(offset + headerSize + length)])
        guard Checksum.crc32(payload, continuing: Checksum.crc32(header)) == read(UInt32.self, 36) else { return nil }
        let record = JournalRecord(
            kind: kind, continuous: read(UInt8.self, 5) == 1, position: read(UInt64.self, 8), time: read(Int64.self, 16),
            logOffset: read(UInt64.self, 24), payload: [UInt8](payload)
        )
        return (record, offset + headerSize + length)
    }

    /// Decodes the whole records of `bytes` from `offset` on, in order, handing each to `body`
    /// with the bytes it takes. Stops at the first byte that does not start a whole, intact
    /// record, or at a record `body` returns `false` for (which is not taken). Returns the offset
    /// after the last record taken.
    @discardableResult
    static func forEach(in bytes: UnsafeRawBufferPointer, from offset: Int = 0, _ body: (JournalRecord, Range<Int>) throws -> Bool) rethrows -> Int {
        var offset = offset
        while let (record, next) = decode(bytes, at: offset) {
            guard try body(record, offset..<next) else { break }
            offset = next
        }
        return offset
    }
}

/// Journal instants on the wire: ISO-8601 UTC with microseconds (`2026-12-07T10:00:00.123456Z`),
/// the precision of the commit times, so that an instant the server printed restores to exactly
/// the entry it named.
package enum JournalTime {
    package static func string(micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let date = Date(timeIntervalSince1970: Double(seconds))
        let whole = date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))  // 2026-12-07T10:00:00Z
        return String(whole.dropLast()) + "." + String(format: "%06lld", fraction) + "Z"
    }

    /// The instants ``micros(from:)`` reads, as the OpenAPI document's pattern for them.
    package static let pattern =
        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"

    /// Microseconds since 1970 of an RFC 3339 instant (`2026-12-07T10:00:00.123456Z`, `…+01:00`;
    /// fractional digits past the sixth are cut; a leap second counts as the next second); `nil`
    /// when the text is not one.
    package static func micros(from text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var value = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(b[10]),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < b.count, b[index] >= 48, b[index] <= 57 {
                if digits < 6 { fraction = fraction * 10 + Int64(b[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 6 { for _ in digits..<6 { fraction *= 10 } }
        }
        guard index < b.count else { return nil }
        var offsetSeconds = 0
        if b[index] == UInt8(ascii: "Z") || b[index] == UInt8(ascii: "z") {
            guard index + 1 == b.count else { return nil }
        } else {
            guard b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-"), index + 6 == b.count, b[index + 3] == UInt8(ascii: ":"),
                let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)), hours < 24, minutes < 60
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (b[index] == UInt8(ascii: "-") ? -1 : 1)
        }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return seconds * 1_000_000 + fraction
    }
}
