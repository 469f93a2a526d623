import Foundation
import Staging

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Source files for the staging and copy tests, in a server's import directory. Kept in its own
/// file, like ``LiveServer``: it needs DuckDB (`Staging`), whose names must not meet the client's.
enum FixtureFiles {
    /// Runs `COPY (<select>) TO '<path>'` in a throwaway in-memory DuckDB: Parquet, or CSV with a
    /// header for a `.csv` path. Creates the folders on the way.
    static func write(_ select: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        let database = try StagingDatabase.inMemory(configuration: StagingConfiguration(memoryLimit: .mebibytes(256), threads: 1))
        defer { database.close() }
        let connection = try database.connect()
        defer { connection.close() }
        let format = path.hasSuffix(".csv") ? "csv, HEADER" : "parquet"
        try connection.execute("COPY (\(select)) TO \(StagingSQL.literal(path)) (FORMAT \(format))")
    }

    /// Writes `text` as it is (a hand-written CSV file), creating the folders on the way.
    static func write(text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Creates `bucket` on the local S3 server at `endpoint` (`host:port`, path-style, any
    /// credentials) and writes `select` as Parquet to each `s3://bucket/key` of `keys` through
    /// DuckDB's httpfs; each key's index is `$part` in `select`.
    static func writeToS3(_ select: String, bucket: String, keys: [String], endpoint: String) async throws {
        var request = URLRequest(url: URL(string: "http://\(endpoint)/\(bucket)")!)
        request.httpMethod = "PUT"
        _ = try await URLSession.shared.data(for: request)
        let database = try StagingDatabase.inMemory(configuration: StagingConfiguration(memoryLimit: .mebibytes(256), threads: 1))
        defer { database.close() }
        try database.loadExtension(at: try StagingExtensionLocator.processDefault().httpfsPath())
        try database.createSecret(StagingS3Secret(keyID: "k", secret: "s", endpoint: endpoint, urlStyle: .path, useSSL: false))
        let connection = try database.connect()
        defer { connection.close() }
        for (part, key) in keys.enumerated() {
            let query = select.replacingOccurrences(of: "$part", with: String(part))
            try connection.execute("COPY (\(query)) TO \(StagingSQL.literal("s3://\(bucket)/\(key)")) (FORMAT parquet)")
        }
    }
}
