import Foundation
import GraphAPIContract
import GraphService
import Hummingbird

/// `GET /health` and `GET /status`: answered without touching any engine, so they stay fast
/// while queries and ingests run.
struct OperationsController: Sendable {
    let registry: GraphRegistry
    let configuration: ServerConfiguration
    /// When the server started.
    let startedAt: ContinuousClock.Instant
    var dataDirectory: DataDirectory { registry.dataDirectory }
    var uptimeSeconds: Double { (ContinuousClock.now - startedAt).seconds }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        router.get("/health") { _, _ in self.health() }
        router.get("/status") { _, _ in await self.status() }
    }

    func health() -> EditedResponse<Components.Schemas.Health> {
        let healthy = dataDirectory.isUsable
        return EditedResponse(
            status: healthy ? .ok : .serviceUnavailable,
            response: .init(
                status: healthy ? .healthy : .unhealthy, uptimeSeconds: (uptimeSeconds * 1000).rounded() / 1000,
                version: GraphAPIVersion.string
            )
        )
    }

    func status() async -> Components.Schemas.Status {
        let rss = ProcessMemory.residentBytes() ?? 0
        return .init(
            status: dataDirectory.isUsable ? .healthy : .unhealthy,
            nodeType: choice(configuration.nodeType),
            tier: choice(configuration.tier),
            databases: dataDirectory.graphCount(),
            maxDatabases: registry.settings.maxDatabases,
            openDatabases: await registry.openCount,
            memoryUsageMb: (Double(rss) / 1_048_576 * 10).rounded() / 10,
            uptimeSeconds: (uptimeSeconds * 1000).rounded() / 1000,
            version: GraphAPIVersion.string
        )
    }
}
