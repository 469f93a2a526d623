import Foundation

/// Memory figures of this process, read from `/proc/self/statm` (Linux).
package enum ProcessMemory {
    /// Resident set size in bytes, or `nil` where `/proc` is not available.
    package static func residentBytes() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return nil }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
