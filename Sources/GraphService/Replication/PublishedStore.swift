import BackupArchive
import Foundation
import NIOCore
import S3Client

/// Where a node publishes its graphs' journals, and where a replica reads them: the backup
/// destination (a local folder or `s3://bucket/prefix`). Below it, beside each graph's backups:
///
/// - `<graph>/journal/head.json`: what is published (``PublishedHead``), rewritten after each
///   shipment;
/// - `<graph>/journal/<journal_id>/<first>-<last>.jrn`: a shipment of journal records,
///   positions `first` to `last` (20 digits each), as an archive holding one file, `records`
///   (compressed, and encrypted with the backup key when one is configured);
/// - `<graph>/journal/bases/<backup_id>.gbak` and `.manifest.json`: the base backups the
///   journal continues (a backup in every way, with its `journal_position` and `journal_id`).
///
/// Keys are relative to the destination's root. An object is whole or absent: a local file is
/// written beside its name, synced and renamed; an S3 object is put at once (or in parts that
/// complete together).
enum PublishedStore: Sendable, CustomStringConvertible {
    case local(root: String)
    case s3(S3BackupStore)

    var description: String {
        switch self {
        case .local(let root): root
        case .s3(let store): store.location.description
        }
    }

    static func journalFolder(_ graph: String) -> String { graph + "/journal/" }
    static func headKey(_ graph: String) -> String { journalFolder(graph) + "head.json" }
    static func basesFolder(_ graph: String) -> String { journalFolder(graph) + "bases/" }
    static let shipmentExtension = ".jrn"

    /// The folder of one journal's shipments: positions count again from 1 in a journal with
    /// another id (the graph was made again), so each journal has its own.
    static func shipmentsFolder(_ graph: String, journalID: String) -> String { journalFolder(graph) + journalID + "/" }

    static func shipmentKey(_ graph: String, journalID: String, first: UInt64, last: UInt64) -> String {
        shipmentsFolder(graph, journalID: journalID) + String(format: "%020llu-%020llu", first, last) + shipmentExtension
    }

    /// The positions a shipment's name gives (`nil` for another name).
    static func shipmentRange(_ name: String) -> (first: UInt64, last: UInt64)? {
        guard name.hasSuffix(shipmentExtension) else { return nil }
        let parts = name.dropLast(shipmentExtension.count).split(separator: "-")
        guard parts.count == 2, let first = UInt64(parts[0]), let last = UInt64(parts[1]), first <= last else { return nil }
        return (first, last)
    }

    /// The object's bytes, `nil` when there is none.
    func read(_ key: String, upTo limit: Int = 16 << 20) async throws -> Data? {
        switch self {
        case .local(let root):
            let path = root + "/" + key
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            return try await BlockingWork.run { try Data(contentsOf: URL(fileURLWithPath: path)) }
        case .s3(let store):
            return try await S3BackupStore.storageErrors {
                do {
                    let bytes = try await store.client.getObjectBytes(bucket: store.location.bucket, key: store.location.key(key), upTo: limit)
                    return Data(bytes.readableBytesView)
                } catch let error as S3Error where error.status == 404 {
                    return nil
                }
            }
        }
    }

    func write(_ data: Data, to key: String) async throws {
        switch self {
        case .local(let root):
            let path = root + "/" + key
            try await BlockingWork.run {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try DurableFile.write(data, to: path)
            }
        case .s3(let store):
            _ = try await S3BackupStore.storageErrors {
                try await store.client.putObject(bucket: store.location.bucket, key: store.location.key(key), body: ByteBuffer(bytes: data))
            }
        }
    }

    /// Puts the file at `path` as object `key`.
    func upload(file path: String, to key: String) async throws {
        switch self {
        case .local(let root):
            let target = root + "/" + key
            let folder = (target as NSString).deletingLastPathComponent
            let temporary = folder + "/.tmp-" + (target as NSString).lastPathComponent
            try await BlockingWork.run {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try? FileManager.default.removeItem(atPath: temporary)
                try FileCopy.copy(from: path, to: temporary)
                let descriptor = open(temporary, O_RDONLY)
                if descriptor >= 0 {
                    _ = fsync(descriptor)
                    _ = close(descriptor)
                }
                guard rename(temporary, target) == 0 else {
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw ServiceError(.diskFull, "cannot write '\(target)': \(String(cString: strerror(errno)))")
                }
                syncDirectory(folder)
            }
        case .s3(let store):
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size <= 8 << 20 {
                let data = try await BlockingWork.run { try Data(contentsOf: URL(fileURLWithPath: path)) }
                _ = try await S3BackupStore.storageErrors {
                    try await store.client.putObject(
                        bucket: store.location.bucket, key: store.location.key(key), body: ByteBuffer(bytes: data), contentType: "application/octet-stream"
                    )
                }
            } else {
                let uploader = try S3MultipartUploader(
                    client: store.client, bucket: store.location.bucket, key: store.location.key(key), contentType: "application/octet-stream"
                )
                _ = try await S3BackupStore.storageErrors { try await uploader.upload(FileChunks(path: path, chunkSize: 8 << 20, progress: { _ in })) }
            }
        }
    }

    /// Writes object `key` into a new file at `path`.
    func download(_ key: String, to path: String) async throws {
        switch self {
        case .local(let root):
            let source = root + "/" + key
            try await BlockingWork.run { try FileCopy.copy(from: source, to: path) }
        case .s3(let store):
            _ = try await store.download(key: store.location.key(key), to: path, progress: { _ in })
        }
    }

    /// The names directly in `folder` (a key ending in `/`), files only.
    func list(_ folder: String) async throws -> [String] {
        switch self {
        case .local(let root):
            let path = root + "/" + folder
            return try await BlockingWork.run {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
                return try FileManager.default.contentsOfDirectory(atPath: path).filter { name in
                    var isFolder: ObjCBool = false
                    return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path + name, isDirectory: &isFolder) && !isFolder.boolValue
                }
            }
        case .s3(let store):
            let prefix = store.location.key(folder)
            return try await S3BackupStore.storageErrors {
                var names: [String] = []
                for try await object in store.client.listObjects(bucket: store.location.bucket, prefix: prefix) {
                    let name = object.key.dropFirst(prefix.count)
                    if !name.isEmpty, !name.contains("/") { names.append(String(name)) }
                }
                return names
            }
        }
    }

    /// The graphs that publish a journal here.
    func publishedGraphs() async throws -> [GraphID] {
        switch self {
        case .local(let root):
            return try await BlockingWork.run {
                ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap { name in
                    guard let id = try? GraphID(validating: name), FileManager.default.fileExists(atPath: root + "/" + Self.headKey(name)) else { return nil }
                    return id
                }
            }
        case .s3(let store):
            let suffix = "/" + Self.headKey("").dropFirst()
            let prefix = store.location.key("")
            return try await S3BackupStore.storageErrors {
                var graphs: [GraphID] = []
                for try await object in store.client.listObjects(bucket: store.location.bucket, prefix: prefix) where object.key.hasSuffix(suffix) {
                    let graph = object.key.dropFirst(prefix.count).dropLast(suffix.count)
                    if !graph.contains("/"), let id = try? GraphID(validating: String(graph)) { graphs.append(id) }
                }
                return graphs
            }
        }
    }

    /// The journals of `graph` that have a folder of shipments here (`<graph>/journal/<journal_id>/`).
    func journalIDs(of graph: String) async throws -> [String] {
        let folder = Self.journalFolder(graph)
        switch self {
        case .local(let root):
            let path = root + "/" + folder
            return try await BlockingWork.run {
                ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { name in
                    var isFolder: ObjCBool = false
                    return name != "bases" && !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path + name, isDirectory: &isFolder)
                        && isFolder.boolValue
                }
            }
        case .s3(let store):
            let prefix = store.location.key(folder)
            return try await S3BackupStore.storageErrors {
                var journals: Set<String> = []
                for try await object in store.client.listObjects(bucket: store.location.bucket, prefix: prefix) {
                    let rest = object.key.dropFirst(prefix.count)
                    if let slash = rest.firstIndex(of: "/"), rest[..<slash] != "bases" { journals.insert(String(rest[..<slash])) }
                }
                return journals.sorted()
            }
        }
    }

    /// The bases published beside `graph`'s journal (manifests whose archive is there too).
    func journalBases(of graph: String) async throws -> [BackupManifest] {
        switch self {
        case .local(let root):
            let store = LocalBackupStore(root: root).journalBases
            return try await BlockingWork.run { store.list(graph: graph) }
        case .s3(let store):
            return try await store.journalBases.list(graph: graph)
        }
    }

    /// Removes a published base (its manifest first).
    func deleteJournalBase(_ manifest: BackupManifest) async throws {
        switch self {
        case .local(let root):
            try LocalBackupStore(root: root).journalBases.delete(graph: manifest.graphID, backupID: manifest.backupID)
        case .s3(let store):
            try await store.journalBases.delete(graph: manifest.graphID, backupID: manifest.backupID)
        }
    }

    /// Removes object `key`; in a local folder, also the folder it leaves empty (a journal's
    /// shipments folder).
    func delete(_ key: String) async throws {
        switch self {
        case .local(let root):
            try? FileManager.default.removeItem(atPath: root + "/" + key)
            let folder = ((root + "/" + key) as NSString).deletingLastPathComponent
            if (try? FileManager.default.contentsOfDirectory(atPath: folder))?.isEmpty == true { try? FileManager.default.removeItem(atPath: folder) }
        case .s3(let store):
            try await S3BackupStore.storageErrors { try await store.client.deleteObject(bucket: store.location.bucket, key: store.location.key(key)) }
        }
    }
}

/// What a node has published of a graph's journal (`<graph>/journal/head.json`).
struct PublishedHead: Codable, Sendable, Equatable {
    var graphID: String
    /// The journal's id: positions restart in a journal with another id.
    var journalID: String
    /// The last entry shipped, and its commit time (µs since 1970).
    var position: UInt64
    var time: Int64
    /// The position of the newest published base.
    var basePosition: UInt64
    /// Where the publishing node's shipping goes on in its journal (its own files; only it reads this).
    var cursor: GraphJournal.Cursor
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case journalID = "journal_id"
        case position
        case time
        case basePosition = "base_position"
        case cursor
        case updatedAt = "updated_at"
    }
}
