import AsyncHTTPClient
import BackupArchive
import Foundation
import NIOCore
import NIOPosix
import S3Client

/// Backups in S3, below the configured `s3://bucket/prefix`: `<prefix>/<graph_id>/<backup_id>.gbak`
/// and `<backup_id>.manifest.json`, as in the local folder. An archive is written to the work
/// folder first, then uploaded in parts (one part in memory at a time, the uploader aborts on any
/// failure so no partial object is left), then the manifest is put: a backup exists once its
/// manifest does.
struct S3BackupStore: Sendable {
    let client: S3Client
    let location: S3Location
    /// As ``LocalBackupStore/area``.
    var area = ""

    /// The same destination's journal bases (`<graph>/journal/bases/`), which are not listed among the graph's backups.
    var journalBases: S3BackupStore { S3BackupStore(client: client, location: location, area: "/journal/bases") }

    /// A store at `settings`' location, on an HTTP client of its own (connect 5 s, read 60 s)
    /// that its owner shuts down.
    static func connect(_ settings: BackupS3Settings) -> (store: S3BackupStore, httpClient: HTTPClient) {
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .seconds(5), read: .seconds(60))
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: http)
        return (S3BackupStore(client: S3Client(httpClient: client, configuration: settings.client), location: settings.location), client)
    }

    func archiveKey(graph: String, backupID: String) -> String { location.key("\(graph)\(area)/\(backupID)\(LocalBackupStore.archiveExtension)") }
    func manifestKey(graph: String, backupID: String) -> String { location.key("\(graph)\(area)/\(backupID)\(LocalBackupStore.manifestExtension)") }

    /// Uploads the archive file at `path`, read in parts.
    func upload(archive path: String, graph: String, backupID: String, progress: @escaping @Sendable (Int64) -> Void) async throws {
        let uploader = try S3MultipartUploader(
            client: client, bucket: location.bucket, key: archiveKey(graph: graph, backupID: backupID), contentType: "application/octet-stream"
        )
        _ = try await Self.storageErrors { try await uploader.upload(FileChunks(path: path, chunkSize: 8 << 20, progress: progress)) }
    }

    func save(_ manifest: BackupManifest) async throws {
        let data = try manifest.fileData()
        _ = try await Self.storageErrors {
            try await client.putObject(
                bucket: location.bucket, key: manifestKey(graph: manifest.graphID, backupID: manifest.backupID), body: ByteBuffer(bytes: data),
                contentType: "application/json"
            )
        }
    }

    /// Every backup of `graph` here (manifests whose archive is listed too).
    func list(graph: String) async throws -> [BackupManifest] {
        try await Self.storageErrors {
            var archives: Set<String> = []
            var manifests: [String] = []
            let prefix = location.key("\(graph)\(area)/")
            // The objects in the folder itself (the journal's are below it).
            for try await object in client.listObjects(bucket: location.bucket, prefix: prefix) where !object.key.dropFirst(prefix.count).contains("/") {
                if object.key.hasSuffix(LocalBackupStore.manifestExtension) { manifests.append(object.key) }
                if object.key.hasSuffix(LocalBackupStore.archiveExtension) { archives.insert(object.key) }
            }
            var result: [BackupManifest] = []
            for key in manifests {
                guard let manifest = try await read(manifestAt: key),
                    archives.contains(archiveKey(graph: graph, backupID: manifest.backupID))
                else { continue }
                result.append(manifest)
            }
            return result
        }
    }

    func manifest(graph: String, backupID: String) async throws -> BackupManifest? {
        try await Self.storageErrors { try await read(manifestAt: manifestKey(graph: graph, backupID: backupID)) }
    }

    private func read(manifestAt key: String) async throws -> BackupManifest? {
        do {
            let bytes = try await client.getObjectBytes(bucket: location.bucket, key: key, upTo: 1 << 20)
            return try? JSONDecoder().decode(BackupManifest.self, from: Data(bytes.readableBytesView))
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// Removes a backup: the manifest first, so that it is never listed without its archive.
    func delete(graph: String, backupID: String) async throws {
        try await Self.storageErrors {
            try await client.deleteObject(bucket: location.bucket, key: manifestKey(graph: graph, backupID: backupID))
            try await client.deleteObject(bucket: location.bucket, key: archiveKey(graph: graph, backupID: backupID))
        }
    }

    /// The archive, streamed.
    func open(key: String) async throws -> S3ObjectResponse {
        try await Self.storageErrors { try await client.getObject(bucket: location.bucket, key: key) }
    }

    /// Writes the object `key` into a new file at `path` as it arrives.
    func download(key: String, to path: String, progress: @escaping @Sendable (Int64) -> Void) async throws -> Int64 {
        let response = try await open(key: key)
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw ServiceError(.diskFull, "cannot create '\(path)'")
        }
        let handle = UncheckedSendableFile(file)
        defer { try? file.close() }
        var written: Int64 = 0
        try await Self.storageErrors {
            for try await chunk in response.body {
                try await BlockingWork.run { try chunk.withUnsafeReadableBytes { try handle.file.write(contentsOf: $0) } }
                written += Int64(chunk.readableBytes)
                progress(written)
            }
        }
        try await BlockingWork.run { try handle.file.synchronize() }
        return written
    }

    /// S3's and the transport's failures, said as the backup's: `503` for what may pass.
    static func storageErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as S3Error {
            throw ServiceError(
                .backupStorageUnavailable, "the S3 backup destination refused: \(error.code.rawValue) (HTTP \(error.status)): \(error.message)",
                retryAfterSeconds: 5
            )
        } catch let error as S3TransportError {
            throw ServiceError(.backupStorageUnavailable, "the S3 backup destination is unreachable: \(error)", retryAfterSeconds: 5)
        }
    }
}

/// A file handle used by one task at a time, hopping to the blocking threads for each call.
struct UncheckedSendableFile: @unchecked Sendable {
    let file: FileHandle
    init(_ file: FileHandle) { self.file = file }
}

/// A file read as a sequence of buffers, each read on the blocking threads.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize: Int
    let progress: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: UncheckedSendableFile?
        let error: (any Error)?
        let chunkSize: Int
        let progress: @Sendable (Int64) -> Void
        var done: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            if let error { throw error }
            guard let file else { return nil }
            let size = chunkSize
            let data = try await BlockingWork.run { try file.file.read(upToCount: size) ?? Data() }
            if data.isEmpty {
                try? file.file.close()
                return nil
            }
            done += Int64(data.count)
            progress(done)
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            return AsyncIterator(file: UncheckedSendableFile(handle), error: nil, chunkSize: chunkSize, progress: progress)
        } catch {
            return AsyncIterator(file: nil, error: error, chunkSize: chunkSize, progress: progress)
        }
    }
}
