import Foundation

/// The server's data folder: one sub-folder per graph below `databases/`.
///
/// Created at start if missing. ``isUsable`` is what `/health` reports on.
public struct DataDirectory: Sendable {
    /// Absolute path of the data folder.
    public let path: String
    /// Folder that holds one folder per graph.
    public var databasesPath: String { path + "/databases" }

    /// Creates the data folder (and its `databases` folder) if needed.
    public init(path: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        self.path = absolute
        try FileManager.default.createDirectory(atPath: absolute + "/databases", withIntermediateDirectories: true)
    }

    /// Whether the data folder exists and the server can write into it.
    public var isUsable: Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: databasesPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            return false
        }
        return access(databasesPath, W_OK | X_OK) == 0
    }

    /// How many graphs the data folder holds (folders below `databases/`); opens none of them.
    public func graphCount() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: databasesPath)) ?? []
        return entries.reduce(into: 0) { count, name in
            var isDirectory: ObjCBool = false
            if !name.hasPrefix("."), FileManager.default.fileExists(atPath: databasesPath + "/" + name, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                count += 1
            }
        }
    }
}
