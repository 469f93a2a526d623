import GraphService
import Logging
import HTTPTypes
import Foundation
import GraphEngine
import NIOCore
import Staging

extension ByteBuffer {
    /// Writes a DuckDB value as the contract's JSON: numbers as numbers (NaN and infinities as
    /// `null`), DECIMAL as a string, BLOB as base64, dates `"2024-01-02"`, timestamps ISO-8601
    /// (`Z` for TIMESTAMP WITH TIME ZONE), intervals as ISO-8601 durations, UUIDs as strings,
    /// LIST as an array, STRUCT as an object, MAP as an object with string keys.
    mutating func writeJSON(_ value: StagingValue) {
        switch value {
        case .null, .unsupported:
            writeJSONNull()
        case .bool(let value):
            writeJSONBool(value)
        case .int(let value):
            writeJSONNumber(value)
        case .uint(let value):
            writeJSONNumber(value)
        case .hugeint(let value):
            writeJSONNumber(value)
        case .uhugeint(let value):
            writeJSONNumber(value)
        case .float(let value):
            writeJSONNumber(value)
        case .double(let value):
            writeJSONNumber(value)
        case .decimal(let text), .string(let text), .uuid(let text):
            writeJSONString(text)
        case .blob(let bytes):
            bytes.withUnsafeBytes { writeJSONBase64String($0) }
        case .date(let date):
            if date.isFinite {
                writeJSONDate(daysSinceEpoch: Int64(date.daysSinceEpoch))
            } else {
                writeJSONString(date.description)
            }
        case .time(let time):
            writeJSONString(time.description)
        case .timeWithTimeZone(let time, let offset):
            let sign = offset < 0 ? "-" : "+"
            let magnitude = abs(Int(offset))
            let hours = String(magnitude / 3600).leftPadded(2)
            let minutes = String(magnitude / 60 % 60).leftPadded(2)
            writeJSONString(time.description + sign + hours + ":" + minutes)
        case .timestamp(let timestamp):
            writeTimestamp(timestamp, utc: false)
        case .timestampWithTimeZone(let timestamp):
            writeTimestamp(timestamp, utc: true)
        case .interval(let interval):
            writeJSONInterval(months: interval.months, days: interval.days, microseconds: interval.microseconds)
        case .list(let items):
            writeStaticString("[")
            for (index, item) in items.enumerated() {
                if index > 0 { writeStaticString(",") }
                writeJSON(item)
            }
            writeStaticString("]")
        case .struct(let fields):
            writeStaticString("{")
            for (index, field) in fields.enumerated() {
                if index > 0 { writeStaticString(",") }
                writeJSONString(field.name)
                writeStaticString(":")
                writeJSON(field.value)
            }
            writeStaticString("}")
        case .map(let entries):
            writeStaticString("{")
            for (index, entry) in entries.enumerated() {
                if index > 0 { writeStaticString(",") }
                writeJSONString(entry.key.stringValue ?? entry.key.description)
                writeStaticString(":")
                writeJSON(entry.value)
            }
            writeStaticString("}")
        }
    }

    private mutating func writeTimestamp(_ timestamp: StagingTimestamp, utc: Bool) {
        guard timestamp.isFinite else {
            writeJSONString(timestamp.description)
            return
        }
        if timestamp.nanosecondRemainder != 0 {
            let nanoseconds = timestamp.microsecondsSinceEpoch.multipliedReportingOverflow(by: 1000)
            if !nanoseconds.overflow {
                writeJSONTimestamp(nanoseconds.partialValue + Int64(timestamp.nanosecondRemainder), unit: .nanoseconds, utc: utc)
                return
            }
        }
        writeJSONTimestamp(timestamp.microsecondsSinceEpoch, unit: .microseconds, utc: utc)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
