import Foundation
import GraphJSON
import Staging
import Synchronization

/// A task's progress through the phases of a staging load or an ingest, moved while a phase runs
/// a DuckDB statement by DuckDB's own progress of it (``StagingConnection/queryProgress()``).
///
/// Each phase owns a part of the task's percentage, from where the task is to the phase's end.
/// While ``run(_:)`` runs the work, a ticker polls the phase's connection four times a second and
/// maps DuckDB's percentage into that part, never reaching its end: the task's percentage only
/// grows, and reaches 100 only when the work reports its completion. Each report also says what
/// a user reads in the task: the message (phase, percentage, rows, rate, time left), the phase in
/// `metadata.phase`, and `metadata.rows_per_second` and `metadata.eta_seconds` (the phase's time
/// left at its rate so far) once known. `rows_processed` and `total_rows` are DuckDB's count and
/// estimate for the running statement, or, when the phase knows its rows, that count and the
/// part of it DuckDB's percentage says is done; `bytes_processed` is the part of the sources'
/// bytes a phase that reads them has read (when their size is known in advance).
///
/// The work marks phases with ``begin(_:_:to:polling:readsSources:rows:)``, from any thread (an
/// executor thread calls it right before it runs the phase's statement). Polling does not block:
/// reading DuckDB's progress takes no DuckDB lock.
package final class PhasedProgress: Sendable {
    /// The task's progress.
    let task: TaskProgress
    /// The sources' bytes, when known in advance.
    let totalBytes: Int64?
    /// The node's measured engine COPY rate, for the estimate of the graph's COPY.
    let copyRate: CopyRate
    /// How often the ticker polls.
    static let interval: Duration = .milliseconds(250)

    /// What a phase says about rows.
    enum Rows: Sendable {
        /// DuckDB's count and estimate for the statement (right for scans of tables and Parquet).
        case duckDB
        /// The statement handles this many rows: the rows done are estimated from DuckDB's
        /// percentage (DuckDB counts a CSV scan in its own units, not rows).
        case known(Int64)
        /// No rows are reported (a count of CSV rows, whose units are not rows).
        case none
    }

    private struct Phase: Sendable {
        var name: String
        var label: String
        var from: Double
        var to: Double
        var connection: StagingConnection?
        /// The connection's progress when the phase began: the previous statement's, shown until
        /// the phase's own statement starts (which resets it), so it is not this phase's.
        var stale: StagingQueryProgress?
        var started: ContinuousClock.Instant
        var readsSources: Bool
        var rows: Rows
        var generation: Int
    }

    private struct State: Sendable {
        var phase: Phase?
        /// The highest percentage reported through this object.
        var percent: Double = 0
        var generation = 0
    }

    private let state = Mutex(State())

    init(_ task: TaskProgress, totalBytes: Int64?, copyRate: CopyRate) {
        self.task = task
        self.totalBytes = totalBytes
        self.copyRate = copyRate
    }

    /// The highest percentage reported through this object so far.
    var percent: Double { state.withLock { $0.percent } }

    /// Reports `percent` (with a message), outside any phase's polling.
    func report(percent: Double, message: String, phase: String) {
        let percent = state.withLock { state in
            state.percent = max(state.percent, percent)
            return state.percent
        }
        task.report(percent: percent, message: message, metadata: ["phase": .string(phase), "eta_seconds": .null, "rows_per_second": .null])
    }

    /// Starts phase `name` (`label` is its text for people): it runs from the task's percentage
    /// now up to `to` (exclusive). With `connection`, the progress of the statement running on
    /// it moves the phase; `readsSources` says that statement reads every byte of the sources,
    /// and `rows` what to say about its rows.
    func begin(
        _ name: String, _ label: String, to: Double, polling connection: StagingConnection? = nil, readsSources: Bool = false,
        rows: Rows = .duckDB
    ) {
        let stale = connection?.queryProgress()
        let from = state.withLock { state in
            state.generation += 1
            state.phase = Phase(
                name: name, label: label, from: state.percent, to: max(to, state.percent), connection: connection, stale: stale,
                started: .now, readsSources: readsSources, rows: rows, generation: state.generation
            )
            return state.percent
        }
        task.report(percent: from, message: label, metadata: ["phase": .string(name), "eta_seconds": .null, "rows_per_second": .null])
    }

    /// Runs the graph's COPY of `bytes` into `table` as the phase `copying_into_graph`, up to
    /// `to`: the engine reports no progress, so the estimate from the node's COPY rate
    /// (``CopyRate``) moves it.
    func graphCopy<T: Sendable>(bytes: Int64, into table: String, to: Double, _ copy: () async throws -> T) async throws -> T {
        begin("copying_into_graph", "copying into \(table)", to: to)
        let from = percent
        return try await copyRate.reporting(bytes: bytes, from: from, to: max(from, to), table: table, progress: task) {
            try await copy()
        }
    }

    /// Runs `work` while a ticker polls the current phase (see ``poll()``), and stops it after.
    func run<T>(_ work: () async throws -> T) async rethrows -> T {
        let ticker = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                if Task.isCancelled { break }
                poll()
            }
        }
        defer { ticker.cancel() }
        return try await work()
    }

    /// Reads the current phase's DuckDB progress and reports it, if there is news.
    func poll() {
        guard let phase = state.withLock({ $0.phase }), let connection = phase.connection else { return }
        guard let value = connection.queryProgress(), value != phase.stale else { return }
        let elapsed = (ContinuousClock.now - phase.started).seconds
        let done = value.percentage
        let percent: Double? = state.withLock { state in
            guard state.phase?.generation == phase.generation else { return nil }
            // Never the phase's end: that is the next phase's start, or the completion.
            state.percent = max(state.percent, phase.from + (phase.to - phase.from) * min(done, 99) / 100)
            return state.percent
        }
        guard let percent else { return }
        let (rows, totalRows): (UInt64?, UInt64?) =
            switch phase.rows {
            case .duckDB: (value.rowsProcessed, value.totalRowsToProcess > 0 ? value.totalRowsToProcess : nil)
            case .known(let total): (UInt64(Double(max(0, total)) * done / 100), UInt64(max(0, total)))
            case .none: (nil, nil)
            }
        let rate: Double? = elapsed >= 0.2 ? rows.flatMap { $0 > 0 ? Double($0) / elapsed : nil } : nil
        let eta: Double? = done >= 1 && elapsed >= 0.5 ? elapsed * (100 - done) / done : nil
        var text = "\(phase.label): \(Int(done))%"
        if let rows {
            text += ", \(Self.count(rows))"
            if let totalRows { text += " of \(Self.isEstimate(phase.rows) ? "about " : "")\(Self.count(totalRows))" }
            text += " rows"
        }
        if let rate { text += ", \(Self.count(UInt64(rate))) rows/s" }
        if let eta { text += ", about \(Int(eta.rounded(.up))) s left" }
        let bytes = phase.readsSources ? totalBytes.map { Int64(Double($0) * done / 100) } : nil
        task.report(
            percent: percent, rowsProcessed: rows.map { Int64(clamping: $0) }, bytesProcessed: bytes,
            totalRows: totalRows.map { Int64(clamping: $0) }, totalBytes: totalBytes, message: text,
            metadata: [
                "phase": .string(phase.name), "rows_per_second": rate.map { .double(($0 * 10).rounded() / 10) } ?? .null,
                "eta_seconds": eta.map { .double(($0 * 10).rounded() / 10) } ?? .null,
            ]
        )
    }

    /// Whether the total rows of a phase are DuckDB's estimate.
    private static func isEstimate(_ rows: Rows) -> Bool {
        if case .duckDB = rows { return true }
        return false
    }

    /// `1234567` as `1.2M`, `12345` as `12.3k`.
    static func count(_ value: UInt64) -> String {
        switch value {
        case 1_000_000...: String(format: "%.1fM", Double(value) / 1_000_000)
        case 10_000...: String(format: "%.1fk", Double(value) / 1_000)
        default: "\(value)"
        }
    }
}
