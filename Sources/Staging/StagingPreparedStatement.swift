import CDuckDB
import Synchronization

/// A single statement prepared on a ``StagingConnection``: classified and bound, ready to run
/// any number of times with different parameters.
///
/// A caller that must accept only queries prepares first, checks ``statementType`` (or
/// ``isSelect``), then runs it — the statement is bound once and never run if refused.
public final class StagingPreparedStatement: @unchecked Sendable {
    // @unchecked Sendable: the C handle is used only during a call on its connection (under the
    // connection's call lock, so DuckDB sees one call at a time) and destroyed by the connection
    // under that same lock, once `close` took it out of `handle`'s mutex.

    /// The connection the statement runs on.
    public let connection: StagingConnection
    /// The statement's kind.
    public let statementType: StagingStatementType
    /// The number of positional parameters the statement expects.
    public let parameterCount: Int
    /// The result columns the statement will produce.
    public let columns: [StagingColumn]
    private struct Handle: @unchecked Sendable {
        // Unchecked: the raw C handle, only used under the mutex that holds it.
        var raw: duckdb_prepared_statement?
    }

    private let handle: Mutex<Handle>

    init(connection: StagingConnection, handle: duckdb_prepared_statement) {
        self.connection = connection
        self.statementType = StagingStatementType(duckdb_prepared_statement_type(handle))
        self.parameterCount = Int(duckdb_nparams(handle))
        let columnCount = Int(duckdb_prepared_statement_column_count(handle))
        self.columns = (0..<columnCount).map { index in
            let name = takeDuckDBString(duckdb_prepared_statement_column_name(handle, idx_t(index)))
            var logical = duckdb_prepared_statement_column_logical_type(handle, idx_t(index))
            defer { duckdb_destroy_logical_type(&logical) }
            return StagingColumn(name: name, type: logical.map { StagingType($0) } ?? .other("UNKNOWN"))
        }
        self.handle = Mutex(Handle(raw: handle))
    }

    deinit { close() }

    /// Whether the statement is a single query.
    public var isSelect: Bool { statementType.isSelect }

    /// Binds `parameters` (in order, one per placeholder) and runs the statement.
    ///
    /// - Throws: ``StagingError/Kind/parameterCount`` when the count differs from
    ///   ``parameterCount``; ``StagingError/Kind/unsupportedParameter`` for list, struct and map
    ///   values; DuckDB's error when running fails.
    public func execute(_ parameters: [StagingValue] = []) throws(StagingError) -> StagingResult {
        guard parameters.count == parameterCount else {
            throw StagingError(
                kind: .parameterCount,
                message: "The statement expects \(parameterCount) parameter(s) but \(parameters.count) were given")
        }
        guard handle.withLock({ $0.raw != nil }) else { throw StagingError.closed("prepared statement") }
        return try connection.withHandle { (_) throws(StagingError) -> StagingResult in
            guard let prepared = handle.withLock({ $0 }).raw else { throw StagingError.closed("prepared statement") }
            duckdb_clear_bindings(prepared)
            for (index, value) in parameters.enumerated() {
                try Self.bind(value, at: idx_t(index + 1), to: prepared)
            }
            var result = duckdb_result()
            guard duckdb_execute_prepared(prepared, &result) == DuckDBSuccess else {
                let error = StagingError(failedResult: &result)
                duckdb_destroy_result(&result)
                throw error
            }
            return StagingResult(taking: result)
        }
    }

    /// Destroys the prepared statement (right away, or when the call running on its connection
    /// ends; never blocking). Idempotent.
    public func close() {
        let taken = handle.withLock { handle in
            defer { handle.raw = nil }
            return handle
        }
        if let raw = taken.raw { connection.destroyPrepared(raw) }
    }

    private static func bind(
        _ value: StagingValue, at index: idx_t, to prepared: duckdb_prepared_statement
    ) throws(StagingError) {
        let state: duckdb_state
        switch value {
        case .null: state = duckdb_bind_null(prepared, index)
        case .bool(let value): state = duckdb_bind_boolean(prepared, index, value)
        case .int(let value): state = duckdb_bind_int64(prepared, index, value)
        case .uint(let value): state = duckdb_bind_uint64(prepared, index, value)
        case .hugeint(let value):
            let huge = duckdb_hugeint(lower: UInt64(truncatingIfNeeded: value), upper: Int64(truncatingIfNeeded: value >> 64))
            state = duckdb_bind_hugeint(prepared, index, huge)
        case .uhugeint(let value):
            let huge = duckdb_uhugeint(lower: UInt64(truncatingIfNeeded: value), upper: UInt64(truncatingIfNeeded: value >> 64))
            state = duckdb_bind_uhugeint(prepared, index, huge)
        case .float(let value): state = duckdb_bind_float(prepared, index, value)
        case .double(let value): state = duckdb_bind_double(prepared, index, value)
        case .decimal(let text), .string(let text), .uuid(let text):
            // Bound as VARCHAR; DuckDB casts it to the parameter's type.
            state = text.withCString { duckdb_bind_varchar_length(prepared, index, $0, idx_t(text.utf8.count)) }
        case .blob(let bytes):
            state = bytes.withUnsafeBytes { buffer in
                withUnsafeTemporaryAllocation(byteCount: 1, alignment: 1) { empty in
                    duckdb_bind_blob(prepared, index, buffer.baseAddress ?? UnsafeRawPointer(empty.baseAddress!), idx_t(buffer.count))
                }
            }
        case .date(let date): state = duckdb_bind_date(prepared, index, duckdb_date(days: date.daysSinceEpoch))
        case .time(let time):
            state = duckdb_bind_time(prepared, index, duckdb_time(micros: time.nanosecondsSinceMidnight / 1000))
        case .timeWithTimeZone(let time, let offset):
            var bound = duckdb_create_time_tz_value(duckdb_create_time_tz(time.nanosecondsSinceMidnight / 1000, offset))
            defer { duckdb_destroy_value(&bound) }
            state = duckdb_bind_value(prepared, index, bound)
        case .timestamp(let timestamp):
            state = duckdb_bind_timestamp(prepared, index, duckdb_timestamp(micros: timestamp.microsecondsSinceEpoch))
        case .timestampWithTimeZone(let timestamp):
            state = duckdb_bind_timestamp_tz(prepared, index, duckdb_timestamp(micros: timestamp.microsecondsSinceEpoch))
        case .interval(let interval):
            state = duckdb_bind_interval(
                prepared, index,
                duckdb_interval(months: interval.months, days: interval.days, micros: interval.microseconds))
        case .list, .struct, .map, .unsupported:
            throw StagingError(
                kind: .unsupportedParameter, message: "Parameter \(index) cannot be bound: only scalar values bind")
        }
        guard state == DuckDBSuccess else {
            throw StagingError(kind: .invalidInput, message: "Parameter \(index) could not be bound (\(value))")
        }
    }
}
