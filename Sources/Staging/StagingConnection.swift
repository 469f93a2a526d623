import CDuckDB
import GraphEngine
import Dispatch
import Foundation
import Synchronization

/// A connection to a ``StagingDatabase``: runs one statement at a time.
///
/// **Blocking.** Every method except ``interrupt()`` blocks the calling thread while DuckDB works;
/// from async code run them on a ``StagingExecutor`` (``StagingExecutor/run(on:_:)``), never on the
/// cooperative pool or an event loop.
///
/// **One statement at a time.** Calls from several threads are serialised; an executor lease holds
/// the connection for the whole of its body.
///
/// **Stopping.** ``interrupt()`` may be called from any thread while a statement runs; the call
/// running it then throws ``StagingError/Kind/interrupted`` and the connection stays usable.
public final class StagingConnection: @unchecked Sendable {
    // @unchecked Sendable: every DuckDB call on the handle happens while `callLock` is held, so
    // DuckDB sees one call at a time; `interrupt` (which DuckDB allows from another thread while a
    // statement runs) reads the handle under `state`'s mutex, and `close` clears it there before
    // disconnecting.
    private struct State: @unchecked Sendable {  // the raw handle; guarded by the Mutex
        var handle: duckdb_connection?
        /// The cancellation of the executor lease currently holding the connection.
        var cancellation: CancellationFlag?
        /// Nesting depth of executor leases held by the current holder of `callLock`.
        var leaseDepth = 0
        /// Incremented at the start of every call.
        var generation: UInt64 = 0
        /// Whether a DuckDB call is in progress.
        var running = false
        /// Whether `interrupt()` was called during the call in progress.
        var interruptRequested = false
        /// Prepared statements closed while another thread held the connection; destroyed when
        /// that call ends, so DuckDB never frees a statement under a running call.
        var pendingDestruction: [duckdb_prepared_statement] = []
    }

    /// The database this connection belongs to.
    public let database: StagingDatabase
    /// Held for the whole of every DuckDB call and of every executor lease. Recursive so a lease
    /// can make several calls.
    private let callLock = NSRecursiveLock()
    private let state: Mutex<State>

    init(database: StagingDatabase, handle: duckdb_connection) {
        self.database = database
        self.state = Mutex(State(handle: handle))
    }

    deinit { close() }

    /// Runs `sql` — any number of statements separated by `;` — and discards results.
    ///
    /// - Returns: the rows changed by the last statement.
    @discardableResult
    public func execute(_ sql: String) throws(StagingError) -> Int {
        try Self.refuseNUL(sql)
        return try withHandle { (handle) throws(StagingError) -> Int in
            var result = duckdb_result()
            defer { duckdb_destroy_result(&result) }
            guard duckdb_query(handle, sql, &result) == DuckDBSuccess else {
                throw StagingError(failedResult: &result)
            }
            return Int(duckdb_rows_changed(&result))
        }
    }

    /// Runs a single statement with positional parameters (`?` or `$1`, `$2`, ...) bound through a
    /// prepared statement, and returns its materialised result.
    public func query(_ sql: String, parameters: [StagingValue] = []) throws(StagingError) -> StagingResult {
        let statement = try prepare(sql)
        defer { statement.close() }
        return try statement.execute(parameters)
    }

    /// Prepares a single statement (binding names and types without running it).
    public func prepare(_ sql: String) throws(StagingError) -> StagingPreparedStatement {
        try Self.refuseNUL(sql)
        return try withHandle { (handle) throws(StagingError) -> StagingPreparedStatement in
            var prepared: duckdb_prepared_statement?
            guard duckdb_prepare(handle, sql, &prepared) == DuckDBSuccess, let prepared else {
                let error = StagingError(failedPrepare: prepared)
                duckdb_destroy_prepare(&prepared)
                throw error
            }
            return StagingPreparedStatement(connection: self, handle: prepared)
        }
    }

    /// Classifies `sql` without running it: the type of its only statement, or
    /// ``StagingStatementType/multiple`` when it holds several. Throws parser, binder and catalog
    /// errors, since classifying a statement binds it.
    public func statementType(of sql: String) throws(StagingError) -> StagingStatementType {
        try Self.refuseNUL(sql)
        return try withHandle { (handle) throws(StagingError) -> StagingStatementType in
            var extracted: duckdb_extracted_statements?
            defer { duckdb_destroy_extracted(&extracted) }
            let count = duckdb_extract_statements(handle, sql, &extracted)
            guard count > 0, let extracted else {
                if let message = extracted.flatMap({ duckdb_extract_statements_error($0) }) {
                    throw StagingError(duckdbMessage: String(cString: message))
                }
                throw StagingError(kind: .invalidInput, message: "The SQL text holds no statement")
            }
            if count > 1 { return .multiple }
            var prepared: duckdb_prepared_statement?
            defer { duckdb_destroy_prepare(&prepared) }
            guard duckdb_prepare_extracted_statement(handle, extracted, 0, &prepared) == DuckDBSuccess,
                let prepared
            else {
                throw StagingError(failedPrepare: prepared)
            }
            return StagingStatementType(duckdb_prepared_statement_type(prepared))
        }
    }

    /// Whether `sql` is exactly one query statement (see ``statementType(of:)``).
    public func isSelect(_ sql: String) throws(StagingError) -> Bool {
        try statementType(of: sql).isSelect
    }

    /// Asks DuckDB to stop the statement running on this connection; the call running it then
    /// throws ``StagingError/Kind/interrupted`` (even if DuckDB happened to finish first). Safe to
    /// call from any thread; does nothing when no statement runs, and never affects a later one.
    public func interrupt() {
        interrupt(if: { _ in true })
    }

    /// Runs `body` with the raw handle under the state mutex (never under `callLock`, so it does
    /// not wait for a running statement), or returns `nil` once the connection is closed. For
    /// the calls DuckDB allows from another thread while a statement runs; `body` must not block.
    func withRawHandleIfOpen<T: Sendable>(_ body: (duckdb_connection) -> T) -> T? {
        state.withLock { state in state.handle.map(body) }
    }

    /// Interrupts the running call if `condition` holds, checked under the same lock.
    private func interrupt(if condition: (State) -> Bool) {
        let generation: UInt64? = state.withLock { state in
            guard state.running, condition(state), let handle = state.handle else { return nil }
            state.interruptRequested = true
            duckdb_interrupt(handle)
            return state.generation
        }
        if let generation { scheduleReinterrupt(generation: generation, attempt: 0) }
    }

    /// DuckDB clears its interrupt flag when a statement starts executing, so an interrupt that
    /// lands between the start of our call and that moment would be lost. Repeat it a few times
    /// while the same call is still running.
    private func scheduleReinterrupt(generation: UInt64, attempt: Int) {
        let delays = [1, 5, 20, 50, 100, 200, 500, 1000]
        guard attempt < delays.count else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delays[attempt])) { [weak self] in
            guard let self else { return }
            let again = self.state.withLock { state in
                guard state.running, state.generation == generation, let handle = state.handle else { return false }
                duckdb_interrupt(handle)
                return true
            }
            if again { self.scheduleReinterrupt(generation: generation, attempt: attempt + 1) }
        }
    }

    /// Interrupts the running statement, waits for the running call (or executor lease) to end,
    /// and disconnects. Idempotent.
    public func close() {
        interrupt()
        callLock.lock()
        defer { callLock.unlock() }
        destroyPending()
        var handle = state.withLock { state in
            defer { state.handle = nil }
            return Handle(raw: state.handle)
        }.raw
        if handle != nil { duckdb_disconnect(&handle) }
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { state.withLock { $0.handle == nil } }

    // MARK: - Internal

    /// Runs one blocking DuckDB call with the handle, serialised with every other call.
    ///
    /// The call is refused when the governing ``StagingExecutor`` cancellation has already fired,
    /// and a value obtained while an interrupt or cancellation arrived is discarded: an interrupted
    /// call always throws ``StagingError/Kind/interrupted``.
    func withHandle<T: Sendable>(
        _ body: (duckdb_connection) throws(StagingError) -> T
    ) throws(StagingError) -> T {
        callLock.lock()
        defer { callLock.unlock() }
        let (handle, cancellation) = state.withLock { state in
            state.generation &+= 1
            state.running = state.handle != nil
            state.interruptRequested = false
            return (Handle(raw: state.handle), state.cancellation)
        }
        defer {
            state.withLock { $0.running = false }
            destroyPending()
        }
        guard let handle = handle.raw else { throw StagingError.closed("connection") }
        if let cancellation, cancellation.isCancelled { throw StagingError.cancelled }
        let value = try body(handle)
        if state.withLock({ $0.interruptRequested }) { throw StagingError.interrupted }
        if let cancellation, cancellation.isCancelled { throw StagingError.cancelled }
        return value
    }

    /// Destroys a prepared statement of this connection now if no other thread is using the
    /// connection, else as soon as the call running on it ends (without blocking the caller).
    func destroyPrepared(_ prepared: duckdb_prepared_statement) {
        state.withLock { $0.pendingDestruction.append(prepared) }
        if callLock.try() {
            destroyPending()
            callLock.unlock()
        }
    }

    /// Destroys the statements queued by `destroyPrepared`; called holding `callLock`.
    private func destroyPending() {
        let pending = state.withLock { state in
            defer { state.pendingDestruction = [] }
            return PreparedHandles(raw: state.pendingDestruction)
        }
        for prepared in pending.raw {
            var owned: duckdb_prepared_statement? = prepared
            duckdb_destroy_prepare(&owned)
        }
    }

    /// Holds the connection for the whole of `body` (an executor lease): other threads' calls wait,
    /// and `cancellation` governs every call `body` makes (see ``withHandle(_:)``).
    package func withLease<T>(cancellation: CancellationFlag, _ body: () throws -> T) rethrows -> T {
        callLock.lock()
        state.withLock { state in
            state.leaseDepth += 1
            if state.leaseDepth == 1 { state.cancellation = cancellation }
        }
        defer {
            state.withLock { state in
                state.leaseDepth -= 1
                if state.leaseDepth == 0 { state.cancellation = nil }
            }
            destroyPending()
            callLock.unlock()
        }
        return try body()
    }

    /// Interrupts the running statement if `cancellation` still governs this connection, so a late
    /// cancellation never interrupts a later caller's statement.
    package func interrupt(for cancellation: CancellationFlag) {
        interrupt(if: { $0.cancellation === cancellation })
    }

    private static func refuseNUL(_ sql: String) throws(StagingError) {
        if StagingSQL.containsNUL(sql) {
            throw StagingError(kind: .invalidInput, message: "SQL text must not contain a NUL character")
        }
    }

    /// Carries the raw handle out of the state lock.
    private struct Handle: @unchecked Sendable {  // a raw pointer, used under `callLock`
        let raw: duckdb_connection?
    }

    /// Carries queued statement handles out of the state lock.
    private struct PreparedHandles: @unchecked Sendable {  // raw pointers, destroyed under `callLock`
        let raw: [duckdb_prepared_statement]
    }
}

extension StagingConnection: ExecutorLeasable {
    package static var cancelledBeforeStart: any Error { StagingError.cancelledBeforeStart }
}

extension StagingError {
    static let cancelled = StagingError(kind: .interrupted, message: "The query was cancelled")
    static let interrupted = StagingError(kind: .interrupted, message: "The query was interrupted")

    /// The error of a failed `duckdb_result`.
    init(failedResult result: inout duckdb_result) {
        let message = duckdb_result_error(&result).map { String(cString: $0) } ?? "Unknown DuckDB error"
        self.init(duckdbType: duckdb_result_error_type(&result), message: message)
    }

    /// The error of a failed `duckdb_prepare` (DuckDB gives a message, not a type).
    init(failedPrepare prepared: duckdb_prepared_statement?) {
        let message = prepared.flatMap { duckdb_prepare_error($0) }.map { String(cString: $0) }
        self.init(duckdbMessage: message ?? "Could not prepare the statement")
    }
}
