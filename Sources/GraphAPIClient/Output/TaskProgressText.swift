import Foundation
import GraphAPIContract

/// A task's progress as text, for following a task from a terminal or a log.
///
/// ```
/// [############------------------]  40.0%  running  rows 400/1000  copying part 3
/// running  40.0%  rows 400/1000  copying part 3
/// ```
public enum TaskProgressText {
    /// A progress bar of `width` cells, the percentage, the status and the details, on one line.
    public static func bar(_ task: TaskInfo, width: Int = 30) -> String {
        let percent = clamped(task.progressPercent)
        let filled = min(width, max(0, Int((percent / 100 * Double(width)).rounded(.down))))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        return ([bar, percentText(percent), task.status.rawValue] + details(task)).joined(separator: "  ")
    }

    /// The status, the percentage and the details, on one line (no control characters).
    public static func line(_ task: TaskInfo) -> String {
        ([task.status.rawValue, percentText(clamped(task.progressPercent))] + details(task)).joined(separator: "  ")
    }

    /// `rows a/b`, `bytes a/b` and the message, for those the task reports.
    public static func details(_ task: TaskInfo) -> [String] {
        var parts: [String] = []
        if let rows = task.rowsProcessed {
            parts.append("rows \(rows)" + (task.totalRows.map { "/\($0)" } ?? ""))
        }
        if let bytes = task.bytesProcessed {
            parts.append("bytes \(bytes)" + (task.totalBytes.map { "/\($0)" } ?? ""))
        }
        if let message = task.message, !message.isEmpty { parts.append(CellText.singleLine(message)) }
        return parts
    }

    /// `percent` within 0...100 (0 for NaN).
    public static func clamped(_ percent: Double) -> Double {
        percent.isFinite ? min(100, max(0, percent)) : 0
    }

    /// ` 40.0%`, right-aligned to six characters.
    public static func percentText(_ percent: Double) -> String {
        let text = String(format: "%.1f%%", percent)
        return String(repeating: " ", count: max(0, 6 - text.count)) + text
    }
}
