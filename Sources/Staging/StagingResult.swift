import CDuckDB
import Synchronization

/// A result column: its name and SQL type.
public struct StagingColumn: Sendable, Hashable {
    /// The column's name as DuckDB reports it.
    public var name: String
    /// The column's SQL type.
    public var type: StagingType

    /// Creates a column description.
    public init(name: String, type: StagingType) {
        self.name = name
        self.type = type
    }
}

/// Owns a `duckdb_result` until neither the ``StagingResult`` nor any chunk read from it needs it.
final class ResultStorage: @unchecked Sendable {
    // Safe to share: `raw` is written once here and destroyed in deinit; DuckDB only reads it
    // through `duckdb_fetch_chunk`, which StagingResult serialises under its mutex.
    let raw: duckdb_result

    init(_ raw: duckdb_result) { self.raw = raw }

    deinit {
        var raw = raw
        duckdb_destroy_result(&raw)
    }
}

/// The materialised result of one statement, read chunk by chunk.
///
/// Each call to ``nextChunk()`` hands out the next `duckdb_data_chunk` (up to 2,048 rows, DuckDB's
/// vector size) whose values are read straight from DuckDB's column vectors. The result does not
/// depend on its connection any more: it can be read while the connection runs other statements.
public final class StagingResult: @unchecked Sendable {
    // Safe to share: the C result is only touched under `state`'s mutex, and chunk handles keep
    // their own reference to the storage so closing never frees memory a chunk still reads.
    private struct State {
        var storage: ResultStorage?
        var rowsRead = 0
    }

    /// The result's columns, in order.
    public let columns: [StagingColumn]
    /// Rows inserted, updated or deleted by the statement (0 for queries).
    public let rowsChanged: Int
    /// The kind of statement that produced the result.
    public let statementType: StagingStatementType
    private let decoders: [VectorDecoder]
    private let state: Mutex<State>

    /// Takes ownership of a successful `duckdb_result`.
    init(taking raw: duckdb_result) {
        var raw = raw
        let count = Int(duckdb_column_count(&raw))
        var columns: [StagingColumn] = [], decoders: [VectorDecoder] = []
        columns.reserveCapacity(count)
        for index in 0..<count {
            let name = duckdb_column_name(&raw, idx_t(index)).map { String(cString: $0) } ?? ""
            var logical = duckdb_column_logical_type(&raw, idx_t(index))
            let (type, decoder) =
                logical.map { StagingType.read($0) } ?? (.other("UNKNOWN"), .unsupported("UNKNOWN"))
            duckdb_destroy_logical_type(&logical)
            columns.append(StagingColumn(name: name, type: type))
            decoders.append(decoder)
        }
        self.columns = columns
        self.decoders = decoders
        self.rowsChanged = Int(duckdb_rows_changed(&raw))
        self.statementType = StagingStatementType(duckdb_result_statement_type(raw))
        self.state = Mutex(State(storage: ResultStorage(raw)))
    }

    /// The column names, in order.
    public var columnNames: [String] { columns.map(\.name) }

    /// The number of rows handed out by ``nextChunk()`` so far (the total once it returned `nil`).
    public var rowsRead: Int { state.withLock { $0.rowsRead } }

    /// The next chunk of rows, or `nil` once the result is exhausted or closed.
    public func nextChunk() -> StagingChunk? {
        state.withLock { state -> StagingChunk? in
            guard let storage = state.storage else { return nil }
            guard let chunk = duckdb_fetch_chunk(storage.raw) else {
                state.storage = nil
                return nil
            }
            let result = StagingChunk(taking: chunk, storage: storage, decoders: decoders)
            guard result.count > 0 else {
                state.storage = nil
                return nil
            }
            state.rowsRead += result.count
            return result
        }
    }

    /// Reads every remaining row (convenient for small results and tests; use ``nextChunk()`` for
    /// large ones).
    public func rows() -> [[StagingValue]] {
        var rows: [[StagingValue]] = []
        while let chunk = nextChunk() {
            for row in 0..<chunk.count { rows.append(chunk.row(row)) }
        }
        return rows
    }

    /// Releases the result; ``nextChunk()`` returns `nil` afterwards. Chunks already handed out stay
    /// readable.
    public func close() {
        state.withLock { $0.storage = nil }
    }
}

/// Up to 2,048 rows of a ``StagingResult``, read column-wise from DuckDB's vectors.
public final class StagingChunk: @unchecked Sendable {
    // Safe to share: after init the chunk is only read (DuckDB vectors are plain memory that no
    // one mutates), and it is destroyed once, in deinit.
    private let handle: duckdb_data_chunk
    private let storage: ResultStorage
    private let readers: [VectorReader]
    /// The number of rows in the chunk.
    public let count: Int

    init(taking handle: duckdb_data_chunk, storage: ResultStorage, decoders: [VectorDecoder]) {
        self.handle = handle
        self.storage = storage
        self.count = Int(duckdb_data_chunk_get_size(handle))
        self.readers = decoders.indices.map {
            VectorReader(vector: duckdb_data_chunk_get_vector(handle, idx_t($0)), decoder: decoders[$0])
        }
    }

    deinit {
        var handle: duckdb_data_chunk? = handle
        duckdb_destroy_data_chunk(&handle)
    }

    /// The number of columns.
    public var columnCount: Int { readers.count }

    /// Whether the value at `row` (0..<count) of `column` is NULL.
    public func isNull(row: Int, column: Int) -> Bool {
        precondition(row >= 0 && row < count, "row out of range")
        return readers[column].isNull(row)
    }

    /// The decoded value at `row` (0..<count) of `column`.
    public func value(row: Int, column: Int) -> StagingValue {
        precondition(row >= 0 && row < count, "row out of range")
        return readers[column].value(row)
    }

    /// Every column's value in `row`.
    public func row(_ row: Int) -> [StagingValue] {
        precondition(row >= 0 && row < count, "row out of range")
        return readers.map { $0.value(row) }
    }
}
