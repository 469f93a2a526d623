import CLadybug
import NIOCore
import Synchronization

/// Writes the rows of a LadybugDB query result as JSON into `ByteBuffer`s, a chunk of rows at a
/// time, until the result is exhausted.
///
/// Each call to ``writeRows(into:maxRows:)`` appends up to `maxRows` rows, separated by commas,
/// with nothing around them, so the caller frames them as it needs: `{"data":[` … `]}` for one
/// JSON document, one chunk object per NDJSON line, or an SSE event. Rows are JSON objects keyed
/// by column name (``RowShape/objects``, the names escaped once up front) or JSON arrays in column
/// order (``RowShape/arrays``).
///
/// Values follow the contract's value encoding: integers of every width (INT128 included) as
/// JSON numbers with all their digits; FLOAT and DOUBLE as numbers with the shortest round-trip
/// digits, NaN and ±infinity as `null`; DECIMAL as a string (`"1.25"`); STRING as a string; BOOL;
/// DATE `"2024-01-02"`; TIMESTAMP `"2024-01-02T03:04:05"` with a fraction only when non-zero, 6
/// digits (3 for TIMESTAMP_MS, 9 for TIMESTAMP_NS, none for TIMESTAMP_SEC); TIMESTAMP_TZ the same
/// in UTC with a `Z` suffix; INTERVAL as an ISO-8601 duration (see
/// `ByteBuffer.writeJSONInterval(months:days:microseconds:)`); UUID as its lowercase string; BLOB as
/// a base64 string; LIST and ARRAY as arrays; STRUCT as an object; MAP as an object whose keys are
/// the keys' JSON text (a string key as itself, `1` as `"1"`); NODE as
/// `{"_ID":{"offset":0,"table":0},"_LABEL":"Person",<every property of the node type, null when
/// unset>}`; REL as `{"_SRC":{..},"_DST":{..},"_LABEL":"KNOWS","_ID":{..},<properties>}`; a
/// recursive relationship (path) as `{"_NODES":[..],"_RELS":[..]}`; INTERNAL_ID as
/// `{"offset":0,"table":0}`; UNION as its current member's value; JSON as the JSON value itself
/// (on one line; text that is not valid JSON as a string); NULL as `null` at any depth.
///
/// When every column has a flat type (integers, floats, BOOL, STRING, BLOB, UUID, DATE,
/// timestamps, INTERNAL_ID) the rows are read as Arrow chunks and encoded straight from the
/// column buffers; otherwise (nested values, nodes, relationships, DECIMAL, INTERVAL, JSON) they
/// are read tuple by tuple through the engine's value API. Both give the same bytes.
///
/// The writer reads the result it was created for; do not iterate that result any other way at
/// the same time. Its calls block on the engine: run them on a thread meant for blocking work,
/// not on the cooperative pool or an event loop.
public final class QueryResultJSONWriter: @unchecked Sendable {
    // @unchecked Sendable: the writer wraps C handles (the query result, the current Arrow
    // chunk). Every use of them after init happens inside `state.withLock` (and, for a
    // `QueryResult`, inside its own lock too), so calls from different threads are serialised and
    // never touch the engine objects concurrently; the lock order is always writer, then result.

    /// How each row is written.
    public enum RowShape: Sendable, Hashable {
        /// `{"column": value, ...}`, keys in column order.
        case objects
        /// `[value, ...]` in column order.
        case arrays
    }

    /// How rows are read from the engine.
    enum ReadPath: Sendable, Hashable {
        /// `lbug_query_result_get_next_arrow_chunk`, column buffers encoded directly.
        case arrowChunks
        /// `lbug_query_result_get_next`, one engine value at a time.
        case flatTuples
    }

    /// The row shape this writer produces.
    public let shape: RowShape
    /// The result's column names, in order.
    public let columnNames: [String]
    /// The path actually used (Arrow only when every column allows it).
    let readPath: ReadPath
    /// The engine's type id (`lbug_data_type_id` raw value) of each column.
    let columnTypeIDs: [UInt32]

    /// Where the rows come from.
    private let source: Source
    let framing: RowFraming
    let columnValueTypes: [ValueTypeHint]
    let arrowColumnKinds: [ArrowColumnKind]
    let arrowChunkRows: Int
    private let state: Mutex<ReadState>

    /// The result a writer reads.
    enum Source {
        /// A ``QueryResult``, read under its lock (so a closed result fails cleanly).
        case queryResult(QueryResult)
        /// A bare engine result, which must outlive the writer; `owner` is retained for that.
        case handle(UnsafeMutablePointer<lbug_query_result>, owner: AnyObject?)
    }

    /// Creates a writer over the remaining rows of `result`.
    ///
    /// Do not read `result` in other ways (``QueryResult/next()``, ``QueryResult/nextArrowChunk(rows:)``)
    /// while writing: both would take rows from the same cursor.
    ///
    /// - Parameters:
    ///   - result: the result to write; kept alive by the writer.
    ///   - shape: objects keyed by column name, or arrays.
    /// - Throws: ``EngineError`` when `result` is closed or its columns cannot be read.
    public convenience init(_ result: QueryResult, shape: RowShape = .objects) throws {
        try self.init(source: .queryResult(result), shape: shape)
    }

    /// Creates a writer over a bare engine result, which must stay alive (and not be read
    /// elsewhere) while the writer is used; `owner`, if given, is retained to guarantee that.
    convenience init(
        result: UnsafeMutablePointer<lbug_query_result>,
        owner: AnyObject? = nil,
        shape: RowShape,
        preferredPath: ReadPath = .arrowChunks,
        arrowChunkRows: Int = 2_048
    ) throws {
        try self.init(
            source: .handle(result, owner: owner),
            shape: shape,
            preferredPath: preferredPath,
            arrowChunkRows: arrowChunkRows
        )
    }

    /// - Parameters:
    ///   - preferredPath: `.arrowChunks` uses Arrow when every column allows it; `.flatTuples`
    ///     always reads tuple by tuple.
    ///   - arrowChunkRows: rows per Arrow chunk requested from the engine.
    init(source: Source, shape: RowShape, preferredPath: ReadPath = .arrowChunks, arrowChunkRows: Int = 2_048) throws {
        let metadata = try Self.withHandle(of: source) { result in
            try ResultMetadata(reading: result, preferredPath: preferredPath)
        }
        self.source = source
        self.shape = shape
        self.columnNames = metadata.names
        self.columnTypeIDs = metadata.valueTypes.map(\.id)
        self.columnValueTypes = metadata.valueTypes
        self.framing = RowFraming(columnNames: metadata.names, shape: shape)
        self.arrowChunkRows = max(1, arrowChunkRows)
        self.readPath = metadata.arrowKinds == nil ? .flatTuples : .arrowChunks
        self.arrowColumnKinds = metadata.arrowKinds ?? []
        self.state = Mutex(ReadState())
    }

    /// Appends up to `maxRows` rows to `buffer`, separated by commas, and returns how many it
    /// wrote: fewer than `maxRows` only when the result ran out, `0` once it is exhausted.
    ///
    /// The first row of each call has no leading comma; put one between calls yourself when the
    /// chunks go into the same array.
    ///
    /// - Throws: ``EngineError`` when the engine fails to produce a row, or the result was closed.
    ///   `buffer` is then left as it was before the call.
    public func writeRows(into buffer: inout ByteBuffer, maxRows: Int) throws -> Int {
        guard maxRows > 0 else { return 0 }
        let start = buffer.writerIndex
        do {
            return try self.state.withLock { state in
                try Self.withHandle(of: self.source) { result in
                    let written: Int
                    switch self.readPath {
                    case .arrowChunks:
                        written = try self.writeArrowRows(from: result, state: &state, into: &buffer, maxRows: maxRows)
                    case .flatTuples:
                        written = try self.writeFlatTupleRows(from: result, state: &state, into: &buffer, maxRows: maxRows)
                    }
                    state.rowsWritten += written
                    return written
                }
            }
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Whether rows remain to be written (`false` too once the result is closed).
    public var hasMoreRows: Bool {
        self.state.withLock { state in
            let hasMore = try? Self.withHandle(of: self.source) { result in
                if let chunk = state.arrowChunk, chunk.nextRow < chunk.rowCount {
                    return true
                }
                return !state.isExhausted && lbug_query_result_has_next(result)
            }
            return hasMore ?? false
        }
    }

    /// How many rows this writer has written so far, over all calls.
    public var rowsWritten: Int {
        self.state.withLock { $0.rowsWritten }
    }

    /// Writes the column names as a JSON array of strings, e.g. `["name","age"]`.
    public func writeColumnNames(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, name) in self.columnNames.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeJSONString(name)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// Runs `body` with the engine result of `source`, under the ``QueryResult``'s lock if any.
    static func withHandle<Result>(
        of source: Source,
        _ body: (UnsafeMutablePointer<lbug_query_result>) throws -> Result
    ) throws -> Result {
        switch source {
        case .queryResult(let result):
            return try result.withHandle(body)
        case .handle(let handle, _):
            return try body(handle)
        }
    }

    /// The engine's last error (consumed), classified, or an internal error saying `fallback`.
    static func lastEngineError(_ fallback: String) -> EngineError {
        guard let text = lbug_get_last_error() else { return EngineError(.internal, fallback) }
        defer { lbug_destroy_string(text) }
        return EngineError.classify(engineMessage: String(cString: text))
    }
}

extension QueryResultJSONWriter {
    /// What a writer learns about its result once, up front.
    struct ResultMetadata {
        var names: [String] = []
        var valueTypes: [ValueTypeHint] = []
        /// The column kinds when the Arrow path applies, `nil` otherwise.
        var arrowKinds: [ArrowColumnKind]?

        init(reading result: UnsafeMutablePointer<lbug_query_result>, preferredPath: ReadPath) throws {
            guard lbug_query_result_is_success(result) else {
                var message = "The query failed."
                if let text = lbug_query_result_get_error_message(result) {
                    message = String(cString: text)
                    lbug_destroy_string(text)
                }
                throw EngineError.classify(engineMessage: message)
            }
            let columnCount = Int(lbug_query_result_get_num_columns(result))
            for column in 0..<columnCount {
                var name: UnsafeMutablePointer<CChar>?
                guard lbug_query_result_get_column_name(result, UInt64(column), &name) == LbugSuccess, let name else {
                    throw EngineError(.internal, "Cannot read the name of column \(column).")
                }
                self.names.append(String(cString: name))
                lbug_destroy_string(name)
                var type = lbug_logical_type()
                guard lbug_query_result_get_column_data_type(result, UInt64(column), &type) == LbugSuccess else {
                    throw EngineError(.internal, "Cannot read the type of column \(column).")
                }
                self.valueTypes.append(ValueTypeHint(&type))
                lbug_data_type_destroy(&type)
            }
            let kinds = self.valueTypes.compactMap { ArrowColumnKind(typeID: $0.id) }
            if preferredPath == .arrowChunks, columnCount > 0, kinds.count == columnCount,
                QueryResultJSONWriter.arrowSchemaMatches(result: result, kinds: kinds)
            {
                self.arrowKinds = kinds
            }
        }
    }

    /// The mutable part of a writer, guarded by its lock.
    struct ReadState {
        var isExhausted = false
        var rowsWritten = 0
        var arrowChunk: ArrowChunkReader?
    }

    /// The bytes that frame the values of a row, built once per writer: for objects `{"a":` before
    /// the first value and `,"b":` before the others, for arrays `[` and `,`.
    final class RowFraming {
        private let storage: UnsafeMutableRawBufferPointer
        private let starts: [Int]
        private let lengths: [Int]
        /// `}` or `]`.
        let rowEnd: UInt8
        /// `{}` or `[]`, the whole row when there are no columns.
        let emptyRow: StaticString

        init(columnNames: [String], shape: RowShape) {
            var bytes = ByteBuffer()
            var starts: [Int] = []
            var lengths: [Int] = []
            for (index, name) in columnNames.enumerated() {
                let start = bytes.writerIndex
                switch shape {
                case .objects:
                    bytes.writeInteger(index == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
                    bytes.writeJSONString(name)
                    bytes.writeInteger(UInt8(ascii: ":"))
                case .arrays:
                    bytes.writeInteger(index == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
                }
                starts.append(start)
                lengths.append(bytes.writerIndex - start)
            }
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.readableBytes), alignment: 1)
            bytes.withUnsafeReadableBytes { storage.copyMemory(from: $0) }
            self.storage = storage
            self.starts = starts
            self.lengths = lengths
            self.rowEnd = shape == .objects ? UInt8(ascii: "}") : UInt8(ascii: "]")
            self.emptyRow = shape == .objects ? "{}" : "[]"
        }

        deinit {
            self.storage.deallocate()
        }

        /// What goes before the value of `column`.
        @inline(__always)
        func prefix(_ column: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: self.storage.baseAddress! + self.starts[column], count: self.lengths[column])
        }
    }
}
