import CDuckDB

/// How far DuckDB has got with the statement running on a connection
/// (``StagingConnection/queryProgress()``).
public struct StagingQueryProgress: Sendable, Hashable {
    /// 0 to 100: DuckDB's estimate of the part of the statement done (for a scan, the part of the
    /// files read: bytes for CSV, row groups for Parquet).
    public var percentage: Double
    /// Rows the statement's pipelines have handled so far (a row passing through several
    /// pipelines, such as a scan and a `DISTINCT`, counts in each).
    public var rowsProcessed: UInt64
    /// DuckDB's estimate of the rows its pipelines will handle in all (from the sources'
    /// cardinality estimates; for CSV a guess from the file size).
    public var totalRowsToProcess: UInt64

    /// Creates a progress value.
    public init(percentage: Double, rowsProcessed: UInt64, totalRowsToProcess: UInt64) {
        self.percentage = percentage
        self.rowsProcessed = rowsProcessed
        self.totalRowsToProcess = totalRowsToProcess
    }
}

extension StagingConnection {
    /// Turns on DuckDB's progress tracking for this connection (`enable_progress_bar`), without
    /// anything printed (`enable_progress_bar_print = false`), so that ``queryProgress()``
    /// reports the statements it runs.
    ///
    /// These are per-connection settings that DuckDB does not accept at open or globally, and
    /// that cannot change once the instance is locked down (``StagingDatabase/lockDown(to:)-(String)``):
    /// call this on a connection made before the lock-down; the connection keeps the setting
    /// and is confined like every other one. Blocking.
    public func enableProgressReporting() throws(StagingError) {
        try execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    }

    /// The progress of the statement running on this connection, or `nil` when DuckDB knows none
    /// (no statement runs, it has only just started, its sources report no progress, or
    /// ``enableProgressReporting()`` was not called). After a statement ends, its last value
    /// stays until the next statement starts.
    ///
    /// Safe to call from any thread while another thread runs a statement on the connection, and
    /// does not block: DuckDB keeps the value in atomics that its executing thread updates, and
    /// the call takes no DuckDB lock (only this connection's state mutex, held briefly, so the
    /// connection cannot be closed under it).
    public func queryProgress() -> StagingQueryProgress? {
        let value: duckdb_query_progress_type? = withRawHandleIfOpen { duckdb_query_progress($0) }
        guard let value, value.percentage.isFinite, value.percentage >= 0 else { return nil }
        return StagingQueryProgress(
            percentage: min(100, value.percentage), rowsProcessed: value.rows_processed, totalRowsToProcess: value.total_rows_to_process
        )
    }
}
