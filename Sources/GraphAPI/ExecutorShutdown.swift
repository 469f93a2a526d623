import GraphEngine
import ServiceLifecycle

/// Stops the engine thread pool after every other service (the registry closes the databases
/// first, on that pool): services shut down in reverse order of their start.
struct ExecutorShutdown: Service {
    let executor: EngineExecutor

    func run() async throws {
        try? await gracefulShutdown()
        try? await executor.shutdown()
    }
}

/// Closes every staging database on graceful shutdown (before the registry closes the graphs)
/// and stops the staging thread pool.
struct StagingShutdown: Service {
    let staging: StagingService

    func run() async throws {
        try? await gracefulShutdown()
        await staging.shutdown()
    }
}
