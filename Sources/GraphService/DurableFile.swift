import Foundation

/// Small files written so that a crash leaves the old contents or the new ones, never a part:
/// a temporary file beside the target (`.tmp-<name>`), synced, renamed over it, and the folder
/// synced so that the rename itself survives.
enum DurableFile {
    /// - Throws: ``ServiceError`` `disk_full` naming the file when it cannot be written.
    static func write(_ data: Data, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = folder + "/.tmp-" + (path as NSString).lastPathComponent
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw ServiceError(.diskFull, "cannot write '\(path)'")
        }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw ServiceError(.diskFull, "cannot write '\(path)': \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw ServiceError(.diskFull, "cannot write '\(path)': \(reason)")
        }
        syncDirectory(folder)
    }
}

/// Makes renames and new files in `folder` durable.
func syncDirectory(_ folder: String) {
    let fd = open(folder, O_RDONLY | O_DIRECTORY)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    _ = close(fd)
}
