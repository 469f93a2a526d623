/// Where a database's committed writes are recorded, in commit order, for point-in-time
/// recovery and replicas.
///
/// With automatic checkpoints off (``Connection/checkpointsManually``), every committed
/// transaction appends its records to the database's write-ahead log and the data file changes
/// only at a checkpoint. A journal copies the bytes each write appended to the log, cut at commit
/// boundaries: the data file as of a checkpoint plus those bytes up to commit k open (the engine
/// replays them) at exactly the state after commit k.
///
/// The engine calls reach a journal from the thread running the statement, holding the
/// database's ``Database/writeGate``:
/// - ``captureCommits(on:)`` after every statement run holding the gate (whether it succeeded or
///   not) and before every checkpoint;
/// - ``checkpointed(_:)`` after a checkpoint emptied the log;
/// - ``dataFileChanged(_:reason:)`` after the data file changed without the log (a `COPY`), once
///   it is checkpointed.
///
/// ``waitUntilDurable(_:)`` runs after the gate is released, so that a journal that syncs per
/// write lets queued writers share its syncs (group commit).
public protocol WriteJournal: AnyObject, Sendable {
    /// Before a write (the caller holds the gate): throws when the write could not be journaled
    /// (the journal's chain is broken and it cannot take a new base, e.g. on a full disk), so
    /// that nothing commits that the journal would miss.
    func prepareForWrite(on connection: Connection) throws
    /// Records the bytes the log gained since the last call as one entry. Returns the entry's
    /// position (to pass to ``waitUntilDurable(_:)``), or `nil` when the log did not grow.
    func captureCommits(on connection: Connection) -> UInt64?
    /// Before a checkpoint (the caller holds the gate): records the log's last bytes and makes
    /// the journal durable, since the checkpoint lets the engine drop its log.
    func prepareForCheckpoint(on connection: Connection)
    /// Records that a checkpoint emptied the log.
    func checkpointed(_ database: Database)
    /// Records, durably, that the data file is about to change outside the log (a `COPY`): a
    /// process that dies before ``dataFileChanged(_:reason:)`` must not take the data file for
    /// the state the journal describes.
    func dataFileWillChange(_ database: Database) throws
    /// Records that the data file changed outside the log (the caller checkpointed it): the
    /// journal takes a new base copy of the data file.
    func dataFileChanged(_ connection: Connection, reason: String) throws
    /// Returns once the entry at `position` (and every one before it) is durable: on stable
    /// storage, or recoverable from what is (the engine's synced log).
    func waitUntilDurable(_ position: UInt64) async
}

/// Facts about the engine's write-ahead log file that a journal relies on (LadybugDB 0.22.0,
/// measured).
public enum WriteAheadLog {
    /// Every log file of a database begins with the same 25 bytes (the database's identity and
    /// the log's version), written with its first commit; each commit then appends whole
    /// records. A checkpoint that a reader pinned leaves the log in place and appends a
    /// checkpoint record to it; such a log does not replay on the checkpoint's data file without
    /// the engine's marker files, but the header followed by the commits after the checkpoint
    /// record does.
    public static let headerLength = 25

    /// The path of the log of the database file at `path`.
    public static func path(of databasePath: String) -> String { databasePath + ".wal" }
}
