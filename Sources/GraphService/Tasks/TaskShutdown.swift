import ServiceLifecycle

/// Stops the background tasks on graceful shutdown (``TaskManager/shutdown()``: cancels them,
/// waits for them, writes their records).
///
/// It is one of the node's services listed after the HTTP server
/// (``GraphNode/servicesAfterServer(grace:logger:)``), so it stops first: task monitors
/// (server-sent events that last as long as their task) end and do not hold the HTTP server's
/// drain up. Stopping twice is harmless.
public struct TaskShutdown: Service {
    let tasks: TaskManager

    /// Creates the service for `tasks`.
    public init(tasks: TaskManager) {
        self.tasks = tasks
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await tasks.shutdown()
    }
}
