import CLadybug

/// The settings a ``Database`` is opened with.
///
/// Every field is explicit on purpose. The engine's own defaults are meant for one database per
/// process: a buffer pool of 80% of RAM and 8 TiB of reserved address space (`max_db_size`) per
/// database, so the 15th database opened in one process fails. A server holding many tenants'
/// databases must give each a small pool and a bounded address-space reservation, which is what
/// ``init(bufferPoolSize:maxDatabaseSize:maxThreads:readOnly:autoCheckpoint:checkpointThreshold:enableCompression:)``
/// does by default.
public struct DatabaseConfiguration: Sendable, Hashable {
    /// Size of the buffer pool in bytes: how much of the database the engine keeps in memory.
    public var bufferPoolSize: UInt64
    /// Upper bound of the database size in bytes. The engine reserves this much virtual address
    /// space per database, so it limits how many databases fit in one process.
    public var maxDatabaseSize: UInt64
    /// Most threads the engine uses to run one query. A connection can lower it for itself with
    /// ``Connection/setMaxThreads(_:)``.
    public var maxThreads: UInt64
    /// Opens the database read-only: every write fails with ``EngineError/Kind/readOnly``, and a
    /// missing database cannot be created. Several read-only ``Database`` objects may share a file.
    public var readOnly: Bool
    /// Checkpoints automatically when the write-ahead log grows past ``checkpointThreshold``.
    public var autoCheckpoint: Bool
    /// WAL size in bytes above which an automatic checkpoint runs.
    public var checkpointThreshold: UInt64
    /// Compresses data on disk for the types that support it.
    public var enableCompression: Bool
    /// Fails the open when the write-ahead log cannot be replayed whole. Off (the C API's
    /// default), a log cut inside a record opens at its last whole commit, which is what a crash
    /// leaves; on, for replaying a journal, where every byte must apply.
    public var throwOnWALReplayFailure = false

    /// One mebibyte, for readable sizes: `64 * DatabaseConfiguration.mebibyte`.
    public static let mebibyte: UInt64 = 1 << 20
    /// One gibibyte.
    public static let gibibyte: UInt64 = 1 << 30

    /// Creates a configuration sized for many databases in one process.
    ///
    /// - Parameters:
    ///   - bufferPoolSize: bytes of buffer pool; 256 MiB by default.
    ///   - maxDatabaseSize: bytes of address space reserved; 64 GiB by default.
    ///   - maxThreads: threads per query; 2 by default.
    ///   - readOnly: open read-only; `false` by default.
    ///   - autoCheckpoint: checkpoint when the WAL is large; `true` by default.
    ///   - checkpointThreshold: WAL size that triggers a checkpoint; 16 MiB by default (the
    ///     engine's default).
    ///   - enableCompression: compress on disk; `true` by default.
    public init(
        bufferPoolSize: UInt64 = 256 * mebibyte,
        maxDatabaseSize: UInt64 = 64 * gibibyte,
        maxThreads: UInt64 = 2,
        readOnly: Bool = false,
        autoCheckpoint: Bool = true,
        checkpointThreshold: UInt64 = 16 * mebibyte,
        enableCompression: Bool = true
    ) {
        self.bufferPoolSize = bufferPoolSize
        self.maxDatabaseSize = maxDatabaseSize
        self.maxThreads = maxThreads
        self.readOnly = readOnly
        self.autoCheckpoint = autoCheckpoint
        self.checkpointThreshold = checkpointThreshold
        self.enableCompression = enableCompression
    }

    /// Rejects the values the engine would silently replace by its process-wide defaults
    /// (0 means "80% of RAM" for the pool and "one thread per core" for threads).
    func validate() throws(EngineError) {
        if bufferPoolSize == 0 || bufferPoolSize == UInt64.max {
            throw EngineError(.open, "bufferPoolSize must be an explicit number of bytes (got \(bufferPoolSize)).")
        }
        if maxDatabaseSize == 0 || maxDatabaseSize == UInt64.max {
            throw EngineError(.open, "maxDatabaseSize must be an explicit number of bytes (got \(maxDatabaseSize)).")
        }
        if maxThreads == 0 {
            throw EngineError(.open, "maxThreads must be at least 1.")
        }
    }

    /// The checkpoint threshold for a caller that checkpoints itself (see
    /// ``Connection/checkpointIfNeeded()``): a sixteenth of the pool, at most 16 MiB (the
    /// engine's default). Committed data not yet checkpointed stays in the pool, and
    /// checkpointing a 12 MB log did not fit in 64 MiB.
    public static func checkpointThreshold(forPool bufferPoolSize: UInt64) -> UInt64 {
        min(16 * mebibyte, bufferPoolSize / 16)
    }

    /// `(buffer pool N MiB)`, appended to the engine's messages about running out of memory.
    var bufferPoolText: String { "(buffer pool \(bufferPoolSize / Self.mebibyte) MiB)" }

    /// The C configuration: the engine's defaults for everything this type does not expose,
    /// overridden by every field above.
    var systemConfig: lbug_system_config {
        var config = lbug_default_system_config()
        config.buffer_pool_size = bufferPoolSize
        config.max_db_size = maxDatabaseSize
        config.max_num_threads = maxThreads
        config.read_only = readOnly
        config.auto_checkpoint = autoCheckpoint
        config.checkpoint_threshold = checkpointThreshold
        config.enable_compression = enableCompression
        config.throw_on_wal_replay_failure = throwOnWALReplayFailure
        return config
    }
}
