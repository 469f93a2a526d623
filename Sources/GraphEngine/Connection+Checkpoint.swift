import Foundation
import Synchronization

/// Checkpoints decided by the caller rather than by the engine.
///
/// With ``DatabaseConfiguration/autoCheckpoint`` on, the engine checkpoints inside the commit of
/// the write that took the write-ahead log past ``DatabaseConfiguration/checkpointThreshold``.
/// When that checkpoint fails (a log larger than the buffer pool can checkpoint, measured with a
/// 64 MiB pool and a 12 MB log) the write is committed but its caller gets an error
/// ("Transaction committed successfully, but the post-commit checkpoint failed"), its result is
/// lost, and every later write fails the same way while the log keeps growing.
///
/// With automatic checkpoints off, a commit never checkpoints: a write either fails before it
/// commits or succeeds with its result. Writers holding the database's ``Database/writeGate``
/// call ``prepareForWrite()`` before and ``checkpointIfNeeded()`` after their statement;
/// ``Connection/run(_:parameters:on:holdingWriteGate:)`` does both. A checkpoint that fails for
/// lack of memory is remembered, and writes are refused (``EngineError/Kind/outOfMemory``) until
/// one succeeds, so the log stops growing while reads go on.
extension Connection {
    /// Whether the caller checkpoints this database: automatic checkpoints off, read-write, on
    /// disk.
    public var checkpointsManually: Bool {
        let configuration = database.configuration
        return !configuration.autoCheckpoint && !configuration.readOnly && database.path != ":memory:" && !database.path.isEmpty
    }

    /// Call holding the write gate, before a write. When an earlier checkpoint failed for lack of
    /// memory, tries one now, and throws ``EngineError/Kind/outOfMemory`` if it fails again: a
    /// write now would only add to a log the pool cannot checkpoint.
    ///
    /// Then asks the database's journal whether the write can be journaled
    /// (``WriteJournal/prepareForWrite(on:)``).
    public func prepareForWrite() throws {
        try checkpointBeforeWrite()
        try database.journal?.prepareForWrite(on: self)
    }

    private func checkpointBeforeWrite() throws {
        guard checkpointsManually, database.checkpointFailure.withLock({ $0 }) != nil else { return }
        do {
            try checkpoint()
        } catch let error as EngineError where error.kind == .outOfMemory {
            throw EngineError(
                .outOfMemory,
                "Writes are refused: the write-ahead log (\(writeAheadLogSize / 1024) KiB) cannot be checkpointed "
                    + "within the buffer pool (\(error.message))"
            )
        }
    }

    /// Call holding the write gate, after a write: checkpoints when the write-ahead log has grown
    /// past the threshold. Never throws, since the write is committed; a failure for lack of
    /// memory is remembered (see ``prepareForWrite()``), any other is left for the next write.
    public func checkpointIfNeeded() {
        guard checkpointsManually, writeAheadLogSize > database.configuration.checkpointThreshold else { return }
        try? checkpoint()
    }

    /// Runs `body` (a statement the caller runs holding the write gate) as a write:
    /// ``prepareForWrite()`` first; afterwards, whether `body` succeeded or not, the log's new
    /// bytes go to the database's ``Database/journal`` and ``checkpointIfNeeded()`` runs.
    ///
    /// - Returns: what `body` returned, and the journal position to wait for with
    ///   ``WriteJournal/waitUntilDurable(_:)`` once the gate is released (`nil`: nothing to wait
    ///   for).
    public func writing<R>(_ body: (Connection) throws -> R) throws -> (R, UInt64?) {
        try prepareForWrite()
        let result: R
        do {
            result = try body(self)
        } catch {
            _ = finishWrite()
            throw error
        }
        return (result, finishWrite())
    }

    /// Call holding the write gate, after a write: hands the log's new bytes to the journal,
    /// then checkpoints if needed (``checkpointIfNeeded()``). Returns the journal position to
    /// wait for, if any.
    public func finishWrite() -> UInt64? {
        let position = database.journal?.captureCommits(on: self)
        checkpointIfNeeded()
        return position
    }

    /// Runs `CHECKPOINT` on this connection (the caller holds the write gate), remembering a
    /// failure for lack of memory until a checkpoint succeeds. The journal gets the log's last
    /// bytes before, and the news of the checkpoint after.
    public func checkpoint() throws {
        try checkpointing { try $0.query("CHECKPOINT").close() }
    }

    /// Runs `body`, which checkpoints (``checkpoint()``, or a tenant's `CHECKPOINT` statement),
    /// with the bookkeeping every checkpoint needs: the journal's last bytes before it and the
    /// news after it, and a failure for lack of memory remembered until one succeeds.
    func checkpointing<R>(_ body: (Connection) throws -> R) throws -> R {
        let journal = database.journal
        journal?.prepareForCheckpoint(on: self)
        do {
            let result = try body(self)
            database.checkpointFailure.withLock { $0 = nil }
            journal?.checkpointed(database)
            return result
        } catch let error as EngineError where error.kind == .outOfMemory {
            database.checkpointFailure.withLock { $0 = error.message }
            throw error
        }
    }

    /// The size of the database's write-ahead log in bytes (0 when there is none).
    public var writeAheadLogSize: UInt64 {
        var info = stat()
        guard stat(WriteAheadLog.path(of: database.path), &info) == 0 else { return 0 }
        return UInt64(info.st_size)
    }
}
