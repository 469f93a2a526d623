extension StagingDatabase {
    /// Confines the whole instance to `directory`, for good.
    ///
    /// Runs, in this order (the only order DuckDB accepts — `allowed_directories` cannot be set
    /// once external access is off):
    /// 1. `SET allowed_directories = ['<directory>/']`
    /// 2. `SET enable_external_access = false`
    /// 3. `SET lock_configuration = true`
    ///
    /// Afterwards every connection can still read and write files inside `directory`
    /// (`read_parquet`, `COPY … TO`, `ATTACH`), but any other path — `/etc/passwd`,
    /// `<directory>/../x`, a symlink leading out — fails with ``StagingError/Kind/permission``, as do
    /// `LOAD`, `INSTALL` and network URLs, and no setting can be changed any more (including these
    /// three). Load extensions and create secrets before locking down, or better, use a separate
    /// instance for them.
    ///
    /// - Parameter directory: an absolute path of an existing directory (not `/`).
    public func lockDown(to directory: String) throws(StagingError) {
        try lockDown(to: [directory])
    }

    /// Confines the whole instance to several directories, for good: as
    /// ``lockDown(to:)-(String)`` with every one of `directories` allowed.
    ///
    /// - Parameter directories: absolute paths of existing directories (not `/`), at least one.
    public func lockDown(to directories: [String]) throws(StagingError) {
        var allowed: [String] = []
        for directory in directories {
            var trimmed = directory
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
            guard trimmed.hasPrefix("/"), trimmed != "/" else {
                throw StagingError(
                    kind: .invalidInput, message: "The lock-down directory must be an absolute path below /: \(directory)")
            }
            allowed.append(trimmed)
        }
        guard let first = allowed.first else {
            throw StagingError(kind: .invalidInput, message: "Lock-down needs at least one directory")
        }
        try withTemporaryConnection { (connection) throws(StagingError) in
            try connection.execute("SET allowed_directories = \(StagingSQL.literalList(allowed.map { $0 + "/" }))")
            try connection.execute("SET enable_external_access = false")
            try connection.execute("SET lock_configuration = true")
        }
        recordLockDown(first)
    }
}

extension StagingDatabase {
    /// Loads a DuckDB extension from a file (`LOAD '<path>'`), e.g. the pinned httpfs extension
    /// found by ``StagingExtensionLocator``. Nothing is downloaded. Applies to the whole instance.
    ///
    /// - Parameter path: the absolute path of a `.duckdb_extension` file built for this DuckDB.
    public func loadExtension(at path: String) throws(StagingError) {
        guard path.hasPrefix("/") else {
            throw StagingError(kind: .invalidInput, message: "The extension path must be absolute: \(path)")
        }
        try withTemporaryConnection { (connection) throws(StagingError) in
            try connection.execute("LOAD \(StagingSQL.literal(path))")
        }
    }
}
