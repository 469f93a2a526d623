import GraphService
import Logging
import Metrics
import Prometheus

/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One JSON object per line (``JSONLogHandler``), for log collectors.
    case json
    /// swift-log's human-readable lines.
    case text

    /// Resolves the format: the `--log-format` flag wins over `GRAPH_API_LOG_FORMAT`, which wins
    /// over the default of the deployment (`json` in production, `text` in development).
    ///
    /// - Throws: a ``ConfigurationError`` naming the setting for a value other than `json`/`text`.
    public static func resolve(
        flag: String?, environment: [String: String], deployment: DeploymentEnvironment
    ) throws(ConfigurationError) -> LogFormat {
        let raw = flag ?? environment[ServerSetting.logFormat.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let raw else { return deployment == .production ? .json : .text }
        guard let format = LogFormat(rawValue: raw.lowercased()) else {
            throw ConfigurationError("invalid log format '\(raw)': expected one of json|text")
        }
        return format
    }
}

/// The process-wide logging and metrics set-up. Only the executable calls these, once, before
/// building the application; libraries and tests never do (tests read ``ServerMetrics/registry``
/// of their own server).
public enum ObservabilityBootstrap {
    /// Makes every `Logger` of the process write `format` lines to standard error.
    public static func bootstrapLogging(format: LogFormat) {
        switch format {
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        case .text:
            LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        }
    }

    /// Makes swift-metrics (the metrics of libraries) record into `metrics`' registry, so they
    /// appear at `GET /metrics` next to the server's own.
    public static func bootstrapMetrics(_ metrics: ServerMetrics) {
        MetricsSystem.bootstrap(makeMetricsFactory(metrics))
    }

    /// A swift-metrics factory writing into `metrics`' registry. A library metric whose name
    /// starts with the server's reserved prefix `graph_api` is renamed `lib_graph_api…`, so it
    /// can never clash with a ``ServerMetrics`` metric (the registry refuses two metrics of one
    /// name with different types or help texts).
    static func makeMetricsFactory(_ metrics: ServerMetrics) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: metrics.registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (name.lowercased().hasPrefix("graph_api") ? "lib_" + name : name, labels)
        }
        return factory
    }
}
