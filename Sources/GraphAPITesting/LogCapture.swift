import Foundation
import GraphAPI
import Logging
import NIOCore
import Synchronization

/// Keeps log lines in memory for tests: every record (level, message, metadata) and, for a
/// logger made with ``Format/json``, also each line as ``JSONLogHandler`` wrote it.
package final class LogCapture: Sendable {
    /// How the loggers of a capture write.
    package enum Format: Sendable {
        /// Records only.
        case records
        /// Records, and the lines of the server's JSON log handler.
        case json
    }

    /// One log line.
    package struct Record: Sendable {
        /// The logger's label.
        package var label: String
        /// The level.
        package var level: Logger.Level
        /// The message.
        package var message: String
        /// The logger's metadata and the line's own, each value as text (`"5"` for `5`).
        package var metadata: [String: String]
        /// The same metadata with the values as logged.
        package var values: Logger.Metadata
        /// The module that logged.
        package var source: String
    }

    /// The format of the loggers this capture makes.
    package let format: Format
    private let state = Mutex<(records: [Record], lines: [ByteBuffer])>(([], []))

    /// Creates an empty capture.
    package init(format: Format = .records) {
        self.format = format
    }

    /// Every record so far, in order.
    package var records: [Record] { state.withLock { $0.records } }

    /// The records whose `audit` metadata is `kind`.
    package func audit(_ kind: String) -> [Record] { records.filter { $0.metadata["audit"] == kind } }

    /// Every line the JSON log handler wrote (``Format/json`` only), newline included.
    package var jsonLines: [String] { state.withLock { $0.lines.map { String(buffer: $0) } } }

    /// Every JSON line parsed as an object.
    ///
    /// - Throws: ``LogCaptureError/notAJSONObject(_:)`` for a line that is not one.
    package func jsonObjects() throws -> [[String: Any]] {
        try jsonLines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw LogCaptureError.notAJSONObject(line)
            }
            return object
        }
    }

    /// A logger writing into this capture at `level` and above.
    package func logger(label: String = "test", level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: label) { label in
            let records = RecordHandler(label: label, capture: self)
            switch self.format {
            case .records:
                return records
            case .json:
                let json = JSONLogHandler(label: label, output: JSONLogHandler.Output { line in self.append(line: line) })
                return MultiplexLogHandler([json, records])
            }
        }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ record: Record) { state.withLock { $0.records.append(record) } }
    fileprivate func append(line: ByteBuffer) { state.withLock { $0.lines.append(line) } }

    /// Writes each line into the capture as a record.
    struct RecordHandler: LogHandler {
        let label: String
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(
                Record(
                    label: label, level: event.level, message: event.message.description,
                    metadata: merged.mapValues { "\($0)" }, values: merged, source: event.source
                )
            )
        }
    }
}

/// A capture's lines could not be read.
package enum LogCaptureError: Error {
    /// A line is not a JSON object.
    case notAJSONObject(String)
}
