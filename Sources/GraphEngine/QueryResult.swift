import CLadybug
import Foundation

/// The result of one statement: column metadata, rows (as decoded ``Value``s or as Arrow chunks)
/// and timing.
///
/// The engine materialises the whole result before the first row is read, so reading never runs
/// the query further; it still calls into the engine, so read large results off the cooperative
/// pool. A result may be read from any thread, one call at a time (calls are serialised).
///
/// A result keeps its ``Connection`` (and so its ``Database``) alive. Closing the connection or
/// the database invalidates the result: reads then throw ``EngineError/Kind/closed``.
public final class QueryResult: @unchecked Sendable {
    // @unchecked Sendable: every use of `handle` by this type happens under `lock`; the handle's
    // memory lives until deinit.

    /// The engine's result. Internal so the JSON encoder in this module can read it directly;
    /// prefer ``withHandle(_:)``, which fails cleanly once the result is invalidated.
    let handle: UnsafeMutablePointer<lbug_query_result>
    /// The connection that produced the result; kept alive by it.
    let connection: Connection
    /// For the second and later results of a multi-statement query: the first result, which
    /// owns this one in the engine.
    private let parent: QueryResult?
    private let lock = NSLock()
    private var isValid = true
    private var cachedSchema: ArrowSchemaBox?
    private var cachedColumnTypes: [LogicalType]?

    /// The names of the result's columns, in order.
    public let columnNames: [String]
    private let basicColumnTypes: [LogicalType]

    init(handle: UnsafeMutablePointer<lbug_query_result>, connection: Connection, parent: QueryResult?) {
        self.handle = handle
        self.connection = connection
        self.parent = parent
        let columnCount = lbug_query_result_get_num_columns(handle)
        var names: [String] = []
        var types: [LogicalType] = []
        for index in 0..<columnCount {
            var name: UnsafeMutablePointer<CChar>?
            if lbug_query_result_get_column_name(handle, index, &name) == LbugSuccess, let name {
                names.append(String(cString: name))
                lbug_destroy_string(name)
            } else {
                names.append("")
            }
            var type = lbug_logical_type()
            if lbug_query_result_get_column_data_type(handle, index, &type) == LbugSuccess, type._data_type != nil {
                types.append(LogicalType(borrowing: &type))
                lbug_data_type_destroy(&type)
            } else {
                types.append(LogicalType(id: .any))
            }
        }
        self.columnNames = names
        self.basicColumnTypes = types
    }

    deinit {
        if isValid {
            if parent == nil {
                connection.destroyWhenIdle(.result(handle))
            } else {
                // Owned by the parent's engine object: destroying only clears the pointer.
                lbug_query_result_destroy(handle)
                handle.deallocate()
            }
        } else {
            handle.deallocate()
        }
        connection.forget(self)
    }

    /// Runs `body` with the engine handle under the result's lock, or throws
    /// ``EngineError/Kind/closed`` if the result was invalidated.
    func withHandle<R>(_ body: (UnsafeMutablePointer<lbug_query_result>) throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        guard isValid else { throw EngineError.closed("The query result") }
        return try body(handle)
    }

    // MARK: - Metadata

    /// The engine types of the columns, in order, with children for nested types.
    public var columnTypes: [LogicalType] {
        lock.lock()
        defer { lock.unlock() }
        if let cachedColumnTypes { return cachedColumnTypes }
        var types = basicColumnTypes
        if isValid, types.contains(where: \.needsArrowDetail), let schema = try? schemaLocked() {
            let root = schema.pointer.pointee
            for index in types.indices where types[index].needsArrowDetail && index < Int(root.n_children) {
                if let child = root.children?[index] {
                    types[index] = types[index].refined(with: child)
                }
            }
        }
        cachedColumnTypes = types
        return types
    }

    /// The number of rows (`lbug_query_result_get_num_tuples`).
    public var rowCount: UInt64 {
        (try? withHandle { lbug_query_result_get_num_tuples($0) }) ?? 0
    }

    /// Whether rows remain to be read by ``next()`` or ``nextArrowChunk(rows:)``.
    public var hasNext: Bool {
        (try? withHandle { lbug_query_result_has_next($0) }) ?? false
    }

    /// How long the engine took to compile and to execute the statement.
    public var summary: QuerySummary {
        (try? withHandle { handle in
            var summary = lbug_query_summary()
            guard lbug_query_result_get_query_summary(handle, &summary) == LbugSuccess else {
                return QuerySummary(compilingTimeMilliseconds: 0, executionTimeMilliseconds: 0)
            }
            defer { lbug_query_summary_destroy(&summary) }
            return QuerySummary(
                compilingTimeMilliseconds: lbug_query_summary_get_compiling_time(&summary),
                executionTimeMilliseconds: lbug_query_summary_get_execution_time(&summary))
        }) ?? QuerySummary(compilingTimeMilliseconds: 0, executionTimeMilliseconds: 0)
    }

    // MARK: - Rows

    /// Reads the next row, decoded, or returns `nil` after the last one.
    public func next() throws -> [Value]? {
        try withHandle { handle in
            guard lbug_query_result_has_next(handle) else { return nil }
            var tuple = lbug_flat_tuple()
            guard lbug_query_result_get_next(handle, &tuple) == LbugSuccess else {
                throw connection.classify(takeLastEngineError() ?? "Cannot read the next row.")
            }
            // The tuple is owned by the result and reused by the next call.
            var row: [Value] = []
            row.reserveCapacity(columnNames.count)
            for index in 0..<UInt64(columnNames.count) {
                var value = lbug_value()
                guard lbug_flat_tuple_get_value(&tuple, index, &value) == LbugSuccess else {
                    throw EngineError(.internal, "Cannot read column \(index) of a row.")
                }
                row.append(try Value(decoding: &value))
            }
            return row
        }
    }

    /// Reads every remaining row, decoded. Meant for tests and small results.
    public func allRows() throws -> [[Value]] {
        var rows: [[Value]] = []
        while let row = try next() {
            rows.append(row)
        }
        return rows
    }

    /// Starts reading from the first row again.
    public func resetIterator() throws {
        try withHandle { lbug_query_result_reset_iterator($0) }
    }

    /// The engine's tabular rendering of the whole result, as its shell prints it.
    public func renderedTable() throws -> String {
        try withHandle { handle in
            guard let text = lbug_query_result_to_string(handle) else { return "" }
            defer { lbug_destroy_string(text) }
            return String(cString: text)
        }
    }

    // MARK: - Multiple statements

    /// Whether a query of several statements has another statement's result after this one.
    public var hasNextQueryResult: Bool {
        (try? withHandle { lbug_query_result_has_next_query_result($0) }) ?? false
    }

    /// The next statement's result of a multi-statement query, or `nil` after the last one.
    ///
    /// - Throws: the next statement's error, if it failed.
    public func nextQueryResult() throws -> QueryResult? {
        let next: UnsafeMutablePointer<lbug_query_result>? = try withHandle { handle in
            guard lbug_query_result_has_next_query_result(handle) else { return nil }
            let next = UnsafeMutablePointer<lbug_query_result>.allocate(capacity: 1)
            next.initialize(to: lbug_query_result())
            guard lbug_query_result_get_next_query_result(handle, next) == LbugSuccess else {
                next.deallocate()
                throw EngineError(.internal, "Cannot read the next statement's result.")
            }
            return next
        }
        guard let next else { return nil }
        if !lbug_query_result_is_success(next) {
            let message = lbug_query_result_get_error_message(next).map { pointer in
                defer { lbug_destroy_string(pointer) }
                return String(cString: pointer)
            }
            lbug_query_result_destroy(next)
            next.deallocate()
            throw connection.classify(message ?? "A statement of the query failed.")
        }
        let result = QueryResult(handle: next, connection: connection, parent: self)
        connection.adopt(result)
        return result
    }

    // MARK: - Arrow

    /// The result's Arrow schema: a struct with one child per column. Fetched once and kept.
    public func arrowSchema() throws -> ArrowSchemaBox {
        lock.lock()
        defer { lock.unlock() }
        return try schemaLocked()
    }

    private func schemaLocked() throws -> ArrowSchemaBox {
        guard isValid else { throw EngineError.closed("The query result") }
        if let cachedSchema { return cachedSchema }
        let schema = UnsafeMutablePointer<ArrowSchema>.allocate(capacity: 1)
        schema.initialize(to: ArrowSchema())
        guard lbug_query_result_get_arrow_schema(handle, schema) == LbugSuccess else {
            schema.deallocate()
            throw EngineError(.internal, takeLastEngineError() ?? "Cannot read the result's Arrow schema.")
        }
        let box = ArrowSchemaBox(pointer: schema)
        cachedSchema = box
        return box
    }

    /// Reads up to `rows` rows as one Arrow struct array (a child array per column), or returns
    /// `nil` when no rows remain.
    public func nextArrowChunk(rows: Int) throws -> ArrowChunk? {
        precondition(rows > 0, "rows must be positive")
        return try withHandle { handle in
            guard lbug_query_result_has_next(handle) else { return nil }
            let array = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
            array.initialize(to: ArrowArray())
            guard lbug_query_result_get_next_arrow_chunk(handle, Int64(rows), array) == LbugSuccess else {
                array.deallocate()
                throw connection.classify(takeLastEngineError() ?? "Cannot read the next Arrow chunk.")
            }
            let chunk = ArrowChunk(pointer: array)
            return chunk.length == 0 ? nil : chunk
        }
    }

    // MARK: - Closing

    /// Frees the engine's result now rather than when the last reference goes. Idempotent; later
    /// reads throw ``EngineError/Kind/closed``.
    public func close() {
        invalidate()
    }
}

extension QueryResult: ConnectionChild {
    func invalidate() {
        lock.lock()
        defer { lock.unlock() }
        guard isValid else { return }
        isValid = false
        cachedSchema = nil
        // Clears the engine pointer (and frees the engine's result if this one owns it), so any
        // later C call on `handle` fails cleanly instead of touching freed memory.
        lbug_query_result_destroy(handle)
    }

    var invalidationOrder: Int { parent == nil ? 1 : 0 }
}

/// Compile and execution time of a statement.
public struct QuerySummary: Sendable, Hashable {
    /// Time spent parsing, binding and planning, in milliseconds.
    public var compilingTimeMilliseconds: Double
    /// Time spent executing, in milliseconds.
    public var executionTimeMilliseconds: Double
}

/// An Arrow C data interface schema owned by Swift: released (its `release` callback called) when
/// the box goes away.
public final class ArrowSchemaBox: @unchecked Sendable {
    // @unchecked Sendable: immutable after creation; the engine's schema is plain data.

    /// The schema; valid while the box lives.
    public let pointer: UnsafeMutablePointer<ArrowSchema>

    init(pointer: UnsafeMutablePointer<ArrowSchema>) {
        self.pointer = pointer
    }

    deinit {
        if let release = pointer.pointee.release {
            release(pointer)
        }
        pointer.deallocate()
    }

    /// The Arrow format string of the root (`+s` for a result).
    public var format: String {
        pointer.pointee.format.map { String(cString: $0) } ?? ""
    }

    /// The names of the root's children (the result's columns).
    public var childNames: [String] {
        (0..<Int(pointer.pointee.n_children)).map { index in
            pointer.pointee.children?[index]?.pointee.name.map { String(cString: $0) } ?? ""
        }
    }
}

/// One chunk of rows as an Arrow C data interface array, owned by Swift: released (its `release`
/// callback called) when the chunk goes away. The array does not depend on its result, which may
/// be closed first.
public final class ArrowChunk: @unchecked Sendable {
    // @unchecked Sendable: the array is not mutated after creation.

    /// The array: a struct array with one child per column. Valid while the chunk lives; move it
    /// out (copy the struct and set `pointer.pointee.release = nil`) to take ownership elsewhere.
    public let pointer: UnsafeMutablePointer<ArrowArray>

    init(pointer: UnsafeMutablePointer<ArrowArray>) {
        self.pointer = pointer
    }

    deinit {
        if let release = pointer.pointee.release {
            release(pointer)
        }
        pointer.deallocate()
    }

    /// The number of rows in the chunk.
    public var length: Int { Int(pointer.pointee.length) }
}
