import ServiceLifecycle

/// Stops the background tasks on graceful shutdown (``TaskManager/shutdown()``: cancels them,
/// waits for them, writes their records).
///
/// It is one of the application's services, listed after the registry and the staging service
/// so that it stops before them: tasks use both. ``runGraphAPIServer(configuration:logger:metrics:)``
/// also runs one before the HTTP server drains, so that task monitors (server-sent events that
/// last as long as their task) end and do not hold the HTTP server's drain up. Stopping twice is
/// harmless.
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
