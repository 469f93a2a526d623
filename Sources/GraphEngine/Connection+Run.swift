extension Connection {
    /// Prepares and executes one statement on `executor`, queueing behind other writers when the
    /// statement writes.
    ///
    /// The statement is prepared first (or taken from the statements this connection keeps, see
    /// ``prepareCached(_:)``); if the engine classifies it as not read-only
    /// (``PreparedStatement/isReadOnly``), the call waits for the database's ``Database/writeGate``
    /// (suspended, holding no thread) and holds it while the statement executes, so concurrent
    /// writers run one after another instead of failing with ``EngineError/Kind/writeConflict``.
    /// Read-only statements never wait for the gate and run during a write.
    ///
    /// Holding the gate, a write runs through ``writing(_:)``: ``prepareForWrite()`` before,
    /// ``finishWrite()`` after (the journal's entry, then ``checkpointIfNeeded()``). Once the gate
    /// is released, the call waits for the journal's entry to be durable (``durably(_:)``).
    ///
    /// Cancelling the task interrupts the statement (``EngineError/Kind/interrupted``) or removes
    /// it from the writers' queue.
    ///
    /// The engine binds a write statement inside a write transaction, so preparing one while
    /// another writer runs fails; such a statement is then prepared and executed holding the gate.
    /// A write that still meets a conflict while holding the gate (the short binding transaction
    /// of another statement being prepared, or a writer that bypassed the gate) is tried again a
    /// few times within about 400 ms: a statement refused this way did nothing.
    ///
    /// The gate covers single auto-commit statements. Explicit transactions (`BEGIN TRANSACTION`
    /// … `COMMIT`, which the engine classifies as read-only) span several calls and are not
    /// queued by it.
    ///
    /// `check` decides on the engine's parse whether the text may run at all (see
    /// ``prepareCached(_:check:)``).
    public func run(
        _ text: String, parameters: [String: EngineValue] = [:], on executor: EngineExecutor,
        check: (@Sendable (StatementFacts) throws -> Void)? = nil
    ) async throws -> QueryResult {
        let statement: PreparedStatement
        do {
            statement = try await executor.run(on: self) { connection in
                try connection.prepareCached(text, check: check)
            }
        } catch let error as EngineError where error.kind == .writeConflict {
            // The engine binds a write statement inside a write transaction, so even preparing one
            // conflicts with the writer running now: prepare and execute it holding the gate.
            return try await durably {
                try await database.writeGate.withPermit {
                    try await Connection.retryingWriteConflicts {
                        try await executor.run(on: self) { connection in
                            try connection.writing { try $0.execute(try $0.prepareCached(text, check: check), parameters: parameters) }
                        }
                    }
                }
            }
        }
        return try await run(statement, parameters: parameters, on: executor)
    }

    /// Executes a prepared statement on `executor`, holding the database's write gate while it
    /// runs if the statement is not read-only (see the text form of `run` for the details), or
    /// when `holdingWriteGate` is true (statements the engine calls read-only that must still not
    /// run beside a writer, such as `CHECKPOINT`).
    public func run(
        _ statement: PreparedStatement, parameters: [String: EngineValue] = [:], on executor: EngineExecutor,
        holdingWriteGate: Bool = false
    ) async throws -> QueryResult {
        if statement.isReadOnly && !holdingWriteGate {
            return try await executor.run(on: self) { connection in
                try connection.execute(statement, parameters: parameters)
            }
        }
        return try await durably {
            try await database.writeGate.withPermit {
                try await Connection.retryingWriteConflicts {
                    try await executor.run(on: self) { connection in
                        try connection.writing { connection in
                            guard statement.isCheckpoint else { return try connection.execute(statement, parameters: parameters) }
                            // A tenant's CHECKPOINT is a checkpoint like the server's own.
                            return try connection.checkpointing { try $0.execute(statement, parameters: parameters) }
                        }
                    }
                }
            }
        }
    }

    /// Runs `write` (which holds the write gate while it runs) and, once it returned and the
    /// gate is free for the next writer, waits until the journal holds its entry on stable
    /// storage: a write is answered only once it is journaled.
    public func durably<R>(_ write: () async throws -> (R, UInt64?)) async throws -> R {
        let (result, position) = try await write()
        if let position, let journal = database.journal {
            await journal.waitUntilDurable(position)
        }
        return result
    }

    /// Runs `body` again after short pauses while it fails with
    /// ``EngineError/Kind/writeConflict``, then gives up with that error.
    ///
    /// Holding the gate excludes every other gated writer, but not the brief write transaction
    /// the engine opens to bind a write statement that is being prepared (a writer whose
    /// statement is not yet known to write), nor writers that bypass the gate. A statement that
    /// failed this way did nothing, so trying it again is safe.
    static func retryingWriteConflicts<R>(_ body: () async throws -> R) async throws -> R {
        let pausesMilliseconds = [1, 2, 5, 10, 20, 50, 100, 200]
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as EngineError where error.kind == .writeConflict && attempt < pausesMilliseconds.count {
                try? await Task.sleep(for: .milliseconds(pausesMilliseconds[attempt]))
                attempt += 1
                if Task.isCancelled { throw error }
            }
        }
    }
}
