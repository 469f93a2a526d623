import GraphService
import GraphEngine
import HTTPTypes
import Hummingbird
import NIOCore
import Staging

/// `GET /metrics`: the Prometheus text exposition (format 0.0.4) of the server's
/// ``ServerMetrics``, for operators: a key scoped to some graphs gets `403` (the labels name
/// every graph of the node). The node's gauges (databases, open databases, leased connections, waiting
/// requests, memory, uptime) are read at each scrape; nothing here opens a database.
struct MetricsController: Sendable {
    let metrics: ServerMetrics
    let registry: GraphRegistry
    /// When the server started.
    let startedAt: ContinuousClock.Instant

    /// The content type of the Prometheus text format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    init(metrics: ServerMetrics, registry: GraphRegistry, startedAt: ContinuousClock.Instant) {
        self.metrics = metrics
        self.registry = registry
        self.startedAt = startedAt
        metrics.recordBuildInfo(version: GraphAPIVersion.string, ladybug: EngineVersion.ladybug, duckdb: StagingVersion.duckdb)
    }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        router.get("/metrics") { _, context in
            try Self.requireOperator(context)
            return await self.exposition()
        }
    }

    /// Throws `403` `key_not_operator` unless the request's key may use every graph: the
    /// exposition names every graph of the node in its labels, and counts every tenant's work.
    static func requireOperator(_ context: GraphAPIRequestContext) throws(APIError) {
        guard let scope = context.scope else {
            throw APIError(.unauthorized, "missing or invalid API key")
        }
        guard scope.isOperator else {
            throw APIError(.keyNotOperator, "this API key is scoped to some graphs; /metrics is for operators (a key not scoped to graphs)")
        }
    }

    func exposition() async -> Response {
        metrics.record(
            ServerMetrics.NodeState(
                databases: registry.dataDirectory.graphCount(),
                maxDatabases: registry.settings.maxDatabases,
                openDatabases: await registry.openCount,
                maxOpenDatabases: registry.settings.maxOpenDatabases,
                leasedConnections: await registry.leasedConnections,
                waitingRequests: await registry.waitingRequests,
                residentMemoryBytes: ProcessMemory.residentBytes(),
                uptimeSeconds: (ContinuousClock.now - startedAt).seconds
            )
        )
        let bytes = await metrics.exposition()
        return Response(
            status: .ok,
            headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
