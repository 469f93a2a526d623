import GraphService
import Foundation
import GraphEngine
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler writing one JSON object per line, for log collectors:
///
/// ```json
/// {"timestamp":"2026-01-04T09:00:00.123Z","level":"info","label":"graph-api","message":"request",
///  "request_id":"5f0c…","source":"GraphAPI","metadata":{"method":"GET","route":"/databases/{graph_id}","status":200,"ms":1.234}}
/// ```
///
/// - `timestamp` is ISO-8601 UTC with milliseconds; `level` is swift-log's level name.
/// - The request id (metadata `hb.request.id`, set by Hummingbird and
///   ``RequestObservabilityMiddleware``) is lifted out as `request_id`; other metadata goes into
///   `metadata`, with integers, finite floating-point numbers and booleans given as JSON numbers
///   and booleans, and nested dictionaries and arrays kept nested. Audit lines carry the metadata
///   key `audit`.
/// - An error attached to the event is written as `error`.
///
/// Lines are written whole (one `write` per line, serialised) so concurrent log calls never
/// interleave.
public struct JSONLogHandler: LogHandler {
    /// Where the lines go.
    public struct Output: Sendable {
        let write: @Sendable (ByteBuffer) -> Void

        /// Creates an output calling `write` with each line (newline included).
        public init(_ write: @escaping @Sendable (ByteBuffer) -> Void) {
            self.write = write
        }

        /// The process's standard error.
        public static let standardError = Output { line in
            FileDescriptorWriter.standardError.write(line)
        }
    }

    /// The logger's label.
    public let label: String
    /// Handler metadata (set through `logger[metadataKey:]`).
    public var metadata: Logger.Metadata = [:]
    /// The handler's minimum level.
    public var logLevel: Logger.Level = .info
    /// Contextual metadata added to every event.
    public var metadataProvider: Logger.MetadataProvider?
    let output: Output

    /// Creates a handler for `label` writing to `output` (standard error by default).
    public init(label: String, output: Output = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata {
            merged.merge(explicit) { _, new in new }
        }
        output.write(Self.line(event: event, label: label, metadata: merged, date: Date()))
    }

    /// The JSON line (newline included) of an event.
    static func line(event: LogEvent, label: String, metadata: Logger.Metadata, date: Date) -> ByteBuffer {
        var metadata = metadata
        let requestID = metadata.removeValue(forKey: RequestIdentification.metadataKey)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256)
        buffer.writeStaticString("{\"timestamp\":\"")
        writeTimestamp(date, into: &buffer)
        buffer.writeStaticString("\",\"level\":")
        buffer.writeJSONString(event.level.rawValue)
        buffer.writeStaticString(",\"label\":")
        buffer.writeJSONString(label)
        buffer.writeStaticString(",\"message\":")
        buffer.writeJSONString(event.message.description)
        if let requestID {
            buffer.writeStaticString(",\"request_id\":")
            buffer.writeJSONString(requestID.description)
        }
        buffer.writeStaticString(",\"source\":")
        buffer.writeJSONString(event.source)
        if let error = event.error {
            buffer.writeStaticString(",\"error\":")
            buffer.writeJSONString(String(describing: error))
        }
        if !metadata.isEmpty {
            buffer.writeStaticString(",\"metadata\":")
            writeObject(metadata, into: &buffer)
        }
        buffer.writeStaticString("}\n")
        return buffer
    }

    private static func writeObject(_ metadata: Logger.Metadata, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{")
        var first = true
        for key in metadata.keys.sorted() {
            if !first { buffer.writeStaticString(",") }
            first = false
            buffer.writeJSONString(key)
            buffer.writeStaticString(":")
            writeValue(metadata[key]!, into: &buffer)
        }
        buffer.writeStaticString("}")
    }

    private static func writeValue(_ value: Logger.Metadata.Value, into buffer: inout ByteBuffer) {
        switch value {
        case .string(let text):
            buffer.writeJSONString(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let flag as Bool:
                buffer.writeJSONBool(flag)
            case let number as Int:
                buffer.writeJSONNumber(number)
            case let number as Int64:
                buffer.writeJSONNumber(number)
            case let number as UInt64:
                buffer.writeJSONNumber(number)
            case let number as Int32:
                buffer.writeJSONNumber(number)
            case let number as UInt32:
                buffer.writeJSONNumber(number)
            case let number as Double where number.isFinite:
                buffer.writeJSONNumber(number)
            default:
                buffer.writeJSONString(convertible.description)
            }
        case .dictionary(let dictionary):
            writeObject(dictionary, into: &buffer)
        case .array(let values):
            buffer.writeStaticString("[")
            for (index, element) in values.enumerated() {
                if index > 0 { buffer.writeStaticString(",") }
                writeValue(element, into: &buffer)
            }
            buffer.writeStaticString("]")
        }
    }

    /// Writes `date` as `2026-01-04T09:00:00.123Z` (UTC, milliseconds).
    static func writeTimestamp(_ date: Date, into buffer: inout ByteBuffer) {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var millis = Int(((interval - Double(seconds)) * 1000).rounded(.down))
        if millis >= 1000 {
            seconds += 1
            millis -= 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value / 10))
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value % 10))
        }
        buffer.writeString(String(Int(parts.tm_year) + 1900))
        buffer.writeStaticString("-")
        two(parts.tm_mon + 1)
        buffer.writeStaticString("-")
        two(parts.tm_mday)
        buffer.writeStaticString("T")
        two(parts.tm_hour)
        buffer.writeStaticString(":")
        two(parts.tm_min)
        buffer.writeStaticString(":")
        two(parts.tm_sec)
        buffer.writeStaticString(".")
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(millis / 100))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(millis % 10))
        buffer.writeStaticString("Z")
    }
}

/// Writes whole buffers to a file descriptor, one caller at a time.
final class FileDescriptorWriter: Sendable {
    private let descriptor: Int32
    private let lock = Mutex(())

    static let standardError = FileDescriptorWriter(descriptor: STDERR_FILENO)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func write(_ buffer: ByteBuffer) {
        lock.withLock { _ in
            buffer.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return  // nowhere to report a failing log write
                    }
                }
            }
        }
    }
}

/// `write(2)`, named apart from ``FileDescriptorWriter/write(_:)``.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
