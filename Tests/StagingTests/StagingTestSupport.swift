import Foundation
import Staging

/// Shared fixtures: a small configuration, temporary directories, the package folder.
enum StagingTestSupport {
    /// Every test instance gets a small explicit memory limit and two threads.
    static let configuration = StagingConfiguration(memoryLimit: .mebibytes(256), threads: 2)

    /// The package folder (three levels above this file).
    static let packageDirectory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The pinned httpfs extension: `GRAPH_API_HTTPFS_EXTENSION` or `.engines/` in the package.
    static func httpfsPath() throws -> String {
        try StagingExtensionLocator.processDefault(additionalDirectories: [packageDirectory]).httpfsPath()
    }

    static func openInMemory() throws -> (StagingDatabase, StagingConnection) {
        let database = try StagingDatabase.inMemory(configuration: configuration)
        return (database, try database.connect())
    }
}

/// A fresh directory under the system temporary directory, removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init(_ name: String = "staging") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("\(name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    /// `path/name`.
    func file(_ name: String) -> String { path + "/" + name }

    /// Creates and returns `path/name/`.
    func subdirectory(_ name: String) throws -> String {
        let directory = file(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension StagingConnection {
    /// The single value of a one-row, one-column query.
    func scalar(_ sql: String, parameters: [StagingValue] = []) throws -> StagingValue {
        let rows = try query(sql, parameters: parameters).rows()
        guard rows.count == 1, rows[0].count == 1 else {
            throw StagingError(kind: .other, message: "expected one value, got \(rows)")
        }
        return rows[0][0]
    }
}

/// Runs `sql` and returns the error it throws (nil when it succeeds).
func stagingError(_ body: () throws -> Void) -> StagingError? {
    do {
        try body()
        return nil
    } catch let error as StagingError {
        return error
    } catch {
        return StagingError(kind: .other, message: "not a StagingError: \(error)")
    }
}
