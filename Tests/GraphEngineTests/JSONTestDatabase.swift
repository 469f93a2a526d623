import Foundation
import NIOCore
import Testing

@testable import GraphEngine

/// A real LadybugDB database in a fresh temporary folder, opened through ``Database`` with a small
/// buffer pool, for the JSON encoder's tests. Closed and removed again when it goes away.
final class JSONTestDatabase {
    let directory: URL
    let database: Database
    let connection: Connection

    init() throws {
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("json-encoder-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let configuration = DatabaseConfiguration(
            bufferPoolSize: 64 * DatabaseConfiguration.mebibyte,
            maxDatabaseSize: 1 << 36,
            maxThreads: 2
        )
        self.database = try Database(path: self.directory.appendingPathComponent("graph.lbug").path, configuration: configuration)
        self.connection = try self.database.connect()
    }

    deinit {
        self.connection.close()
        self.database.close()
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// Runs statements whose results do not matter (schema, inserts); fails on the first error.
    func execute(_ statements: String...) throws {
        for statement in statements {
            try self.connection.query(statement).close()
        }
    }

    /// Runs `cypher` and returns its result.
    func query(_ cypher: String) throws -> QueryResult {
        try self.connection.query(cypher)
    }

    /// Runs `cypher` and encodes its whole result in one call: the rows, comma-separated.
    func encode(
        _ cypher: String,
        shape: QueryResultJSONWriter.RowShape = .arrays,
        path: QueryResultJSONWriter.ReadPath = .arrowChunks
    ) throws -> String {
        try self.withWriter(cypher, shape: shape, path: path) { writer in
            var buffer = ByteBuffer()
            while try writer.writeRows(into: &buffer, maxRows: 1_000) > 0 {
                if writer.hasMoreRows { buffer.writeStaticString(",") }
            }
            return String(buffer: buffer)
        }
    }

    /// Runs `cypher` and hands a writer over its result to `body`.
    func withWriter<Result>(
        _ cypher: String,
        shape: QueryResultJSONWriter.RowShape = .arrays,
        path: QueryResultJSONWriter.ReadPath = .arrowChunks,
        arrowChunkRows: Int = 2_048,
        _ body: (QueryResultJSONWriter) throws -> Result
    ) throws -> Result {
        let result = try self.query(cypher)
        defer { result.close() }
        let writer = try QueryResultJSONWriter(
            source: .queryResult(result),
            shape: shape,
            preferredPath: path,
            arrowChunkRows: arrowChunkRows
        )
        return try body(writer)
    }

    /// Expects the single row of `cypher`, encoded as an array through both read paths, to be
    /// exactly `expected` (and valid JSON).
    func expectRow(_ cypher: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let row = try self.encodeRow(cypher, sourceLocation: sourceLocation)
        #expect(row == expected, "for \(cypher)", sourceLocation: sourceLocation)
    }

    /// Encodes the single row of `cypher` as an array through both read paths, expects the same
    /// bytes from both (when Arrow applies) and valid JSON, and returns the row.
    func encodeRow(_ cypher: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let flat = try self.encode(cypher, path: .flatTuples)
        let arrow = try self.encode(cypher, path: .arrowChunks)
        #expect(flat == arrow, "Arrow and tuple paths differ for \(cypher)", sourceLocation: sourceLocation)
        try expectValidJSON("[" + flat + "]", sourceLocation: sourceLocation)
        return flat
    }
}

/// Parses `text` with Foundation's `JSONSerialization`, recording an issue when it is not JSON.
@discardableResult
func expectValidJSON(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any? {
    do {
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    } catch {
        Issue.record("not valid JSON (\(error)): \(text)", sourceLocation: sourceLocation)
        return nil
    }
}
