/// The `graph-api` flags that set the request options a server message may suggest.
///
/// The server writes a suggestion as a code span naming the request field and its value (pass
/// `` `ignore_errors: true` `` to skip exactly these rows); ``namingFlags(_:)`` replaces each span
/// it knows with the command-line flag (`--ignore-errors`), so the CLI's messages name what its
/// user types. The spans are the server's `SuggestedOption`s (a test checks each has a flag here).
public enum CLIFlagNames {
    /// The flag of each suggestion, by the text of its code span.
    public static let flags: [String: String] = [
        "ignore_errors: true": "--ignore-errors",  // tables ingest, copy
        "force_overwrite: true": "--force",  // backup restore
        "create_system_backup: false": "--no-system-backup",  // backup restore
        "target_graph_id": "--target",  // backup restore
    ]

    /// `text` with each code span that names a known suggestion replaced by its flag; other
    /// text, other spans included, stays as it is.
    public static func namingFlags(_ text: String) -> String {
        guard text.contains("`") else { return text }
        var output = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "`") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "`") else { break }
            output += rest[..<open]
            let span = rest[afterOpen..<close]
            if let flag = flags[String(span)] {
                output += flag
            } else {
                output += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }
}
