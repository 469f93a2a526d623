import CLadybug
import Dispatch
import Foundation
import Synchronization

/// A connection to a ``Database``: the unit that runs queries.
///
/// **One query at a time.** The engine runs one statement per connection at a time. Calls on one
/// connection from several threads are serialised: each blocking call (``query(_:)``,
/// ``prepare(_:)``, ``execute(_:parameters:)``, …) waits until the previous one has returned. Use
/// one connection per concurrent query; connections are cheap.
///
/// **Blocking.** Every method except ``interrupt()`` may block for as long as the engine works.
/// From async code, run them on an ``EngineExecutor`` (``EngineExecutor/run(on:_:)``) or use
/// ``run(_:parameters:on:)``, never on the cooperative pool or an event loop.
///
/// **Stopping a query.** ``interrupt()`` (from any thread) and the query timeout
/// (``setQueryTimeout(milliseconds:)``) both stop a running query; the engine reports both as
/// `Interrupted.`, and the connection remembers which one it asked for, so the error's kind is
/// ``EngineError/Kind/interrupted`` or ``EngineError/Kind/timeout``. The connection stays usable.
///
/// **Lifetime.** A connection keeps its database alive; results and prepared statements keep their
/// connection alive. ``close()`` (or ``Database/close()``) ends it early: later calls throw
/// ``EngineError/Kind/closed``, and its results and statements are invalidated.
public final class Connection: @unchecked Sendable {
    // @unchecked Sendable: the C handle is only used while `callLock` is held (calls) or while
    // `state` is locked (interrupt, destroy), and the engine's connection is thread-safe for
    // `interrupt` racing a running query.

    /// The database this connection belongs to.
    public let database: Database

    /// Held for the whole of every engine call, so calls are serialised and the handle cannot be
    /// destroyed under a running call. Recursive so an executor lease (``EngineExecutor/run(on:_:)``)
    /// can hold it across several calls.
    private let callLock = NSRecursiveLock()
    private let state: Mutex<State>
    /// Statements prepared through ``prepareCached(_:)``, by text.
    private let statementCache = Mutex(StatementCache())

    private struct State: @unchecked Sendable {  // the raw handle; guarded by the Mutex
        var handle: UnsafeMutablePointer<lbug_connection>?
        /// Set when closing starts: new calls fail at once.
        var closing = false
        /// Incremented at the start of every call.
        var generation: UInt64 = 0
        var running = false
        /// `interrupt()` was called during the current call.
        var interruptRequested = false
        var timeoutMilliseconds: UInt64 = 0
        /// Nesting depth of `callLock` held by the current holder.
        var leaseDepth = 0
        /// The cancellation of the executor lease currently holding the connection.
        var cancellation: CancellationFlag?
        /// Results and statements to invalidate on close.
        var children: [ObjectIdentifier: WeakChild] = [:]
        /// Engine objects whose owners went away while a call was running; destroyed when the
        /// call ends, so the engine never frees memory under a running query on this connection.
        var pendingDestruction: [PendingDestruction] = []
        /// Set at the end of `shutDown()`: the engine objects are gone, and the database may be
        /// destroyed at any moment.
        var shutDownComplete = false
    }

    enum PendingDestruction: @unchecked Sendable {
        case result(UnsafeMutablePointer<lbug_query_result>)
        case statement(UnsafeMutablePointer<lbug_prepared_statement>)

        /// Frees only the Swift-side storage, leaving the engine object unfreed.
        func abandon() {
            switch self {
            case .result(let handle): handle.deallocate()
            case .statement(let handle): handle.deallocate()
            }
        }

        func destroy() {
            switch self {
            case .result(let handle):
                lbug_query_result_destroy(handle)
                handle.deallocate()
            case .statement(let handle):
                lbug_prepared_statement_destroy(handle)
                handle.deallocate()
            }
        }
    }

    struct WeakChild {
        weak var object: (any ConnectionChild)?
    }

    init(database: Database, handle: UnsafeMutablePointer<lbug_connection>) {
        self.database = database
        self.state = Mutex(State(handle: handle))
    }

    deinit {
        // No results or statements are left (they keep the connection alive).
        let (handle, pending) = state.withLock { state in
            defer {
                state.handle = nil
                state.pendingDestruction = []
            }
            return (state.handle, state.pendingDestruction)
        }
        pending.forEach { $0.destroy() }
        if let handle {
            lbug_connection_destroy(handle)
            handle.deallocate()
        }
        database.forget(self)
    }

    /// Whether ``close()`` has been called on the connection or its database.
    public var isClosed: Bool {
        state.withLock { $0.closing || $0.handle == nil }
    }

    // MARK: - Queries

    /// Runs one or more statements given as plain text (separated by `;`), without parameters.
    ///
    /// The first statement's result is returned; the others follow through
    /// ``QueryResult/nextQueryResult()``. Plain text never takes the database's write gate: use
    /// ``run(_:parameters:on:)`` for writes that must queue behind other writers.
    ///
    /// - Throws: ``EngineError``, classified from the engine's message.
    public func query(_ text: String) throws -> QueryResult {
        try checkText(text)
        return try withCall { handle in
            let result = UnsafeMutablePointer<lbug_query_result>.allocate(capacity: 1)
            result.initialize(to: lbug_query_result())
            let state = text.withCString { lbug_connection_query(handle, $0, result) }
            return try self.finish(result, state: state, parameterNames: [], parameters: [:])
        }
    }

    /// Prepares a single statement for (repeated) execution with parameters.
    ///
    /// - Throws: ``EngineError`` (parse, bind, catalog, …) if the statement is not valid.
    public func prepare(_ text: String) throws -> PreparedStatement {
        try prepare(text, facts: nil)
    }

    private func prepare(_ text: String, facts: StatementFacts?) throws -> PreparedStatement {
        try checkText(text)
        return try withCall { handle in
            let statement = UnsafeMutablePointer<lbug_prepared_statement>.allocate(capacity: 1)
            statement.initialize(to: lbug_prepared_statement())
            let state = text.withCString { lbug_connection_prepare(handle, $0, statement) }
            guard state == LbugSuccess, lbug_prepared_statement_is_success(statement) else {
                var message = lbug_prepared_statement_get_error_message(statement).map { pointer in
                    defer { lbug_destroy_string(pointer) }
                    return String(cString: pointer)
                }
                if message == nil { message = takeLastEngineError() }
                lbug_prepared_statement_destroy(statement)
                statement.deallocate()
                throw self.classify(message ?? "The statement could not be prepared.")
            }
            let prepared = PreparedStatement(
                connection: self, handle: statement, text: text,
                parameterNames: ParameterScanner.parameterNames(in: text), facts: facts)
            self.adopt(prepared)
            return prepared
        }
    }

    /// Returns the statement this connection prepared for `text` before, or prepares it now and
    /// keeps it for the next call with the same text (at most ``statementCacheCapacity``
    /// statements of up to ``statementCacheMaxTextBytes`` bytes, least recently used dropped first).
    ///
    /// Parsing, binding and planning are most of the cost of a small query (`RETURN 1` prepares in
    /// about 20 µs and executes in 4), and applications send the same statement text again and
    /// again with other parameters. A kept statement stays correct when the schema changes: the
    /// engine binds it again when the catalog changed since it was prepared, and when a parameter's
    /// type differs from the last execution's; a statement whose table is gone fails as a fresh
    /// one would. ``execute(_:parameters:)`` binds every parameter on every call, so no value
    /// carries over from an earlier execution. Statements that fail to prepare are not kept.
    ///
    /// Kept statements hold the connection (as every statement does) until ``close()``.
    ///
    /// With `check`, the text is first parsed by the engine's parser (``StatementFacts/inspect(_:)``,
    /// which touches no file and no catalog) and `check` decides on those facts whether it may be
    /// prepared at all: whatever `check` throws is thrown before the engine binds the statement.
    /// A kept statement is checked again on every call (the facts are kept with it, so that costs
    /// no parse).
    public func prepareCached(_ text: String, check: ((StatementFacts) throws -> Void)? = nil) throws -> PreparedStatement {
        if let statement = statementCache.withLock({ $0.statement(for: text) }) {
            if let check {
                try check(try statement.facts ?? StatementFacts.inspect(text))
            }
            return statement
        }
        var facts: StatementFacts?
        if let check {
            let inspected = try StatementFacts.inspect(text)
            try check(inspected)
            facts = inspected
        }
        let statement = try prepare(text, facts: facts)
        if text.utf8.count <= Self.statementCacheMaxTextBytes {
            // The displaced statement is dropped here, outside the lock: its deinit talks to
            // this connection.
            _ = statementCache.withLock { $0.insert(statement, capacity: Self.statementCacheCapacity) }
        }
        return statement
    }

    /// The number of statements ``prepareCached(_:)`` keeps per connection.
    public static let statementCacheCapacity = 32
    /// The longest statement text, in UTF-8 bytes, ``prepareCached(_:)`` keeps.
    public static let statementCacheMaxTextBytes = 8192

    /// The number of statements ``prepareCached(_:)`` keeps now (for tests and diagnostics).
    public var cachedStatementCount: Int {
        statementCache.withLock { $0.entries.count }
    }

    /// Executes a prepared statement with parameter values.
    ///
    /// Every parameter the statement uses must be given, and every given name must be used by
    /// the statement; values bind as described in ``EngineValue``. A wrong parameter (unknown
    /// name, missing value, a value of a type the statement cannot take) fails with
    /// ``EngineError/Kind/bind`` and leaves the connection usable.
    ///
    /// This call does not take the database's write gate; ``run(_:parameters:on:)`` does.
    public func execute(_ statement: PreparedStatement, parameters: [String: EngineValue] = [:]) throws
        -> QueryResult
    {
        guard statement.connection === self else {
            throw EngineError(.bind, "The prepared statement belongs to another connection.")
        }
        // Checked without allocating on the common path: every given name is used, and (since
        // none is unknown) the counts match only when none is missing.
        if parameters.keys.contains(where: { !statement.parameterNames.contains($0) }) {
            let name = parameters.keys.filter { !statement.parameterNames.contains($0) }.sorted()[0]
            throw EngineError(
                .bind,
                "Parameter \(name) is not used by the statement"
                    + (statement.parameterNames.isEmpty
                        ? ", which takes no parameters."
                        : " (it takes \(statement.parameterNames.sorted().map { "$" + $0 }.joined(separator: ", "))).")
            )
        }
        if parameters.count != statement.parameterNames.count,
            let missing = statement.parameterNames.filter({ parameters[$0] == nil }).sorted().first
        {
            throw EngineError(
                .bind, "Parameter \(missing) not found: the statement uses $\(missing) but no value was given.")
        }
        return try withCall { handle in
            let statementHandle = try statement.borrowHandle()
            for (name, value) in parameters {
                let state = try name.withCString { cName in
                    // Scalars bind directly; other values go through an engine value.
                    switch value {
                    case .int64(let number): return lbug_prepared_statement_bind_int64(statementHandle, cName, number)
                    case .double(let number): return lbug_prepared_statement_bind_double(statementHandle, cName, number)
                    case .bool(let flag): return lbug_prepared_statement_bind_bool(statementHandle, cName, flag)
                    case .string(let text) where !text.utf8.contains(0):
                        return text.withCString { lbug_prepared_statement_bind_string(statementHandle, cName, $0) }
                    default:
                        let engineValue = try value.makeEngineValue(path: name)
                        defer { lbug_value_destroy(engineValue) }
                        return lbug_prepared_statement_bind_value(statementHandle, cName, engineValue)
                    }
                }
                guard state == LbugSuccess else {
                    throw EngineError(
                        .bind, "Parameter \(name) could not be bound: \(takeLastEngineError() ?? "unknown error").")
                }
            }
            let result = UnsafeMutablePointer<lbug_query_result>.allocate(capacity: 1)
            result.initialize(to: lbug_query_result())
            let state = lbug_connection_execute(handle, statementHandle, result)
            return try self.finish(
                result, state: state, parameterNames: statement.parameterNames, parameters: parameters)
        }
    }

    /// Prepares and executes a statement with parameters in one call.
    public func execute(_ text: String, parameters: [String: EngineValue]) throws -> QueryResult {
        let statement = try prepare(text)
        return try execute(statement, parameters: parameters)
    }

    // MARK: - Stopping queries and settings

    /// Stops the query running on this connection, if any. Callable from any thread; returns at
    /// once. The stopped call throws ``EngineError/Kind/interrupted``; the connection stays usable.
    ///
    /// With no query running this does nothing (it does not affect the next query).
    public func interrupt() {
        let generation: UInt64? = state.withLock { state in
            guard state.running, let handle = state.handle else { return nil }
            state.interruptRequested = true
            lbug_connection_interrupt(handle)
            return state.generation
        }
        if let generation {
            scheduleReinterrupt(generation: generation, attempt: 0)
        }
    }

    /// The engine clears its interrupt flag when a query starts executing, so an interrupt that
    /// lands between the start of our call and that moment would be lost. Repeat it a few times
    /// while the same call is still running.
    private func scheduleReinterrupt(generation: UInt64, attempt: Int) {
        let delays = [1, 5, 20, 50, 100, 200, 500, 1000]
        guard attempt < delays.count else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delays[attempt])) { [weak self] in
            guard let self else { return }
            let again = self.state.withLock { state -> Bool in
                guard state.running, state.generation == generation, let handle = state.handle else { return false }
                lbug_connection_interrupt(handle)
                return true
            }
            if again {
                self.scheduleReinterrupt(generation: generation, attempt: attempt + 1)
            }
        }
    }

    /// Sets the time after which a query is stopped with ``EngineError/Kind/timeout``;
    /// `0` means no timeout. Applies to the queries started after it returns.
    public func setQueryTimeout(milliseconds: UInt64) throws {
        try withCall { handle in
            guard lbug_connection_set_query_timeout(handle, milliseconds) == LbugSuccess else {
                throw EngineError(.connection, "The query timeout could not be set.")
            }
            self.state.withLock { $0.timeoutMilliseconds = milliseconds }
        }
    }

    /// The query timeout in milliseconds (`0`: none).
    public var queryTimeoutMilliseconds: UInt64 {
        state.withLock { $0.timeoutMilliseconds }
    }

    /// Sets the most threads the engine uses for one query on this connection (at most the
    /// database's ``DatabaseConfiguration/maxThreads``).
    public func setMaxThreads(_ threads: UInt64) throws {
        guard threads > 0 else { throw EngineError(.connection, "The number of threads must be at least 1.") }
        try withCall { handle in
            guard lbug_connection_set_max_num_thread_for_exec(handle, threads) == LbugSuccess else {
                throw EngineError(.connection, "The number of threads could not be set.")
            }
        }
    }

    /// The most threads the engine uses for one query on this connection.
    public func maxThreads() throws -> UInt64 {
        try withCall { handle in
            var threads: UInt64 = 0
            guard lbug_connection_get_max_num_thread_for_exec(handle, &threads) == LbugSuccess else {
                throw EngineError(.connection, "The number of threads could not be read.")
            }
            return threads
        }
    }

    /// Closes the connection: stops its running query, waits for the call to return, invalidates
    /// its results and prepared statements and frees the engine's connection. Idempotent; later
    /// calls throw ``EngineError/Kind/closed``.
    public func close() {
        shutDown()
        database.forget(self)
    }

    // MARK: - Internals

    func shutDown() {
        let alreadyClosing = state.withLock { state -> Bool in
            defer { state.closing = true }
            return state.closing
        }
        // The kept statements hold the connection: letting them go ends that cycle (each is freed
        // now, or invalidated below with the other statements if a caller still holds it).
        _ = statementCache.withLock { $0.removeAll() }
        if alreadyClosing, state.withLock({ $0.handle == nil }) { return }
        interrupt()
        callLock.lock()
        defer { callLock.unlock() }
        let (handle, children, pending) = state.withLock { state in
            defer {
                state.handle = nil
                state.children = [:]
                state.pendingDestruction = []
            }
            return (state.handle, state.children.values.compactMap(\.object), state.pendingDestruction)
        }
        // Nested results (owned by their first result) before the results that own them.
        for child in children.sorted(by: { $0.invalidationOrder < $1.invalidationOrder }) {
            child.invalidate()
        }
        pending.forEach { $0.destroy() }
        // Objects whose owners went away during the invalidation above (their weak references
        // were already gone) were queued meanwhile: destroy them too, while the database lives.
        let late = state.withLock { state in
            defer {
                state.pendingDestruction = []
                state.shutDownComplete = true
            }
            return state.pendingDestruction
        }
        late.forEach { $0.destroy() }
        if let handle {
            lbug_connection_destroy(handle)
            handle.deallocate()
        }
    }

    /// Puts the connection back into the state a new connection starts in, before it is used by
    /// another request: no query timeout, and no transaction. A transaction left open (an
    /// explicit one whose `COMMIT` never came, or one a failed statement left behind) is rolled
    /// back; the call answers `false` when that is not possible, and the connection must then be
    /// discarded, never reused.
    ///
    /// Cheap when there is nothing to undo: two field reads and a field write in the engine.
    public func resetForReuse() -> Bool {
        do {
            return try withCall { handle in
                if graphapi_connection_in_transaction(handle) {
                    var result = lbug_query_result()
                    _ = lbug_connection_query(handle, "ROLLBACK", &result)
                    lbug_query_result_destroy(&result)
                    if graphapi_connection_in_transaction(handle) { return false }
                }
                return lbug_connection_set_query_timeout(handle, 0) == LbugSuccess
            }
        } catch {
            return false
        }
    }

    /// Whether the connection is inside a transaction now (for tests and diagnostics).
    public var isInTransaction: Bool {
        (try? withCall { graphapi_connection_in_transaction($0) }) ?? false
    }

    /// Runs one engine call with the connection's handle, holding the call lock.
    func withCall<R>(_ body: (UnsafeMutablePointer<lbug_connection>) throws -> R) throws -> R {
        callLock.lock()
        defer { endLease() }
        let handle: UnsafeMutablePointer<lbug_connection> = try state.withLock { state in
            state.leaseDepth += 1
            guard !state.closing, let handle = state.handle else { throw EngineError.closed("The connection") }
            if let cancellation = state.cancellation, cancellation.isCancelled {
                throw EngineError(.interrupted, "The query was cancelled before it started.")
            }
            state.generation &+= 1
            state.running = true
            state.interruptRequested = false
            return handle
        }
        defer { state.withLock { $0.running = false } }
        return try body(handle)
    }

    /// Holds the connection for a sequence of calls (an executor lease), with the lease's
    /// cancellation checked at the start of each call.
    package func withLease<R>(cancellation: CancellationFlag, _ body: () throws -> R) throws -> R {
        callLock.lock()
        state.withLock { state in
            state.leaseDepth += 1
            if state.leaseDepth == 1 { state.cancellation = cancellation }
        }
        defer { endLease() }
        return try body()
    }

    private func endLease() {
        let pending: [PendingDestruction] = state.withLock { state in
            state.leaseDepth -= 1
            guard state.leaseDepth == 0 else { return [] }
            state.cancellation = nil
            defer { state.pendingDestruction = [] }
            return state.pendingDestruction
        }
        pending.forEach { $0.destroy() }
        callLock.unlock()
    }

    /// Destroys an engine object now if no call is running, else when the running call ends.
    func destroyWhenIdle(_ object: PendingDestruction) {
        if callLock.try() {
            // Not running: destroy under the lock so no call starts meanwhile.
            let closed = state.withLock { state in
                state.leaseDepth += 1
                return state.shutDownComplete
            }
            // After a shutdown that missed this object (its owner was already going away), the
            // database may be freed: see below.
            if closed { object.abandon() } else { object.destroy() }
            endLease()
            return
        }
        let queued = state.withLock { state -> Bool in
            guard !state.shutDownComplete else { return false }
            state.pendingDestruction.append(object)
            return true
        }
        if !queued {
            // Lost a race with `Database.close()`: the engine's database may already be freed, so
            // freeing the object now could touch freed memory. Leak the engine object instead.
            object.abandon()
        }
    }

    func adopt(_ child: any ConnectionChild) {
        state.withLock { $0.children[ObjectIdentifier(child)] = WeakChild(object: child) }
    }

    func forget(_ child: any ConnectionChild) {
        _ = state.withLock { $0.children.removeValue(forKey: ObjectIdentifier(child)) }
    }

    private func checkText(_ text: String) throws {
        guard !text.utf8.contains(0) else {
            throw EngineError(.parse, "The statement contains a NUL character.")
        }
    }

    /// Turns an engine message into an error, telling an interrupt from a timeout.
    func classify(_ message: String) -> EngineError {
        var error = EngineError.classify(engineMessage: message)
        if error.kind == .interrupted {
            let (requested, timeout, closing) = state.withLock {
                ($0.interruptRequested, $0.timeoutMilliseconds, $0.closing)
            }
            if closing {
                error = EngineError(
                    .closed, "The connection was closed while the query ran (the engine reported: \(message))")
            } else if !requested && timeout > 0 {
                error = EngineError(.timeout, "Query timed out after \(timeout) ms (the engine reported: \(message))")
            }
        } else if error.kind == .outOfMemory {
            error = EngineError(.outOfMemory, message + " " + database.configuration.bufferPoolText)
        } else if error.kind == .io {
            error = EngineError.checkingDiskFull(error, path: database.path)
        }
        return error
    }

    /// Wraps a result handle after `query`/`execute`: the result, or its error.
    private func finish(
        _ result: UnsafeMutablePointer<lbug_query_result>, state: lbug_state, parameterNames: Set<String>,
        parameters: [String: EngineValue]
    ) throws -> QueryResult {
        if state == LbugSuccess, lbug_query_result_is_success(result) {
            let wrapped = QueryResult(handle: result, connection: self, parent: nil)
            adopt(wrapped)
            return wrapped
        }
        var message = lbug_query_result_get_error_message(result).map { pointer in
            defer { lbug_destroy_string(pointer) }
            return String(cString: pointer)
        }
        if message == nil { message = takeLastEngineError() }
        lbug_query_result_destroy(result)
        result.deallocate()
        var error = classify(message ?? "The query failed without a message.")
        if !parameters.isEmpty, error.kind == .conversion,
            Connection.isCausedByParameter(message: error.message, parameters: parameters)
        {
            error = EngineError(.bind, error.message)
        }
        if error.kind == .runtime, error.message.contains("vector with ANY type"),
            let name = parameters.first(where: { $0.value.containsUntypedEmpty })?.key
        {
            error = EngineError(
                .bind,
                "Parameter \(name) holds an empty list or object, whose element type only the statement can give (a property, `IN`, `UNWIND`); here nothing does. (The engine reported: \(error.message))"
            )
        }
        throw error
    }

    /// Whether a conversion error comes from a parameter value of a type the statement cannot
    /// take: a missing cast between the parameter's type and the expected one, or a failed cast
    /// of a parameter's own text.
    static func isCausedByParameter(message: String, parameters: [String: EngineValue]) -> Bool {
        if message.contains("Unsupported casting function") {
            return true
        }
        // `Cast failed. Could not convert "<text>" to <TYPE>.`
        guard let open = message.range(of: "convert \""),
            let close = message.range(of: "\" to ", range: open.upperBound..<message.endIndex)
        else { return false }
        let text = String(message[open.upperBound..<close.lowerBound])
        func mentions(_ value: EngineValue) -> Bool {
            switch value {
            case .string(let s), .date(let s), .uuid(let s), .int128(let s): s == text
            case .int64(let v): String(v) == text
            case .uint64(let v): String(v) == text
            case .double(let v): String(v) == text
            case .bool(let v): String(v) == text
            case .list(let values): values.contains(where: mentions)
            case .map(let pairs): pairs.contains { mentions($0.value) }
            default: false
            }
        }
        return parameters.values.contains(where: mentions)
    }
}

/// An object owned by a connection (a result or a prepared statement), invalidated when the
/// connection closes.
protocol ConnectionChild: AnyObject, Sendable {
    func invalidate()
    /// Lower values are invalidated first.
    var invalidationOrder: Int { get }
}

/// A cancellation signal shared between a task's cancellation handler and the engine call it
/// guards (also used by the Staging module's connections, hence `package`).
package final class CancellationFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)
    package init() {}
    package var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
    package func cancel() { cancelled.store(true, ordering: .releasing) }
}

extension Connection: ExecutorLeasable {
    package static var cancelledBeforeStart: any Error {
        EngineError(.interrupted, "The query was cancelled before it started.")
    }

    /// Interrupts the running query if `cancellation` still governs this connection's lease, so
    /// a late cancellation never stops a later caller's query.
    package func interrupt(for cancellation: CancellationFlag) {
        guard state.withLock({ $0.cancellation === cancellation }) else { return }
        interrupt()
    }
}

/// The statements of ``Connection/prepareCached(_:)``: a small map from text to statement with
/// least-recently-used eviction (a linear scan over a few dozen entries when one must go).
struct StatementCache: ~Copyable {
    struct Entry {
        let statement: PreparedStatement
        var lastUse: UInt64
    }

    var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    /// The statement kept for `text`, marked as just used.
    mutating func statement(for text: String) -> PreparedStatement? {
        guard let statement = entries[text]?.statement else { return nil }
        clock &+= 1
        entries[text]?.lastUse = clock
        return statement
    }

    /// Keeps `statement`; returns the statement it displaced, if any, for the caller to drop.
    mutating func insert(_ statement: PreparedStatement, capacity: Int) -> PreparedStatement? {
        clock &+= 1
        let replaced = entries.updateValue(Entry(statement: statement, lastUse: clock), forKey: statement.text)
        if let replaced { return replaced.statement }
        guard entries.count > capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return nil }
        return entries.removeValue(forKey: oldest.key)?.statement
    }

    /// Forgets every statement, returning them for the caller to drop.
    mutating func removeAll() -> [PreparedStatement] {
        defer { entries = [:] }
        return entries.values.map(\.statement)
    }
}

