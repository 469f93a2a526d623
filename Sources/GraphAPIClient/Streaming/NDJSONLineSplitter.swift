/// Cuts a byte stream into lines at `\n` (dropping a `\r` before it), however the bytes are
/// split into pieces. Holds only the unfinished last line.
struct NDJSONLineSplitter: Sendable {
    private var pending: [UInt8] = []

    /// Whether an unfinished line is waiting for more bytes.
    var hasPartialLine: Bool { !pending.isEmpty }

    /// Feeds bytes; calls `body` with each completed, non-empty line.
    mutating func append(
        _ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Void
    ) throws(GraphAPIClientError) {
        var lineStart = 0
        while let newline = bytes[lineStart...].firstIndex(of: 0x0A) {
            if pending.isEmpty {
                try NDJSONLineSplitter.emit(UnsafeBufferPointer(rebasing: bytes[lineStart..<newline]), body)
            } else {
                pending.append(contentsOf: bytes[lineStart..<newline])
                try emitPending(body)
            }
            lineStart = newline + 1
        }
        pending.append(contentsOf: bytes[lineStart...])
    }

    /// Ends the stream: calls `body` with the last line if it had no final newline.
    mutating func finish(_ body: (UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Void) throws(GraphAPIClientError) {
        try emitPending(body)
    }

    private mutating func emitPending(_ body: (UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Void)
        throws(GraphAPIClientError)
    {
        defer { pending.removeAll(keepingCapacity: pending.count < 1 << 20) }
        let result: Result<Void, GraphAPIClientError> = pending.withUnsafeBufferPointer { line in
            Result { () throws(GraphAPIClientError) in try NDJSONLineSplitter.emit(line, body) }
        }
        try result.get()
    }

    /// Calls `body` with `line` minus a final `\r`, unless that leaves it empty.
    private static func emit(
        _ line: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws(GraphAPIClientError) -> Void
    ) throws(GraphAPIClientError) {
        var line = line
        if line.last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        guard !line.isEmpty else { return }
        try body(line)
    }
}
