import GraphService
import Foundation

/// The node's stable id: a UUID stored in `<data-dir>/node-id`, created on first start and read
/// on every later one, so it survives restarts and upgrades (but not a new data folder).
enum NodeIdentity {
    static let fileName = "node-id"

    /// Reads the node id of the data folder at `dataDirectory`, creating it if there is none.
    ///
    /// A new id is written to a temporary file and linked into place, so two processes starting
    /// on one folder at once still agree on a single id. A file holding something other than a
    /// UUID is replaced.
    ///
    /// - Throws: when the folder cannot be read or written.
    static func loadOrCreate(dataDirectory: String) throws -> UUID {
        let path = dataDirectory + "/" + fileName
        if let existing = try read(path) { return existing }
        let id = UUID()
        let temporary = dataDirectory + "/.node-id-\(UUID().uuidString)"
        try Data((id.uuidString.lowercased() + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
        defer { unlink(temporary) }
        if link(temporary, path) == 0 { return id }
        if errno == EEXIST, let winner = try read(path) { return winner }
        // The file exists but is not a UUID: replace it.
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return id
    }

    private static func read(_ path: String) throws -> UUID? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return UUID(uuidString: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
