import CLadybug

extension Value {
    /// Decodes an engine value. `value` is borrowed: the caller keeps ownership.
    init(decoding value: UnsafeMutablePointer<lbug_value>) throws {
        if lbug_value_is_null(value) {
            self = .null
            return
        }
        var type = lbug_logical_type()
        lbug_value_get_data_type(value, &type)
        guard type._data_type != nil else {
            throw EngineError(.internal, "The engine returned a value without a type.")
        }
        defer { lbug_data_type_destroy(&type) }
        let id = LogicalType.ID(lbug_data_type_get_id(&type))

        func get<T>(_ initial: T, _ getter: (UnsafeMutablePointer<lbug_value>, UnsafeMutablePointer<T>) -> lbug_state)
            throws -> T
        {
            var out = initial
            guard getter(value, &out) == LbugSuccess else {
                throw EngineError(.internal, "Cannot read a \(id) value from the engine.")
            }
            return out
        }
        func ownedString(
            _ getter: (UnsafeMutablePointer<lbug_value>, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) ->
                lbug_state
        ) throws -> String {
            var out: UnsafeMutablePointer<CChar>?
            guard getter(value, &out) == LbugSuccess, let out else {
                throw EngineError(.internal, "Cannot read a \(id) value from the engine.")
            }
            defer { lbug_destroy_string(out) }
            return String(cString: out)
        }

        switch id {
        case .bool: self = .bool(try get(false, lbug_value_get_bool))
        case .int8: self = .int8(try get(0, lbug_value_get_int8))
        case .int16: self = .int16(try get(0, lbug_value_get_int16))
        case .int32: self = .int32(try get(0, lbug_value_get_int32))
        case .int64, .serial: self = .int64(try get(0, lbug_value_get_int64))
        case .uint8: self = .uint8(try get(0, lbug_value_get_uint8))
        case .uint16: self = .uint16(try get(0, lbug_value_get_uint16))
        case .uint32: self = .uint32(try get(0, lbug_value_get_uint32))
        case .uint64: self = .uint64(try get(0, lbug_value_get_uint64))
        case .int128:
            let raw = try get(lbug_int128_t(), lbug_value_get_int128)
            var text: UnsafeMutablePointer<CChar>?
            guard lbug_int128_t_to_string(raw, &text) == LbugSuccess, let text else {
                throw EngineError(.internal, "Cannot format an INT128 value.")
            }
            defer { lbug_destroy_string(text) }
            self = .int128(String(cString: text))
        case .float: self = .float(try get(0, lbug_value_get_float))
        case .double: self = .double(try get(0, lbug_value_get_double))
        case .decimal: self = .decimal(try ownedString(lbug_value_get_decimal_as_string))
        case .string: self = .string(try ownedString(lbug_value_get_string))
        case .uuid: self = .uuid(try ownedString(lbug_value_get_uuid))
        case .blob:
            var bytes: UnsafeMutablePointer<UInt8>?
            var length: UInt64 = 0
            guard lbug_value_get_blob(value, &bytes, &length) == LbugSuccess else {
                throw EngineError(.internal, "Cannot read a BLOB value from the engine.")
            }
            defer { if let bytes { lbug_destroy_blob(bytes) } }
            self = .blob(bytes.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? [])
        case .date: self = .date(daysSinceEpoch: try get(lbug_date_t(), lbug_value_get_date).days)
        case .timestamp:
            self = .timestamp(microsecondsSinceEpoch: try get(lbug_timestamp_t(), lbug_value_get_timestamp).value)
        case .timestampTz:
            self = .timestampTz(
                microsecondsSinceEpoch: try get(lbug_timestamp_tz_t(), lbug_value_get_timestamp_tz).value)
        case .timestampNs:
            self = .timestampNs(
                nanosecondsSinceEpoch: try get(lbug_timestamp_ns_t(), lbug_value_get_timestamp_ns).value)
        case .timestampMs:
            self = .timestampMs(
                millisecondsSinceEpoch: try get(lbug_timestamp_ms_t(), lbug_value_get_timestamp_ms).value)
        case .timestampSec:
            self = .timestampSec(secondsSinceEpoch: try get(lbug_timestamp_sec_t(), lbug_value_get_timestamp_sec).value)
        case .interval:
            let interval = try get(lbug_interval_t(), lbug_value_get_interval)
            self = .interval(months: interval.months, days: interval.days, microseconds: interval.micros)
        case .internalID:
            let id = try get(lbug_internal_id_t(), lbug_value_get_internal_id)
            self = .internalID(InternalID(table: id.table_id, offset: id.offset))
        case .list:
            let count = try get(UInt64(0), lbug_value_get_list_size)
            self = .list(try Value.elements(of: value, count: count))
        case .array:
            var count: UInt64 = 0
            guard lbug_data_type_get_num_elements_in_array(&type, &count) == LbugSuccess else {
                throw EngineError(.internal, "Cannot read the size of an ARRAY value.")
            }
            self = .array(try Value.elements(of: value, count: count))
        case .struct:
            self = .struct(try Value.fields(of: value))
        case .union:
            self = try Value.union(from: value)
        case .map:
            let count = try get(UInt64(0), lbug_value_get_map_size)
            var entries: [MapEntry] = []
            entries.reserveCapacity(Int(count))
            for index in 0..<count {
                var key = lbug_value()
                var item = lbug_value()
                guard lbug_value_get_map_key(value, index, &key) == LbugSuccess,
                    lbug_value_get_map_value(value, index, &item) == LbugSuccess
                else {
                    throw EngineError(.internal, "Cannot read a MAP entry from the engine.")
                }
                entries.append(MapEntry(key: try Value(decoding: &key), value: try Value(decoding: &item)))
            }
            self = .map(entries)
        case .node:
            self = .node(try Value.node(from: value))
        case .rel:
            self = .rel(try Value.rel(from: value))
        case .recursiveRel:
            var nodeList = lbug_value()
            var relList = lbug_value()
            guard lbug_value_get_recursive_rel_node_list(value, &nodeList) == LbugSuccess,
                lbug_value_get_recursive_rel_rel_list(value, &relList) == LbugSuccess
            else {
                throw EngineError(.internal, "Cannot read a path from the engine.")
            }
            let nodes = try Value(decoding: &nodeList).listValue ?? []
            let rels = try Value(decoding: &relList).listValue ?? []
            self = .recursiveRel(
                nodes: nodes.compactMap { if case .node(let node) = $0 { node } else { nil } },
                rels: rels.compactMap { if case .rel(let rel) = $0 { rel } else { nil } })
        default:
            // ANY, POINTER and ids this module does not know: the engine's own text.
            guard let text = lbug_value_to_string(value) else {
                throw EngineError(.internal, "Cannot read a value of type \(id) from the engine.")
            }
            defer { lbug_destroy_string(text) }
            self = .string(String(cString: text))
        }
    }

    private static func elements(of value: UnsafeMutablePointer<lbug_value>, count: UInt64) throws -> [Value] {
        var result: [Value] = []
        result.reserveCapacity(Int(count))
        for index in 0..<count {
            var element = lbug_value()
            guard lbug_value_get_list_element(value, index, &element) == LbugSuccess else {
                throw EngineError(.internal, "Cannot read a list element from the engine.")
            }
            result.append(try Value(decoding: &element))
        }
        return result
    }

    private static func fields(of value: UnsafeMutablePointer<lbug_value>) throws -> [Field] {
        var count: UInt64 = 0
        guard lbug_value_get_struct_num_fields(value, &count) == LbugSuccess else {
            throw EngineError(.internal, "Cannot read a struct from the engine.")
        }
        var fields: [Field] = []
        fields.reserveCapacity(Int(count))
        for index in 0..<count {
            var name: UnsafeMutablePointer<CChar>?
            var field = lbug_value()
            guard lbug_value_get_struct_field_name(value, index, &name) == LbugSuccess, let name,
                lbug_value_get_struct_field_value(value, index, &field) == LbugSuccess
            else {
                throw EngineError(.internal, "Cannot read a struct field from the engine.")
            }
            let fieldName = String(cString: name)
            lbug_destroy_string(name)
            fields.append(Field(name: fieldName, value: try Value(decoding: &field)))
        }
        return fields
    }

    /// A UNION is a struct whose field 0 is the tag (the index of the active member among the
    /// fields after it). The engine does not always hand out the member's value through the
    /// struct API; its text is used then.
    private static func union(from value: UnsafeMutablePointer<lbug_value>) throws -> Value {
        var count: UInt64 = 0
        var tagValue = lbug_value()
        guard lbug_value_get_struct_num_fields(value, &count) == LbugSuccess, count > 1,
            lbug_value_get_struct_field_value(value, 0, &tagValue) == LbugSuccess,
            let tag = try Value(decoding: &tagValue).int64Value, tag >= 0, UInt64(tag) + 1 < count
        else {
            throw EngineError(.internal, "Cannot read a UNION value from the engine.")
        }
        let memberIndex = UInt64(tag) + 1
        var name: UnsafeMutablePointer<CChar>?
        guard lbug_value_get_struct_field_name(value, memberIndex, &name) == LbugSuccess, let name else {
            throw EngineError(.internal, "Cannot read a UNION member's name from the engine.")
        }
        let memberName = String(cString: name)
        lbug_destroy_string(name)
        var member = lbug_value()
        if lbug_value_get_struct_field_value(value, memberIndex, &member) == LbugSuccess {
            return .union(tag: memberName, value: try Value(decoding: &member))
        }
        guard let text = lbug_value_to_string(value) else {
            throw EngineError(.internal, "Cannot read a UNION value from the engine.")
        }
        defer { lbug_destroy_string(text) }
        return .union(tag: memberName, value: .string(String(cString: text)))
    }

    private static func internalID(_ value: inout lbug_value) throws -> InternalID {
        guard case .internalID(let id) = try Value(decoding: &value) else {
            throw EngineError(.internal, "Expected an internal id from the engine.")
        }
        return id
    }

    private static func label(_ value: inout lbug_value) throws -> String {
        try Value(decoding: &value).stringValue ?? ""
    }

    private static func node(from value: UnsafeMutablePointer<lbug_value>) throws -> Node {
        var idValue = lbug_value()
        var labelValue = lbug_value()
        var count: UInt64 = 0
        guard lbug_node_val_get_id_val(value, &idValue) == LbugSuccess,
            lbug_node_val_get_label_val(value, &labelValue) == LbugSuccess,
            lbug_node_val_get_property_size(value, &count) == LbugSuccess
        else {
            throw EngineError(.internal, "Cannot read a node from the engine.")
        }
        var properties: [Field] = []
        for index in 0..<count {
            var name: UnsafeMutablePointer<CChar>?
            var property = lbug_value()
            guard lbug_node_val_get_property_name_at(value, index, &name) == LbugSuccess, let name,
                lbug_node_val_get_property_value_at(value, index, &property) == LbugSuccess
            else {
                throw EngineError(.internal, "Cannot read a node property from the engine.")
            }
            let propertyName = String(cString: name)
            lbug_destroy_string(name)
            properties.append(Field(name: propertyName, value: try Value(decoding: &property)))
        }
        return Node(id: try internalID(&idValue), label: try label(&labelValue), properties: properties)
    }

    private static func rel(from value: UnsafeMutablePointer<lbug_value>) throws -> Rel {
        var idValue = lbug_value()
        var sourceValue = lbug_value()
        var destinationValue = lbug_value()
        var labelValue = lbug_value()
        var count: UInt64 = 0
        guard lbug_rel_val_get_id_val(value, &idValue) == LbugSuccess,
            lbug_rel_val_get_src_id_val(value, &sourceValue) == LbugSuccess,
            lbug_rel_val_get_dst_id_val(value, &destinationValue) == LbugSuccess,
            lbug_rel_val_get_label_val(value, &labelValue) == LbugSuccess,
            lbug_rel_val_get_property_size(value, &count) == LbugSuccess
        else {
            throw EngineError(.internal, "Cannot read a relationship from the engine.")
        }
        var properties: [Field] = []
        for index in 0..<count {
            var name: UnsafeMutablePointer<CChar>?
            var property = lbug_value()
            guard lbug_rel_val_get_property_name_at(value, index, &name) == LbugSuccess, let name,
                lbug_rel_val_get_property_value_at(value, index, &property) == LbugSuccess
            else {
                throw EngineError(.internal, "Cannot read a relationship property from the engine.")
            }
            let propertyName = String(cString: name)
            lbug_destroy_string(name)
            properties.append(Field(name: propertyName, value: try Value(decoding: &property)))
        }
        return Rel(
            id: try internalID(&idValue), source: try internalID(&sourceValue),
            destination: try internalID(&destinationValue), label: try label(&labelValue),
            properties: properties)
    }
}
