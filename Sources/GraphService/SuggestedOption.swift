/// A request field, with the value to give it, that an error message suggests: "pass
/// `ignore_errors: true` to skip exactly these rows".
///
/// A message writes one through its ``description``, as a code span (`` `ignore_errors: true` ``),
/// so a client can name its own way of setting it instead: the `graph-api` CLI shows its flag
/// (`--ignore-errors`). Every suggestion is a case here, and a test checks that the CLI has a
/// flag for each, so a new one cannot reach CLI users as an API field.
public enum SuggestedOption: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Skip the rows the graph would reject (ingest, copy).
    case ignoreErrors = "ignore_errors: true"
    /// Restore over a graph that exists.
    case forceOverwrite = "force_overwrite: true"
    /// Do not back up the graph a restore replaces.
    case noSystemBackup = "create_system_backup: false"
    /// Restore into another graph.
    case targetGraphID = "target_graph_id"

    /// The suggestion as a code span, as messages write it.
    public var description: String { "`\(rawValue)`" }
}
