import Foundation
import Prometheus
import Synchronization

/// The server's metrics, exposed at `GET /metrics` in the Prometheus text format.
///
/// Each server has its own ``registry``, held in ``GraphNode/metrics``, so tests see real
/// numbers without a process-wide bootstrap. The executable additionally bootstraps
/// swift-metrics with ``makeMetricsFactory()`` so that metrics of libraries land in the same
/// registry (see ``ObservabilityBootstrap``).
///
/// ## What records what
/// - HTTP requests are recorded by ``RequestObservabilityMiddleware`` (count and latency by
///   method, route template and status; errors by code). Controllers do nothing for these.
/// - Gauges of the node's state (databases, open databases, leased connections, waiting
///   requests, memory, uptime) are read when `/metrics` is scraped. A component whose state is
///   not reachable from ``GraphNode`` registers a sampler with ``addSampler(_:)``.
/// - Everything else is reported by the component that knows it, through the typed functions
///   below. They are cheap (a lock and an add), never throw and may be called from any thread,
///   including the ``EngineExecutor``'s.
///
/// ```swift
/// // query controller, once a query has finished (JSON, NDJSON or SSE):
/// server.metrics.queryCompleted(graph: context.graphID, seconds: elapsed, rows: rowsSent)
/// // for a streamed answer, also once per chunk written:
/// server.metrics.rowsStreamed(rowsInChunk)
/// // when a query fails (before or after the first byte), with the error's code:
/// server.metrics.queryFailed(graph: context.graphID, code: error.code)
/// // admission control refusing work with 503:
/// server.metrics.admissionRejected(reason: "query_queue_full")
/// // ingestion / COPY:
/// server.metrics.ingestRows(result.rowsIngested, skipped: result.rowsSkipped)
/// // the task runner: counts by status at every change (or from a sampler), and each end:
/// server.metrics.setTaskCounts(["pending": 1, "running": 2])
/// server.metrics.taskFinished(type: "backup", status: "completed")
/// // after deleting a graph, so its series disappear:
/// server.metrics.forgetGraph(id)
/// ```
///
/// Every metric name starts with `graph_api_`; that prefix is reserved for this type (library
/// metrics that use it are renamed `lib_graph_api_…` by ``makeMetricsFactory()``). Label values
/// passed in (`reason`, `code`, `type`, `status`) must come from small fixed sets, such as the
/// contract's stable error codes: never a user-supplied string, or the number of series grows
/// without bound.
public final class ServerMetrics: Sendable {
    /// The Prometheus registry every metric of this server is kept in.
    public let registry: PrometheusCollectorRegistry

    /// Buckets of request and query latency, in seconds: 1 ms to 5 minutes.
    public static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
    ]

    /// Task statuses reported by ``setTaskCounts(_:)``; a status absent from the dictionary is 0.
    public static let taskStatuses = ["pending", "running", "completed", "failed", "cancelled"]

    private let requestsInFlight: Gauge
    private let rowsStreamedCounter: Counter
    private let queriesAbandonedCounter: Counter
    private let samplers = Mutex<[@Sendable (ServerMetrics) async -> Void]>([])
    private let graphSeries = Mutex<[String: GraphSeries]>([:])

    /// The per-graph series, kept so that ``forgetGraph(_:)`` can remove them.
    private final class GraphSeries: Sendable {
        let queries: Counter
        let rows: Counter
        let duration: DurationHistogram
        let errors = Mutex<[String: Counter]>([:])

        init(queries: Counter, rows: Counter, duration: DurationHistogram) {
            self.queries = queries
            self.rows = rows
            self.duration = duration
        }
    }

    /// Creates the metrics of one server in `registry` (a new one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        requestsInFlight = registry.makeGauge(descriptor: Names.requestsInFlight)
        rowsStreamedCounter = registry.makeCounter(descriptor: Names.rowsStreamed)
        queriesAbandonedCounter = registry.makeCounter(descriptor: Names.queriesAbandoned)
    }

    // MARK: HTTP (recorded by RequestObservabilityMiddleware)

    /// A request entered the server.
    package func requestStarted() {
        requestsInFlight.increment()
    }

    /// A request ended: its response was written (or failed to be).
    ///
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - route: the route template (`/databases/{graph_id}/query`), `unmatched` when no route matched.
    ///   - status: the response status code.
    ///   - duration: from the request's arrival to the end of its response body.
    package func requestCompleted(method: String, route: String, status: Int, duration: Duration) {
        requestsInFlight.decrement()
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: Names.requests, labels: labels).increment()
        registry.makeDurationHistogram(descriptor: Names.requestDuration, labels: labels, buckets: Self.latencyBuckets)
            .record(duration)
    }

    /// A request failed with an error response carrying the contract's stable `code`.
    package func requestFailed(route: String, status: Int, code: String) {
        registry.makeCounter(
            descriptor: Names.errors, labels: [("route", route), ("status", String(status)), ("code", code)]
        ).increment()
    }

    // MARK: Queries

    /// A Cypher query on `graph` finished successfully.
    ///
    /// Call it once per query, when the last row was written (for a streamed answer: after the
    /// last chunk). Records `graph_api_queries_total{graph}`,
    /// `graph_api_query_duration_seconds{graph}` and `graph_api_query_rows_total{graph}`.
    ///
    /// - Parameters:
    ///   - graph: the graph queried.
    ///   - seconds: wall time from the request's admission to the end of the answer.
    ///   - rows: rows sent to the client.
    public func queryCompleted(graph: GraphID, seconds: Double, rows: Int) {
        let series = self.series(of: graph)
        series.queries.increment()
        series.rows.increment(by: Int64(max(0, rows)))
        series.duration.record(Self.duration(seconds: seconds))
    }

    /// A Cypher query on `graph` failed; `code` is the code it failed with (e.g.
    /// `cypher_syntax_error`, `query_timeout`). Records `graph_api_query_errors_total{graph,code}`.
    public func queryFailed(graph: GraphID, code: String) {
        let series = self.series(of: graph)
        let counter = series.errors.withLock { errors in
            if let counter = errors[code] { return counter }
            let counter = registry.makeCounter(descriptor: Names.queryErrors, labels: [("graph", graph.rawValue), ("code", code)])
            errors[code] = counter
            return counter
        }
        counter.increment()
    }

    /// A query stopped because its client went away: before its answer (the engine query is
    /// interrupted) or in the middle of a stream. Records `graph_api_queries_abandoned_total`;
    /// such a query counts neither as completed nor as failed.
    public func queryAbandoned() {
        queriesAbandonedCounter.increment()
    }

    /// Rows written to a client in a streamed (NDJSON or SSE) answer; call it once per chunk.
    /// Records `graph_api_rows_streamed_total`.
    public func rowsStreamed(_ rows: Int) {
        rowsStreamedCounter.increment(by: Int64(max(0, rows)))
    }

    /// Removes every series labelled with `graph` (call it after deleting the graph), so that the
    /// number of series stays bounded by the graphs that exist.
    public func forgetGraph(_ graph: GraphID) {
        guard let series = graphSeries.withLock({ $0.removeValue(forKey: graph.rawValue) }) else { return }
        registry.unregisterCounter(series.queries)
        registry.unregisterCounter(series.rows)
        registry.unregisterDurationHistogram(series.duration)
        for counter in series.errors.withLock({ Array($0.values) }) {
            registry.unregisterCounter(counter)
        }
    }

    // MARK: Admission, ingestion, tasks

    /// Work was refused by admission control (`503` with `Retry-After`). `reason` is the refusal's
    /// stable code: `query_queue_full`, `memory_pressure`, `database_busy`,
    /// `too_many_open_databases`, … Records `graph_api_admission_rejections_total{reason}`.
    public func admissionRejected(reason: String) {
        registry.makeCounter(descriptor: Names.admissionRejections, labels: [("reason", reason)]).increment()
    }

    /// Rows an ingest or COPY wrote into a graph (`rows`) and rows it skipped under
    /// `ignore_errors` (`skipped`). Records `graph_api_ingest_rows_total{outcome="ingested"|"skipped"}`.
    public func ingestRows(_ rows: Int, skipped: Int = 0) {
        registry.makeCounter(descriptor: Names.ingestRows, labels: [("outcome", "ingested")]).increment(by: Int64(max(0, rows)))
        if skipped > 0 {
            registry.makeCounter(descriptor: Names.ingestRows, labels: [("outcome", "skipped")]).increment(by: Int64(skipped))
        }
    }

    /// The number of tasks in each status now (`pending`, `running`, `completed`, `failed`,
    /// `cancelled`); statuses not given are set to 0. Sets `graph_api_tasks{status}`.
    public func setTaskCounts(_ counts: [String: Int]) {
        for status in Set(Self.taskStatuses).union(counts.keys) {
            registry.makeGauge(descriptor: Names.tasks, labels: [("status", status)]).set(to: Double(counts[status] ?? 0))
        }
    }

    /// A task of `type` (`copy`, `ingest`, `backup`, `restore`) ended with `status` (`completed`,
    /// `failed`, `cancelled`). Records `graph_api_tasks_finished_total{type,status}`.
    public func taskFinished(type: String, status: String) {
        registry.makeCounter(descriptor: Names.tasksFinished, labels: [("type", type), ("status", status)]).increment()
    }

    // MARK: Backup and restore

    /// A backup or restore (`kind`) of `graph` completed in `seconds`, with an archive of
    /// `bytes`. Records `graph_api_backups_total{kind,outcome="completed"}`,
    /// `graph_api_backup_bytes_total{kind}`, `graph_api_backup_duration_seconds{kind}` and, for a
    /// backup, `graph_api_backup_last_success_timestamp_seconds{graph_id}`.
    public func backupCompleted(graph: GraphID, kind: String, seconds: Double, bytes: Int64) {
        registry.makeCounter(descriptor: Names.backups, labels: [("kind", kind), ("outcome", "completed")]).increment()
        registry.makeCounter(descriptor: Names.backupBytes, labels: [("kind", kind)]).increment(by: max(0, bytes))
        registry.makeDurationHistogram(descriptor: Names.backupDuration, labels: [("kind", kind)], buckets: Self.backupBuckets)
            .record(.milliseconds(Int64(seconds * 1000)))
        if kind == "backup" {
            registry.makeGauge(descriptor: Names.backupLastSuccess, labels: [("graph_id", graph.rawValue)])
                .set(to: Date().timeIntervalSince1970)
        }
    }

    /// A backup or restore (`kind`) of `graph` failed. Records
    /// `graph_api_backups_total{kind,outcome="failed"}`.
    public func backupFailed(graph: GraphID, kind: String) {
        registry.makeCounter(descriptor: Names.backups, labels: [("kind", kind), ("outcome", "failed")]).increment()
    }

    /// Buckets of backup and restore durations: 100 ms to 2 hours.
    static let backupBuckets: [Duration] = [
        .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300),
        .seconds(900), .seconds(3600), .seconds(7200),
    ]

    // MARK: Replicas

    /// Where a replica stands on `graph`. Sets `graph_api_replica_lag_seconds{graph_id}`,
    /// `graph_api_replica_applied_position{graph_id}` and
    /// `graph_api_replica_published_position{graph_id}`.
    public func replication(graph: GraphID, applied: UInt64, published: UInt64, lagSeconds: Double) {
        let labels = [("graph_id", graph.rawValue)]
        registry.makeGauge(descriptor: Names.replicaLag, labels: labels).set(to: lagSeconds)
        registry.makeGauge(descriptor: Names.replicaApplied, labels: labels).set(to: Double(applied))
        registry.makeGauge(descriptor: Names.replicaPublished, labels: labels).set(to: Double(published))
    }

    // MARK: Node state (sampled when /metrics is scraped)

    /// Registers a closure run at every scrape of `/metrics`, before the text is written; use it to
    /// set gauges from state that is cheap to read (e.g. the task runner's counts).
    public func addSampler(_ sampler: @escaping @Sendable (ServerMetrics) async -> Void) {
        samplers.withLock { $0.append(sampler) }
    }

    /// A snapshot of the node's state, written into gauges at each scrape.
    package struct NodeState: Sendable {
        package var databases: Int
        package var maxDatabases: Int
        package var openDatabases: Int
        package var maxOpenDatabases: Int
        package var leasedConnections: Int
        package var waitingRequests: Int
        package var residentMemoryBytes: UInt64?
        package var uptimeSeconds: Double

        package init(
            databases: Int, maxDatabases: Int, openDatabases: Int, maxOpenDatabases: Int, leasedConnections: Int, waitingRequests: Int,
            residentMemoryBytes: UInt64?, uptimeSeconds: Double
        ) {
            self.databases = databases
            self.maxDatabases = maxDatabases
            self.openDatabases = openDatabases
            self.maxOpenDatabases = maxOpenDatabases
            self.leasedConnections = leasedConnections
            self.waitingRequests = waitingRequests
            self.residentMemoryBytes = residentMemoryBytes
            self.uptimeSeconds = uptimeSeconds
        }
    }

    /// Sets the node gauges from `state`.
    package func record(_ state: NodeState) {
        registry.makeGauge(descriptor: Names.databases).set(to: Double(state.databases))
        registry.makeGauge(descriptor: Names.maxDatabases).set(to: Double(state.maxDatabases))
        registry.makeGauge(descriptor: Names.openDatabases).set(to: Double(state.openDatabases))
        registry.makeGauge(descriptor: Names.maxOpenDatabases).set(to: Double(state.maxOpenDatabases))
        registry.makeGauge(descriptor: Names.connectionsLeased).set(to: Double(state.leasedConnections))
        registry.makeGauge(descriptor: Names.connectionWaiters).set(to: Double(state.waitingRequests))
        if let bytes = state.residentMemoryBytes {
            registry.makeGauge(descriptor: Names.residentMemory).set(to: Double(bytes))
        }
        registry.makeGauge(descriptor: Names.uptime).set(to: state.uptimeSeconds)
    }

    /// Records the build information gauge (`graph_api_build_info{version,ladybug,duckdb} 1`).
    package func recordBuildInfo(version: String, ladybug: String, duckdb: String) {
        registry.makeGauge(
            descriptor: Names.buildInfo, labels: [("version", version), ("ladybug", ladybug), ("duckdb", duckdb)]
        ).set(to: 1)
    }

    /// Runs the samplers, then writes every metric in the Prometheus text format (0.0.4).
    package func exposition() async -> [UInt8] {
        for sampler in samplers.withLock({ $0 }) {
            await sampler(self)
        }
        return registry.emitToBuffer()
    }

    // MARK: Internals

    private func series(of graph: GraphID) -> GraphSeries {
        graphSeries.withLock { all in
            if let series = all[graph.rawValue] { return series }
            let labels = [("graph", graph.rawValue)]
            let series = GraphSeries(
                queries: registry.makeCounter(descriptor: Names.queries, labels: labels),
                rows: registry.makeCounter(descriptor: Names.queryRows, labels: labels),
                duration: registry.makeDurationHistogram(descriptor: Names.queryDuration, labels: labels, buckets: Self.latencyBuckets)
            )
            all[graph.rawValue] = series
            return series
        }
    }

    static func duration(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
    }

    /// The name, unit and help text of every metric (`MetricNameDescriptor` is not `Sendable`, so
    /// these are computed).
    enum Names {
        private static func make(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "graph_api", metricName: name, unitName: unit, helpText: help)
        }
        static var backups: MetricNameDescriptor {
            make("backups", "total", "Backups and restores (kind) that completed or failed (outcome).")
        }
        static var backupBytes: MetricNameDescriptor {
            make("backup_bytes", "total", "Archive bytes written by backups and read by restores (kind).")
        }
        static var backupDuration: MetricNameDescriptor {
            make("backup_duration", "seconds", "Time from start to end of completed backups and restores (kind).")
        }
        static var backupLastSuccess: MetricNameDescriptor {
            make("backup_last_success_timestamp", "seconds", "Unix time of each graph's last completed backup.")
        }
        static var replicaLag: MetricNameDescriptor {
            make("replica_lag", "seconds", "How long the oldest journal entry a replica has not applied yet was committed ago (0: up to date).")
        }
        static var replicaApplied: MetricNameDescriptor {
            make("replica_applied_position", "", "The journal position a replica's copy of each graph is at.")
        }
        static var replicaPublished: MetricNameDescriptor {
            make("replica_published_position", "", "The journal position the master has published for each graph.")
        }
        static var requests: MetricNameDescriptor {
            make("http_requests", "total", "HTTP requests by method, route template and status.")
        }
        static var requestDuration: MetricNameDescriptor {
            make(
                "http_request_duration", "seconds",
                "HTTP request latency until the response body was written, by method, route template and status.")
        }
        static var requestsInFlight: MetricNameDescriptor {
            make("http_requests_in_flight", "", "HTTP requests being handled now.")
        }
        static var errors: MetricNameDescriptor {
            make("http_errors", "total", "HTTP error responses by route template, status and stable error code.")
        }
        static var queries: MetricNameDescriptor {
            make("queries", "total", "Cypher queries completed, by graph.")
        }
        static var queryDuration: MetricNameDescriptor {
            make("query_duration", "seconds", "Cypher query latency from admission to the last row written, by graph.")
        }
        static var queryRows: MetricNameDescriptor {
            make("query_rows", "total", "Rows returned by Cypher queries, by graph.")
        }
        static var queryErrors: MetricNameDescriptor {
            make("query_errors", "total", "Cypher queries failed, by graph and error code.")
        }
        static var rowsStreamed: MetricNameDescriptor {
            make("rows_streamed", "total", "Rows written in streamed (NDJSON or SSE) answers.")
        }
        static var queriesAbandoned: MetricNameDescriptor {
            make("queries_abandoned", "total", "Cypher queries stopped because their client went away before or during the answer.")
        }
        static var admissionRejections: MetricNameDescriptor {
            make("admission_rejections", "total", "Work refused by admission control (503), by reason.")
        }
        static var ingestRows: MetricNameDescriptor {
            make("ingest_rows", "total", "Rows ingested into graphs, and rows skipped under ignore_errors.")
        }
        static var tasks: MetricNameDescriptor {
            make("tasks", "", "Background tasks by status.")
        }
        static var tasksFinished: MetricNameDescriptor {
            make("tasks_finished", "total", "Background tasks that ended, by type and status.")
        }
        static var databases: MetricNameDescriptor {
            make("databases", "", "Graph databases on this node.")
        }
        static var maxDatabases: MetricNameDescriptor {
            make("max_databases", "", "Graph databases this node may hold.")
        }
        static var openDatabases: MetricNameDescriptor {
            make("open_databases", "", "Graph databases open now.")
        }
        static var maxOpenDatabases: MetricNameDescriptor {
            make("max_open_databases", "", "Graph databases that may be open at once.")
        }
        static var connectionsLeased: MetricNameDescriptor {
            make("connections_leased", "", "Engine connections leased by requests now, across every open database.")
        }
        static var connectionWaiters: MetricNameDescriptor {
            make("connection_waiters", "", "Requests waiting for an engine connection now, across every open database.")
        }
        static var residentMemory: MetricNameDescriptor {
            make("resident_memory", "bytes", "Resident memory of the server process.")
        }
        static var uptime: MetricNameDescriptor {
            make("uptime", "seconds", "Seconds since the server started.")
        }
        static var buildInfo: MetricNameDescriptor {
            make("build_info", "", "Version of the server and its engines (always 1).")
        }
    }
}
