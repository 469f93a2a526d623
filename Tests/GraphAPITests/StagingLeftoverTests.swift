import Foundation
import GraphAPITesting
import GraphEngine
import Logging
import Testing

@testable import GraphAPI
@testable import GraphService

/// Issue 14: `kill -9` during a staged ingest left its Parquet files in `staging-io/`; the next
/// start removes them, and leaves the graph's own files alone.
@Suite struct StagingLeftoverTests {
    @Test func startingTheStagingServiceEmptiesEveryStagingIOFolder() async throws {
        let dir = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.createGraphs([TestGraph(id: "g", ddl: ["CREATE NODE TABLE P(id INT64 PRIMARY KEY)"])], in: dir)
        let io = dir + "/databases/g/staging-io"
        try FileManager.default.createDirectory(atPath: io, withIntermediateDirectories: true)
        try Data(count: 4096).write(to: URL(fileURLWithPath: io + "/load-1.parquet"))
        try Data(count: 10).write(to: URL(fileURLWithPath: io + "/download-2.parquet"))
        let before = try FileManager.default.contentsOfDirectory(atPath: dir + "/databases/g").filter { $0 != "staging-io" }.sorted()

        var configuration = ServerConfiguration()
        configuration.dataDirectory = dir
        configuration.importDirectory = dir + "/import"
        let executor = EngineExecutor(threadCount: 1)
        let registry = GraphRegistry(
            dataDirectory: try DataDirectory(path: dir), settings: configuration.tenancySettings, executor: executor,
            logger: Logger(label: "test")
        )
        let metrics = ServerMetrics()
        let tasks = try TaskManager(directory: dir + "/tasks", logger: Logger(label: "test"), metrics: metrics)
        _ = StagingService(configuration: configuration, registry: registry, tasks: tasks, metrics: metrics, logger: Logger(label: "test"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: io).isEmpty)
        let after = try FileManager.default.contentsOfDirectory(atPath: dir + "/databases/g").filter { $0 != "staging-io" }.sorted()
        #expect(after == before)
        #expect(after.contains("graph.lbug"))
        try await executor.shutdown()
    }
}
