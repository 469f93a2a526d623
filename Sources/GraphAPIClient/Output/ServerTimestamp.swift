import Foundation

/// The server's timestamps as text, the way the server writes them: ISO-8601 UTC with
/// milliseconds (`2026-12-06T15:44:09.723Z`).
public enum ServerTimestamp {
    /// `date` as the server would write it.
    ///
    /// The time is rounded to the millisecond first: a `Date` read from `…09.723Z` can lie a
    /// hair below .723, and a formatter that truncates would print `.722`.
    public static func text(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (milliseconds / 1000).rounded(.down)
        let whole = Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        return String(whole.dropLast()) + "." + String(String(Int(milliseconds - seconds * 1000) + 1000).dropFirst()) + "Z"
    }
}
