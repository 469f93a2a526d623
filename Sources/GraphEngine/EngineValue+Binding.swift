import CLadybug

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The shape of a parameter value, used to check that list elements agree before the engine sees
/// them (see ``EngineValue``'s list rule).
private indirect enum ValueShape: Equatable {
    /// `null` or an empty list: fits anything.
    case any
    case scalar(String)
    case number(isDouble: Bool)
    case list(ValueShape)
    case object([String], [ValueShape])

    /// The common shape of two shapes, or `nil` if they do not mix.
    func unified(with other: ValueShape) -> ValueShape? {
        switch (self, other) {
        case (.any, _): return other
        case (_, .any): return self
        case (.number(let a), .number(let b)): return .number(isDouble: a || b)
        case (.scalar(let a), .scalar(let b)): return a == b ? self : nil
        case (.list(let a), .list(let b)):
            guard let element = a.unified(with: b) else { return nil }
            return .list(element)
        case (.object(let keysA, let shapesA), .object(let keysB, let shapesB)):
            guard keysA == keysB else { return nil }
            var shapes: [ValueShape] = []
            for (a, b) in zip(shapesA, shapesB) {
                guard let shape = a.unified(with: b) else { return nil }
                shapes.append(shape)
            }
            return .object(keysA, shapes)
        default: return nil
        }
    }
}

extension EngineValue {
    private func shape(at path: String) throws -> ValueShape {
        switch self {
        case .null: return .any
        case .int64, .uint64, .int128: return .number(isDouble: false)
        case .double: return .number(isDouble: true)
        case .list(let elements):
            var shape = ValueShape.any
            for (index, element) in elements.enumerated() {
                let elementShape = try element.shape(at: "\(path)[\(index)]")
                guard let unified = shape.unified(with: elementShape) else {
                    throw EngineError(
                        .bind,
                        "Parameter \(path) is a list mixing incompatible elements (\(path)[\(index)] is \(element.describedForMessage)); a list's elements must share one type (integers and doubles may mix)."
                    )
                }
                shape = unified
            }
            return .list(shape)
        case .map(let pairs):
            return .object(
                pairs.map(\.key),
                try pairs.map { try $0.value.shape(at: "\(path).\($0.key)") }
            )
        default: return .scalar(kindName)
        }
    }

    private var describedForMessage: String {
        switch self {
        case .list: "a list"
        case .map: "an object"
        case .null: "null"
        default: "a \(kindName)"
        }
    }

    /// Creates the engine value. The caller owns it and must pass it to `lbug_value_destroy`.
    ///
    /// Must run on the thread that reads `lbug_get_last_error()` afterwards (it is thread-local).
    func makeEngineValue(path: String) throws -> UnsafeMutablePointer<lbug_value> {
        // Validate list shapes once, at the outermost value.
        _ = try shape(at: path)
        return try makeEngineValueUnchecked(path: path)
    }

    private func makeEngineValueUnchecked(path: String) throws -> UnsafeMutablePointer<lbug_value> {
        func created(_ value: UnsafeMutablePointer<lbug_value>?, _ what: @autoclosure () -> String)
            throws -> UnsafeMutablePointer<lbug_value>
        {
            guard let value else {
                let detail = takeLastEngineError().map { " (\($0))" } ?? ""
                throw EngineError(.bind, "Parameter \(path): \(what())\(detail).")
            }
            return value
        }
        func cString<R>(_ text: String, _ body: (UnsafePointer<CChar>) -> R) throws -> R {
            guard !text.utf8.contains(0) else {
                throw EngineError(.bind, "Parameter \(path) contains a NUL character, which the engine cannot store.")
            }
            return text.withCString(body)
        }

        switch self {
        case .null:
            return try created(lbug_value_create_null(), "cannot create NULL")
        case .bool(let value):
            return try created(lbug_value_create_bool(value), "cannot create a BOOL")
        case .int64(let value):
            return try created(lbug_value_create_int64(value), "cannot create an INT64")
        case .uint64(let value):
            return try created(lbug_value_create_uint64(value), "cannot create a UINT64")
        case .int128(let text):
            var value = lbug_int128_t()
            let state = try cString(text) { lbug_int128_t_from_string($0, &value) }
            guard state == LbugSuccess else {
                throw EngineError(.bind, "Parameter \(path): \"\(text)\" is not a 128-bit integer.")
            }
            return try created(lbug_value_create_int128(value), "cannot create an INT128")
        case .double(let value):
            return try created(lbug_value_create_double(value), "cannot create a DOUBLE")
        case .string(let text):
            return try created(try cString(text) { lbug_value_create_string($0) }, "cannot create a STRING")
        case .date(let text):
            var value = lbug_date_t()
            let state = try cString(text) { lbug_date_from_string($0, &value) }
            guard state == LbugSuccess else {
                throw EngineError(.bind, "Parameter \(path): \"\(text)\" is not a date (YYYY-MM-DD).")
            }
            return try created(lbug_value_create_date(value), "cannot create a DATE")
        case .timestamp(let micros):
            return try created(
                lbug_value_create_timestamp(lbug_timestamp_t(value: micros)), "cannot create a TIMESTAMP")
        case .interval(let months, let days, let micros):
            return try created(
                lbug_value_create_interval(lbug_interval_t(months: months, days: days, micros: micros)),
                "cannot create an INTERVAL")
        case .uuid(let text):
            return try created(try cString(text) { lbug_value_create_uuid($0) }, "\"\(text)\" is not a UUID")
        case .blob(let bytes):
            // A non-null pointer even when empty: the engine treats null data as an error.
            let value =
                bytes.isEmpty
                ? withUnsafePointer(to: UInt8(0)) { lbug_value_create_blob($0, 0) }
                : bytes.withUnsafeBufferPointer { lbug_value_create_blob($0.baseAddress, UInt64($0.count)) }
            return try created(value, "cannot create a BLOB")
        case .list(let elements):
            if elements.isEmpty {
                return try makeEmptyList(path: path)
            }
            var children: [UnsafeMutablePointer<lbug_value>?] = []
            children.reserveCapacity(elements.count)
            defer { children.forEach { lbug_value_destroy($0) } }
            for (index, element) in elements.enumerated() {
                children.append(try element.makeEngineValueUnchecked(path: "\(path)[\(index)]"))
            }
            var out: UnsafeMutablePointer<lbug_value>?
            let state = children.withUnsafeMutableBufferPointer { buffer in
                lbug_value_create_list(UInt64(buffer.count), buffer.baseAddress, &out)
            }
            guard state == LbugSuccess, let out else {
                let detail = takeLastEngineError().map { ": \($0)" } ?? ""
                throw EngineError(.bind, "Parameter \(path): the list's elements have no common type\(detail).")
            }
            return out
        case .map(let pairs):
            if pairs.isEmpty {
                return try makeEmptyObject(path: path)
            }
            var seen = Set<String>()
            for pair in pairs {
                guard !pair.key.isEmpty else {
                    throw EngineError(.bind, "Parameter \(path) has an empty key; struct fields need names.")
                }
                guard seen.insert(pair.key).inserted else {
                    throw EngineError(.bind, "Parameter \(path) has the key \"\(pair.key)\" twice.")
                }
                guard !pair.key.utf8.contains(0) else {
                    throw EngineError(.bind, "Parameter \(path) has a key containing a NUL character.")
                }
            }
            var children: [UnsafeMutablePointer<lbug_value>?] = []
            children.reserveCapacity(pairs.count)
            defer { children.forEach { lbug_value_destroy($0) } }
            for pair in pairs {
                children.append(try pair.value.makeEngineValueUnchecked(path: "\(path).\(pair.key)"))
            }
            // strdup'd names: lbug_value_create_struct copies them.
            let names: [UnsafePointer<CChar>?] = pairs.map { UnsafePointer(strdup($0.key)) }
            defer { names.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
            var out: UnsafeMutablePointer<lbug_value>?
            let state = names.withUnsafeBufferPointer { nameBuffer in
                children.withUnsafeMutableBufferPointer { valueBuffer in
                    lbug_value_create_struct(
                        UInt64(pairs.count),
                        UnsafeMutablePointer(mutating: nameBuffer.baseAddress),
                        valueBuffer.baseAddress,
                        &out)
                }
            }
            guard state == LbugSuccess, let out else {
                let detail = takeLastEngineError().map { ": \($0)" } ?? ""
                throw EngineError(.bind, "Parameter \(path): cannot create a STRUCT\(detail).")
            }
            return out
        }
    }

    /// An empty list: the engine's own, with element type ANY, which the statement's context
    /// resolves (`p.id IN $x`, `UNWIND $x`, a list property).
    private func makeEmptyList(path: String) throws -> UnsafeMutablePointer<lbug_value> {
        var out: UnsafeMutablePointer<lbug_value>?
        guard lbug_value_create_list(0, nil, &out) == LbugSuccess, let out else {
            throw EngineError(.bind, "Parameter \(path): cannot create an empty list.")
        }
        return out
    }

    /// An empty object: the engine cannot make a STRUCT without fields.
    private func makeEmptyObject(path: String) throws -> UnsafeMutablePointer<lbug_value> {
        var out: UnsafeMutablePointer<lbug_value>?
        guard lbug_value_create_map(0, nil, nil, &out) == LbugSuccess, let out else {
            throw EngineError(.bind, "Parameter \(path): cannot create an empty object.")
        }
        return out
    }
}

/// Takes (and clears) the C API's thread-local last error message.
func takeLastEngineError() -> String? {
    guard let pointer = lbug_get_last_error() else { return nil }
    defer { lbug_destroy_string(pointer) }
    return String(cString: pointer)
}
