import Foundation
import Testing

@testable import GraphEngine

/// Checkpoints decided by the caller (``Connection/checkpointIfNeeded()``), with the engine's
/// automatic checkpoints off.
@Suite struct CheckpointTests {
    static func configuration(poolMiB: UInt64) -> DatabaseConfiguration {
        DatabaseConfiguration(
            bufferPoolSize: poolMiB * DatabaseConfiguration.mebibyte, autoCheckpoint: false,
            checkpointThreshold: 4 * DatabaseConfiguration.mebibyte
        )
    }

    static let insert = "UNWIND range($a, $b) AS i CREATE (:P {id: i, s: $pad + string(i)})"

    static func insert(_ connection: Connection, from first: Int64, count: Int64) throws {
        try connection.prepareForWrite()
        let parameters: [String: EngineValue] = [
            "a": .int64(first), "b": .int64(first + count - 1), "pad": .string(String(repeating: "x", count: 200)),
        ]
        try connection.execute(insert, parameters: parameters).close()
        connection.checkpointIfNeeded()
    }

    static func count(_ connection: Connection) throws -> [[Value]] {
        try connection.query("MATCH (p:P) RETURN count(p)").allRows()
    }

    @Test("a write whose log cannot be checkpointed in the pool is kept, and writes wait for a pool that can")
    func aCommittedWriteIsKeptAndLaterWritesAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("db")
        do {
            let database = try Database(path: path, configuration: Self.configuration(poolMiB: 64))
            defer { database.close() }
            let connection = try database.connect()
            try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY, s STRING)").close()
            // Small writes: checkpointed as they go, the log stays under threshold + one write.
            for batch in Int64(0)..<5 {
                try Self.insert(connection, from: batch * 20_000, count: 20_000)
                #expect(connection.writeAheadLogSize < 8 << 20)
            }
            // One write of ~17 MB: committed, but its log does not checkpoint within 64 MiB.
            try Self.insert(connection, from: 100_000, count: 80_000)
            #expect(try Self.count(connection) == [[.int64(180_000)]])
            #expect(throws: EngineError.self) { try Self.insert(connection, from: 180_000, count: 1) }
            do {
                try connection.prepareForWrite()
                Issue.record("a write was admitted although the log cannot be checkpointed")
            } catch let error as EngineError {
                #expect(error.kind == .outOfMemory)
                #expect(error.message.contains("Writes are refused") && error.message.contains("buffer pool 64 MiB"), "\(error.message)")
            }
            #expect(try Self.count(connection) == [[.int64(180_000)]])
        }
        // A larger pool replays and checkpoints the log; writes go on.
        let database = try Database(path: path, configuration: Self.configuration(poolMiB: 256))
        defer { database.close() }
        let connection = try database.connect()
        #expect(try Self.count(connection) == [[.int64(180_000)]])
        try connection.prepareForWrite()
        try connection.checkpoint()
        try Self.insert(connection, from: 180_000, count: 1)
        #expect(try Self.count(connection) == [[.int64(180_001)]])
    }
}
