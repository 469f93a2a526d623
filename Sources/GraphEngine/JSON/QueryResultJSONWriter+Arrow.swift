import CLadybug
import NIOCore

extension QueryResultJSONWriter {
    /// Writes up to `maxRows` rows from Arrow chunks, fetching chunks as needed and keeping a
    /// partly written one for the next call.
    func writeArrowRows(
        from result: UnsafeMutablePointer<lbug_query_result>,
        state: inout ReadState,
        into buffer: inout ByteBuffer,
        maxRows: Int
    ) throws -> Int {
        var written = 0
        while written < maxRows {
            if state.arrowChunk == nil || state.arrowChunk!.nextRow >= state.arrowChunk!.rowCount {
                state.arrowChunk = nil
                guard !state.isExhausted, lbug_query_result_has_next(result) else {
                    state.isExhausted = true
                    break
                }
                let chunk = try ArrowChunkReader(fetchingFrom: result, rows: self.arrowChunkRows, kinds: self.arrowColumnKinds)
                guard chunk.rowCount > 0 else {
                    state.isExhausted = true
                    break
                }
                state.arrowChunk = chunk
            }
            let chunk = state.arrowChunk!
            let start = chunk.nextRow
            let end = min(chunk.rowCount, start + (maxRows - written))
            self.writeRows(of: chunk, from: start, to: end, leadingComma: written > 0, into: &buffer)
            chunk.nextRow = end
            written += end - start
        }
        return written
    }

    private func writeRows(
        of chunk: ArrowChunkReader,
        from start: Int,
        to end: Int,
        leadingComma: Bool,
        into buffer: inout ByteBuffer
    ) {
        let columns = chunk.columns
        let framing = self.framing
        for row in start..<end {
            if row > start || leadingComma { buffer.writeInteger(UInt8(ascii: ",")) }
            for column in columns.indices {
                buffer.writeBytes(framing.prefix(column))
                columns[column].writeValue(at: row, into: &buffer)
            }
            buffer.writeInteger(framing.rowEnd)
        }
    }

    /// Whether the result's Arrow schema has, column by column, the layouts `kinds` expect.
    static func arrowSchemaMatches(result: UnsafeMutablePointer<lbug_query_result>, kinds: [ArrowColumnKind]) -> Bool {
        guard !kinds.isEmpty else { return false }
        var schema = ArrowSchema()
        guard lbug_query_result_get_arrow_schema(result, &schema) == LbugSuccess else { return false }
        defer { schema.release?(&schema) }
        guard schema.n_children == kinds.count, let children = schema.children else { return false }
        for (index, kind) in kinds.enumerated() {
            guard let child = children[index], let format = child.pointee.format,
                String(cString: format) == kind.arrowFormat
            else { return false }
            if kind == .internalID {
                guard child.pointee.n_children == 2, let idChildren = child.pointee.children else { return false }
                for idIndex in 0..<2 {
                    guard let idChild = idChildren[idIndex], let idFormat = idChild.pointee.format,
                        String(cString: idFormat) == "l"
                    else { return false }
                }
            }
        }
        return true
    }
}

extension QueryResultJSONWriter {
    /// The column types the Arrow path encodes straight from the column buffers.
    enum ArrowColumnKind: Sendable, Hashable {
        case bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, int128, float, double, date
        case timestampSeconds, timestampMilliseconds, timestampMicroseconds, timestampNanoseconds, timestampUTC
        case string, blob, uuid, internalID

        /// The kind for a column of engine type `typeID`, or `nil` when the Arrow path cannot encode it
        /// exactly (nested types, nodes, rels, DECIMAL, INTERVAL — whose Arrow form drops the months —,
        /// JSON, UINT128).
        init?(typeID: UInt32) {
            switch typeID {
            case LBUG_BOOL.rawValue: self = .bool
            case LBUG_INT8.rawValue: self = .int8
            case LBUG_INT16.rawValue: self = .int16
            case LBUG_INT32.rawValue: self = .int32
            case LBUG_INT64.rawValue, LBUG_SERIAL.rawValue: self = .int64
            case LBUG_UINT8.rawValue: self = .uint8
            case LBUG_UINT16.rawValue: self = .uint16
            case LBUG_UINT32.rawValue: self = .uint32
            case LBUG_UINT64.rawValue: self = .uint64
            case LBUG_INT128.rawValue: self = .int128
            case LBUG_FLOAT.rawValue: self = .float
            case LBUG_DOUBLE.rawValue: self = .double
            case LBUG_DATE.rawValue: self = .date
            case LBUG_TIMESTAMP_SEC.rawValue: self = .timestampSeconds
            case LBUG_TIMESTAMP_MS.rawValue: self = .timestampMilliseconds
            case LBUG_TIMESTAMP.rawValue: self = .timestampMicroseconds
            case LBUG_TIMESTAMP_NS.rawValue: self = .timestampNanoseconds
            case LBUG_TIMESTAMP_TZ.rawValue: self = .timestampUTC
            case LBUG_STRING.rawValue: self = .string
            case LBUG_BLOB.rawValue: self = .blob
            case LBUG_UUID.rawValue: self = .uuid
            case LBUG_INTERNAL_ID.rawValue: self = .internalID
            default: return nil
            }
        }

        /// The Arrow C data interface format string the engine uses for this kind.
        var arrowFormat: String {
            switch self {
            case .bool: "b"
            case .int8: "c"
            case .int16: "s"
            case .int32: "i"
            case .int64: "l"
            case .uint8: "C"
            case .uint16: "S"
            case .uint32: "I"
            case .uint64: "L"
            case .int128: "d:38,0"
            case .float: "f"
            case .double: "g"
            case .date: "tdD"
            case .timestampSeconds: "tss:"
            case .timestampMilliseconds: "tsm:"
            case .timestampMicroseconds: "tsu:"
            case .timestampNanoseconds: "tsn:"
            case .timestampUTC: "tsu:UTC"
            case .string: "u"
            case .blob: "z"
            case .uuid: "w:16"
            case .internalID: "+s"
            }
        }
    }

    /// One Arrow chunk of a result (a struct array with a child per column) and how far it has been
    /// written. Releases the chunk when it goes away.
    final class ArrowChunkReader {
        private let array: UnsafeMutablePointer<ArrowArray>
        let rowCount: Int
        var nextRow = 0
        let columns: [ArrowColumn]

        /// Fetches the next chunk of up to `rows` rows from `result`.
        init(fetchingFrom result: UnsafeMutablePointer<lbug_query_result>, rows: Int, kinds: [ArrowColumnKind]) throws {
            let array = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
            array.initialize(to: ArrowArray())
            guard lbug_query_result_get_next_arrow_chunk(result, Int64(rows), array) == LbugSuccess else {
                array.deallocate()
                throw QueryResultJSONWriter.lastEngineError("Cannot read the next Arrow chunk.")
            }
            let columns: [ArrowColumn]
            do {
                columns = try Self.columns(of: array, kinds: kinds)
            } catch {
                array.pointee.release?(array)
                array.deallocate()
                throw error
            }
            self.array = array
            self.rowCount = Int(array.pointee.length)
            self.columns = columns
        }

        private static func columns(of array: UnsafeMutablePointer<ArrowArray>, kinds: [ArrowColumnKind]) throws -> [ArrowColumn] {
            guard array.pointee.length > 0 else { return [] }
            guard array.pointee.n_children == kinds.count, let children = array.pointee.children else {
                throw EngineError(
                    .internal,
                    "The engine's Arrow chunk has \(array.pointee.n_children) columns, expected \(kinds.count)."
                )
            }
            var columns: [ArrowColumn] = []
            columns.reserveCapacity(kinds.count)
            for (index, kind) in kinds.enumerated() {
                guard let child = children[index] else { throw EngineError(.internal, "The Arrow chunk lacks column \(index).") }
                columns.append(try ArrowColumn(kind: kind, array: child))
            }
            return columns
        }

        deinit {
            self.array.pointee.release?(self.array)
            self.array.deallocate()
        }
    }

    /// Read access to one column of an Arrow chunk.
    struct ArrowColumn {
        let kind: ArrowColumnKind
        private let offset: Int
        private let validity: UnsafePointer<UInt8>?
        /// Fixed-width values, bit-packed booleans, or 32-bit offsets for strings and blobs.
        private let values: UnsafeRawPointer?
        /// String and blob bytes.
        private let bytes: UnsafeRawPointer?
        /// INTERNAL_ID: the `offset` and `table` children's values, already shifted by their offsets.
        private let idOffsets: UnsafePointer<Int64>?
        private let idTables: UnsafePointer<Int64>?

        init(kind: ArrowColumnKind, array: UnsafeMutablePointer<ArrowArray>) throws {
            self.kind = kind
            self.offset = Int(array.pointee.offset)
            let bufferCount = Int(array.pointee.n_buffers)
            let buffers = array.pointee.buffers
            func buffer(_ index: Int) -> UnsafeRawPointer? {
                guard let buffers, index < bufferCount else { return nil }
                return buffers[index]
            }
            self.validity = buffer(0)?.assumingMemoryBound(to: UInt8.self)
            if kind == .internalID {
                guard array.pointee.n_children == 2, let children = array.pointee.children,
                    let offsets = children[0], let tables = children[1]
                else { throw EngineError(.internal, "An INTERNAL_ID column of the Arrow chunk is malformed.") }
                func int64Values(_ child: UnsafeMutablePointer<ArrowArray>) -> UnsafePointer<Int64>? {
                    guard child.pointee.n_buffers >= 2, let raw = child.pointee.buffers?[1] else { return nil }
                    return raw.assumingMemoryBound(to: Int64.self) + Int(child.pointee.offset)
                }
                self.idOffsets = int64Values(offsets)
                self.idTables = int64Values(tables)
                self.values = nil
                self.bytes = nil
            } else {
                self.values = buffer(1)
                self.bytes = kind == .string || kind == .blob ? buffer(2) : nil
                self.idOffsets = nil
                self.idTables = nil
            }
            if array.pointee.length > 0 {
                let hasValues = kind == .internalID ? (self.idOffsets != nil && self.idTables != nil) : self.values != nil
                guard hasValues else { throw EngineError(.internal, "A column of the Arrow chunk has no values buffer.") }
            }
        }

        /// Writes the value at `row` (relative to the chunk) as JSON.
        @inline(__always)
        func writeValue(at row: Int, into buffer: inout ByteBuffer) {
            let index = row &+ self.offset
            if let validity = self.validity, validity[index &>> 3] & (1 &<< UInt8(index & 7)) == 0 {
                buffer.writeJSONNull()
                return
            }
            switch self.kind {
            case .bool:
                let bits = self.values!.assumingMemoryBound(to: UInt8.self)
                buffer.writeJSONBool(bits[index &>> 3] & (1 &<< UInt8(index & 7)) != 0)
            case .int8:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index, as: Int8.self))
            case .int16:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 2, as: Int16.self))
            case .int32:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 4, as: Int32.self))
            case .int64:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 8, as: Int64.self))
            case .uint8:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index, as: UInt8.self))
            case .uint16:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 2, as: UInt16.self))
            case .uint32:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 4, as: UInt32.self))
            case .uint64:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 8, as: UInt64.self))
            case .int128:
                // Arrow's decimal128: 16 little-endian bytes of two's complement.
                let raw = self.values!.loadUnaligned(fromByteOffset: index &* 16, as: Int128.self)
                buffer.writeJSONNumber(Int128(littleEndian: raw))
            case .float:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 4, as: Float.self))
            case .double:
                buffer.writeJSONNumber(self.values!.load(fromByteOffset: index &* 8, as: Double.self))
            case .date:
                buffer.writeJSONDate(daysSinceEpoch: Int64(self.values!.load(fromByteOffset: index &* 4, as: Int32.self)))
            case .timestampSeconds:
                buffer.writeJSONTimestamp(self.values!.load(fromByteOffset: index &* 8, as: Int64.self), unit: .seconds)
            case .timestampMilliseconds:
                buffer.writeJSONTimestamp(self.values!.load(fromByteOffset: index &* 8, as: Int64.self), unit: .milliseconds)
            case .timestampMicroseconds:
                buffer.writeJSONTimestamp(self.values!.load(fromByteOffset: index &* 8, as: Int64.self), unit: .microseconds)
            case .timestampNanoseconds:
                buffer.writeJSONTimestamp(self.values!.load(fromByteOffset: index &* 8, as: Int64.self), unit: .nanoseconds)
            case .timestampUTC:
                buffer.writeJSONTimestamp(
                    self.values!.load(fromByteOffset: index &* 8, as: Int64.self),
                    unit: .microseconds,
                    utc: true
                )
            case .string:
                buffer.writeJSONString(utf8: self.variableWidthBytes(at: index))
            case .blob:
                buffer.writeJSONBase64String(self.variableWidthBytes(at: index))
            case .uuid:
                // 16 bytes, most significant first.
                let raw = self.values!.loadUnaligned(fromByteOffset: index &* 16, as: UInt128.self)
                buffer.writeJSONUUID(UInt128(bigEndian: raw))
            case .internalID:
                buffer.writeJSONInternalID(
                    offset: UInt64(bitPattern: self.idOffsets![index]),
                    table: UInt64(bitPattern: self.idTables![index])
                )
            }
        }

        @inline(__always)
        private func variableWidthBytes(at index: Int) -> UnsafeRawBufferPointer {
            let offsets = self.values!.assumingMemoryBound(to: Int32.self)
            let start = Int(offsets[index])
            let end = Int(offsets[index &+ 1])
            guard end > start, let bytes = self.bytes else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: bytes + start, count: end - start)
        }
    }
}
