import CLadybug
import Foundation

/// A statement prepared on a ``Connection``, executed with ``Connection/execute(_:parameters:)``
/// or ``Connection/run(_:parameters:on:)``.
///
/// A prepared statement belongs to the connection that prepared it (executing it on another
/// connection fails with ``EngineError/Kind/bind``) and keeps that connection alive.
public final class PreparedStatement: @unchecked Sendable {
    // @unchecked Sendable: the handle is only used under the connection's call lock (binding and
    // executing) or under `lock` (reading the classification); it is freed in deinit or on close.

    /// The connection the statement was prepared on.
    public let connection: Connection
    /// The statement text.
    public let text: String
    /// The parameter names the statement uses (without `$`).
    public let parameterNames: Set<String>
    /// Whether the engine classifies the statement as read-only
    /// (`lbug_prepared_statement_is_read_only`): `MATCH … RETURN` is, `CREATE`, `SET`, `DELETE`,
    /// DDL and `COPY` are not. Read-only statements never take the database's write gate.
    public let isReadOnly: Bool
    /// What the engine's parser found in the text, when the statement was prepared with a check
    /// (``Connection/prepareCached(_:check:)``).
    public let facts: StatementFacts?
    /// Whether the statement is `CHECKPOINT` (as the engine's parser saw it).
    public var isCheckpoint: Bool { facts?.transactionActions.contains("CHECKPOINT") ?? false }

    private let handle: UnsafeMutablePointer<lbug_prepared_statement>
    private let lock = NSLock()
    private var isValid = true

    init(
        connection: Connection, handle: UnsafeMutablePointer<lbug_prepared_statement>, text: String,
        parameterNames: Set<String>, facts: StatementFacts? = nil
    ) {
        self.facts = facts
        self.connection = connection
        self.handle = handle
        self.text = text
        self.parameterNames = parameterNames
        self.isReadOnly = lbug_prepared_statement_is_read_only(handle)
    }

    deinit {
        if isValid {
            connection.destroyWhenIdle(.statement(handle))
        } else {
            handle.deallocate()
        }
        connection.forget(self)
    }

    /// The handle, for use under the connection's call lock.
    func borrowHandle() throws -> UnsafeMutablePointer<lbug_prepared_statement> {
        lock.lock()
        defer { lock.unlock() }
        guard isValid else { throw EngineError.closed("The prepared statement") }
        return handle
    }
}

extension PreparedStatement: ConnectionChild {
    func invalidate() {
        lock.lock()
        defer { lock.unlock() }
        guard isValid else { return }
        isValid = false
        lbug_prepared_statement_destroy(handle)
    }

    var invalidationOrder: Int { 2 }
}
