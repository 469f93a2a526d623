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
