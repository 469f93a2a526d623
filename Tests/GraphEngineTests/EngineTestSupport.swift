import Foundation
import Synchronization
import Testing

@testable import GraphEngine

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init(_ label: String = "graph-engine") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Small settings for tests: many databases may be open at once.
let testConfiguration = DatabaseConfiguration(
    bufferPoolSize: 64 * DatabaseConfiguration.mebibyte,
    maxDatabaseSize: 64 * DatabaseConfiguration.gibibyte,
    maxThreads: 2)

/// Opens a database in a fresh temporary directory, runs `body`, then closes the database and
/// removes the directory.
func withTestDatabase<R>(
    configuration: DatabaseConfiguration = testConfiguration,
    _ body: (Database, TemporaryDirectory) throws -> R
) throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let database = try Database(path: directory.path("db"), configuration: configuration)
    defer { database.close() }
    return try body(database, directory)
}

/// The async form of ``withTestDatabase(configuration:_:)``.
func withTestDatabase<R>(
    configuration: DatabaseConfiguration = testConfiguration,
    _ body: (Database, TemporaryDirectory) async throws -> R
) async throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let database = try Database(path: directory.path("db"), configuration: configuration)
    defer { database.close() }
    return try await body(database, directory)
}

/// Runs `body` and returns the `EngineError` it throws (recording an issue if it throws none or
/// another error).
@discardableResult
func engineError<R>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) -> EngineError? {
    do {
        _ = try body()
        Issue.record("expected an EngineError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as EngineError {
        return error
    } catch {
        Issue.record("expected an EngineError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The async form of ``engineError(sourceLocation:_:)``.
@discardableResult
func engineError<R>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> R
) async -> EngineError? {
    do {
        _ = try await body()
        Issue.record("expected an EngineError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as EngineError {
        return error
    } catch {
        Issue.record("expected an EngineError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension Connection {
    /// The single value of a one-row, one-column query.
    func scalar(_ text: String, _ parameters: [String: EngineValue] = [:]) throws -> Value? {
        let result = parameters.isEmpty ? try query(text) : try execute(text, parameters: parameters)
        return try result.next()?.first
    }
}

/// Monotonic milliseconds since an arbitrary origin.
func nowMilliseconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000
}

/// Creates node table `P(id, age)` with `count` nodes, ages 1...count: the input of the long
/// query below.
func createPeople(_ connection: Connection, count: Int) throws {
    _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY, age INT64)")
    _ = try connection.execute(
        "UNWIND range(1, $n) AS i CREATE (:P {id: i, age: i})", parameters: ["n": .int64(Int64(count))])
}

/// A query that runs until stopped over 3,000 `P` nodes: a 3-way cross product (27·10⁹ rows)
/// whose filter the engine cannot factorize away (ENGINE.md).
let longQuery = "MATCH (a:P), (b:P), (c:P) WHERE a.age + b.age + c.age = -1 RETURN count(*)"

/// A boolean shared between tasks and threads.
final class TestFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// Every GraphEngine suite but the JSON encoder's, run one test at a time: several tests keep both
/// cores busy with long queries, and the interrupt and timeout tests assert latencies of 100 ms.
@Suite("GraphEngine", .serialized)
struct GraphEngineCoreTests {}
