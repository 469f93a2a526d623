import GraphService
import Foundation
import Hummingbird

/// `GET /health` and `GET /status`: answered without touching any engine, so they stay fast
/// while queries and ingests run.
struct OperationsController: Sendable {
    let server: ServerContext
    var configuration: ServerConfiguration { server.configuration }
    var dataDirectory: DataDirectory { server.registry.dataDirectory }
    var uptimeSeconds: Double { server.uptimeSeconds }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        router.get("/health") { _, _ in self.health() }
        router.get("/status") { _, _ in await self.status() }
    }

    struct Health: ResponseEncodable {
        let status: String
        let uptimeSeconds: Double
        let version: String
        enum CodingKeys: String, CodingKey {
            case status, version
            case uptimeSeconds = "uptime_seconds"
        }
    }

    func health() -> EditedResponse<Health> {
        let healthy = dataDirectory.isUsable
        return EditedResponse(
            status: healthy ? .ok : .serviceUnavailable,
            response: Health(
                status: healthy ? "healthy" : "unhealthy", uptimeSeconds: (uptimeSeconds * 1000).rounded() / 1000,
                version: GraphAPIVersion.string
            )
        )
    }

    struct Status: ResponseEncodable {
        let status: String
        let nodeType: NodeType
        let tier: Tier
        let databases: Int
        let maxDatabases: Int
        let openDatabases: Int
        let memoryUsageMB: Double
        let uptimeSeconds: Double
        let version: String
        enum CodingKeys: String, CodingKey {
            case status, tier, databases, version
            case nodeType = "node_type"
            case maxDatabases = "max_databases"
            case openDatabases = "open_databases"
            case memoryUsageMB = "memory_usage_mb"
            case uptimeSeconds = "uptime_seconds"
        }
    }

    func status() async -> Status {
        let rss = ProcessMemory.residentBytes() ?? 0
        return Status(
            status: dataDirectory.isUsable ? "healthy" : "unhealthy",
            nodeType: configuration.nodeType,
            tier: configuration.tier,
            databases: dataDirectory.graphCount(),
            maxDatabases: server.registry.settings.maxDatabases,
            openDatabases: await server.registry.openCount,
            memoryUsageMB: (Double(rss) / 1_048_576 * 10).rounded() / 10,
            uptimeSeconds: (uptimeSeconds * 1000).rounded() / 1000,
            version: GraphAPIVersion.string
        )
    }
}
