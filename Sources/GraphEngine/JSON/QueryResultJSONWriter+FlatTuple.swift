import CLadybug
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension QueryResultJSONWriter {
    /// Writes up to `maxRows` rows read one tuple at a time.
    func writeFlatTupleRows(
        from result: UnsafeMutablePointer<lbug_query_result>,
        state: inout ReadState,
        into buffer: inout ByteBuffer,
        maxRows: Int
    ) throws -> Int {
        guard !state.isExhausted else { return 0 }
        let columnCount = self.columnValueTypes.count
        var written = 0
        while written < maxRows {
            guard lbug_query_result_has_next(result) else {
                state.isExhausted = true
                break
            }
            var tuple = lbug_flat_tuple()
            guard lbug_query_result_get_next(result, &tuple) == LbugSuccess else {
                throw Self.lastEngineError("Cannot read the next row.")
            }
            if written > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            if columnCount == 0 {
                buffer.writeStaticString(self.framing.emptyRow)
            } else {
                for column in 0..<columnCount {
                    buffer.writeBytes(self.framing.prefix(column))
                    var value = lbug_value()
                    guard lbug_flat_tuple_get_value(&tuple, UInt64(column), &value) == LbugSuccess else {
                        throw EngineError(.internal, "Cannot read column \(column) of a row.")
                    }
                    try Self.writeValue(&value, type: self.columnValueTypes[column], into: &buffer)
                }
                buffer.writeInteger(self.framing.rowEnd)
            }
            written += 1
        }
        return written
    }

    /// Writes one engine value (of any type, nested or not) as JSON.
    static func writeValue(
        _ value: UnsafeMutablePointer<lbug_value>,
        type: ValueTypeHint,
        into buffer: inout ByteBuffer
    ) throws {
        if lbug_value_is_null(value) {
            buffer.writeJSONNull()
            return
        }
        var typeID = type.id
        if typeID == LBUG_ANY.rawValue {
            var valueType = lbug_logical_type()
            lbug_value_get_data_type(value, &valueType)
            typeID = lbug_data_type_get_id(&valueType).rawValue
            lbug_data_type_destroy(&valueType)
        }
        switch typeID {
        case LBUG_BOOL.rawValue:
            var scalar = false
            try check(lbug_value_get_bool(value, &scalar), "BOOL")
            buffer.writeJSONBool(scalar)
        case LBUG_INT64.rawValue, LBUG_SERIAL.rawValue:
            var scalar: Int64 = 0
            try check(lbug_value_get_int64(value, &scalar), "INT64")
            buffer.writeJSONNumber(scalar)
        case LBUG_INT32.rawValue:
            var scalar: Int32 = 0
            try check(lbug_value_get_int32(value, &scalar), "INT32")
            buffer.writeJSONNumber(scalar)
        case LBUG_INT16.rawValue:
            var scalar: Int16 = 0
            try check(lbug_value_get_int16(value, &scalar), "INT16")
            buffer.writeJSONNumber(scalar)
        case LBUG_INT8.rawValue:
            var scalar: Int8 = 0
            try check(lbug_value_get_int8(value, &scalar), "INT8")
            buffer.writeJSONNumber(scalar)
        case LBUG_UINT64.rawValue:
            var scalar: UInt64 = 0
            try check(lbug_value_get_uint64(value, &scalar), "UINT64")
            buffer.writeJSONNumber(scalar)
        case LBUG_UINT32.rawValue:
            var scalar: UInt32 = 0
            try check(lbug_value_get_uint32(value, &scalar), "UINT32")
            buffer.writeJSONNumber(scalar)
        case LBUG_UINT16.rawValue:
            var scalar: UInt16 = 0
            try check(lbug_value_get_uint16(value, &scalar), "UINT16")
            buffer.writeJSONNumber(scalar)
        case LBUG_UINT8.rawValue:
            var scalar: UInt8 = 0
            try check(lbug_value_get_uint8(value, &scalar), "UINT8")
            buffer.writeJSONNumber(scalar)
        case LBUG_INT128.rawValue:
            var scalar = lbug_int128_t()
            try check(lbug_value_get_int128(value, &scalar), "INT128")
            buffer.writeJSONNumber(Int128(scalar.high) << 64 | Int128(scalar.low))
        case LBUG_DOUBLE.rawValue:
            var scalar: Double = 0
            try check(lbug_value_get_double(value, &scalar), "DOUBLE")
            buffer.writeJSONNumber(scalar)
        case LBUG_FLOAT.rawValue:
            var scalar: Float = 0
            try check(lbug_value_get_float(value, &scalar), "FLOAT")
            buffer.writeJSONNumber(scalar)
        case LBUG_DATE.rawValue:
            var scalar = lbug_date_t()
            try check(lbug_value_get_date(value, &scalar), "DATE")
            buffer.writeJSONDate(daysSinceEpoch: Int64(scalar.days))
        case LBUG_TIMESTAMP.rawValue:
            var scalar = lbug_timestamp_t()
            try check(lbug_value_get_timestamp(value, &scalar), "TIMESTAMP")
            buffer.writeJSONTimestamp(scalar.value, unit: .microseconds)
        case LBUG_TIMESTAMP_TZ.rawValue:
            var scalar = lbug_timestamp_tz_t()
            try check(lbug_value_get_timestamp_tz(value, &scalar), "TIMESTAMP_TZ")
            buffer.writeJSONTimestamp(scalar.value, unit: .microseconds, utc: true)
        case LBUG_TIMESTAMP_NS.rawValue:
            var scalar = lbug_timestamp_ns_t()
            try check(lbug_value_get_timestamp_ns(value, &scalar), "TIMESTAMP_NS")
            buffer.writeJSONTimestamp(scalar.value, unit: .nanoseconds)
        case LBUG_TIMESTAMP_MS.rawValue:
            var scalar = lbug_timestamp_ms_t()
            try check(lbug_value_get_timestamp_ms(value, &scalar), "TIMESTAMP_MS")
            buffer.writeJSONTimestamp(scalar.value, unit: .milliseconds)
        case LBUG_TIMESTAMP_SEC.rawValue:
            var scalar = lbug_timestamp_sec_t()
            try check(lbug_value_get_timestamp_sec(value, &scalar), "TIMESTAMP_SEC")
            buffer.writeJSONTimestamp(scalar.value, unit: .seconds)
        case LBUG_INTERVAL.rawValue:
            var scalar = lbug_interval_t()
            try check(lbug_value_get_interval(value, &scalar), "INTERVAL")
            buffer.writeJSONInterval(months: scalar.months, days: scalar.days, microseconds: scalar.micros)
        case LBUG_STRING.rawValue:
            var text: UnsafeMutablePointer<CChar>?
            try check(lbug_value_get_string(value, &text), "STRING")
            try writeOwnedString(text, into: &buffer)
        case LBUG_DECIMAL.rawValue:
            var text: UnsafeMutablePointer<CChar>?
            try check(lbug_value_get_decimal_as_string(value, &text), "DECIMAL")
            try writeOwnedString(text, into: &buffer)
        case LBUG_UUID.rawValue:
            var text: UnsafeMutablePointer<CChar>?
            try check(lbug_value_get_uuid(value, &text), "UUID")
            try writeOwnedString(text, into: &buffer)
        case LBUG_BLOB.rawValue:
            var bytes: UnsafeMutablePointer<UInt8>?
            var length: UInt64 = 0
            try check(lbug_value_get_blob(value, &bytes, &length), "BLOB")
            buffer.writeJSONBase64String(UnsafeRawBufferPointer(start: bytes, count: Int(length)))
            if let bytes { lbug_destroy_blob(bytes) }
        case LBUG_INTERNAL_ID.rawValue:
            var scalar = lbug_internal_id_t()
            try check(lbug_value_get_internal_id(value, &scalar), "INTERNAL_ID")
            buffer.writeJSONInternalID(offset: scalar.offset, table: scalar.table_id)
        case LBUG_LIST.rawValue, LBUG_ARRAY.rawValue:
            var elementType = ValueTypeHint.unknown
            if case .list(_, let element) = type { elementType = element }
            try writeList(value, elementType: elementType, into: &buffer)
        case LBUG_MAP.rawValue:
            try writeMap(value, into: &buffer)
        case LBUG_UNION.rawValue:
            // A union value holds its current member as its only child.
            var member = lbug_value()
            try check(lbug_value_get_struct_field_value(value, 0, &member), "UNION")
            try writeValue(&member, type: .unknown, into: &buffer)
        case LBUG_STRUCT.rawValue, LBUG_NODE.rawValue, LBUG_REL.rawValue, LBUG_RECURSIVE_REL.rawValue:
            // Nodes are structs of _ID, _LABEL and the properties; rels of _SRC, _DST, _LABEL, _ID
            // and the properties; recursive rels of _NODES and _RELS.
            try writeStruct(value, into: &buffer)
        case UnnamedTypeID.json:
            guard let text = lbug_value_to_string(value) else { throw EngineError(.internal, "Cannot read a JSON value.") }
            defer { lbug_destroy_string(text) }
            let bytes = UnsafeRawBufferPointer(start: text, count: strlen(text))
            if !buffer.writeMinifiedJSON(bytes) {
                buffer.writeJSONString(utf8: bytes)
            }
        case UnnamedTypeID.uint128:
            guard let text = lbug_value_to_string(value) else { throw EngineError(.internal, "Cannot read a UINT128.") }
            defer { lbug_destroy_string(text) }
            let bytes = UnsafeRawBufferPointer(start: text, count: strlen(text))
            if bytes.isEmpty || !bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                buffer.writeJSONString(utf8: bytes)
            } else {
                buffer.writeBytes(bytes)
            }
        default:
            // A type this encoder does not know: its text form, as a string.
            guard let text = lbug_value_to_string(value) else { throw EngineError(.internal, "Cannot read a value of type \(typeID).") }
            defer { lbug_destroy_string(text) }
            buffer.writeJSONString(cString: text)
        }
    }

    private static func writeList(
        _ value: UnsafeMutablePointer<lbug_value>,
        elementType: ValueTypeHint,
        into buffer: inout ByteBuffer
    ) throws {
        buffer.writeInteger(UInt8(ascii: "["))
        var count: UInt64 = 0
        if lbug_value_get_list_size(value, &count) != LbugSuccess {
            // ARRAY: the size lives in the type; reading past the end fails.
            count = UInt64.max
        }
        var index: UInt64 = 0
        while index < count {
            var element = lbug_value()
            guard lbug_value_get_list_element(value, index, &element) == LbugSuccess else {
                if count == UInt64.max { break }
                throw EngineError(.internal, "Cannot read element \(index) of a list.")
            }
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            try writeValue(&element, type: elementType, into: &buffer)
            index += 1
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    private static func writeStruct(_ value: UnsafeMutablePointer<lbug_value>, into buffer: inout ByteBuffer) throws {
        var count: UInt64 = 0
        try check(lbug_value_get_struct_num_fields(value, &count), "STRUCT")
        buffer.writeInteger(UInt8(ascii: "{"))
        for index in 0..<count {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            var name: UnsafeMutablePointer<CChar>?
            if lbug_value_get_struct_field_name(value, index, &name) == LbugSuccess, let name {
                buffer.writeJSONString(cString: name)
                lbug_destroy_string(name)
            } else {
                buffer.writeStaticString("\"\"")
            }
            buffer.writeInteger(UInt8(ascii: ":"))
            var field = lbug_value()
            try check(lbug_value_get_struct_field_value(value, index, &field), "STRUCT field")
            try writeValue(&field, type: .unknown, into: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// A map becomes an object: a STRING key is used as is, any other key as its JSON text
    /// (`1` → `"1"`, a date → `"2024-01-02"`, a null key → `"null"`).
    private static func writeMap(_ value: UnsafeMutablePointer<lbug_value>, into buffer: inout ByteBuffer) throws {
        var count: UInt64 = 0
        try check(lbug_value_get_map_size(value, &count), "MAP")
        buffer.writeInteger(UInt8(ascii: "{"))
        var keyText = ByteBuffer()
        for index in 0..<count {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            var key = lbug_value()
            try check(lbug_value_get_map_key(value, index, &key), "MAP key")
            keyText.clear()
            try writeValue(&key, type: .unknown, into: &keyText)
            if keyText.readableBytes >= 2, keyText.getInteger(at: keyText.readerIndex, as: UInt8.self) == UInt8(ascii: "\"") {
                buffer.writeBuffer(&keyText)
            } else {
                keyText.withUnsafeReadableBytes { buffer.writeJSONString(utf8: $0) }
            }
            buffer.writeInteger(UInt8(ascii: ":"))
            var entry = lbug_value()
            try check(lbug_value_get_map_value(value, index, &entry), "MAP value")
            try writeValue(&entry, type: .unknown, into: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// Writes the engine-allocated C string `text` as a JSON string and frees it.
    private static func writeOwnedString(_ text: UnsafeMutablePointer<CChar>?, into buffer: inout ByteBuffer) throws {
        guard let text else { throw EngineError(.internal, "The engine returned no text for a value.") }
        buffer.writeJSONString(cString: text)
        lbug_destroy_string(text)
    }

    private static func check(_ state: lbug_state, _ what: @autoclosure () -> String) throws {
        guard state == LbugSuccess else {
            throw EngineError(.internal, "Cannot read a \(what()) value.")
        }
    }
}

extension ByteBuffer {
    /// Writes a node or relationship id as `{"offset":<offset>,"table":<table>}`.
    @inlinable
    public mutating func writeJSONInternalID(offset: UInt64, table: UInt64) {
        self.writeStaticString("{\"offset\":")
        self.writeJSONNumber(offset)
        self.writeStaticString(",\"table\":")
        self.writeJSONNumber(table)
        self.writeInteger(UInt8(ascii: "}"))
    }
}
