import BackupArchive
import Dispatch
import Foundation
import Logging

/// Backups in a local folder: `<backup-dir>/<graph_id>/<backup_id>.gbak` (the archive) and
/// `<backup_id>.manifest.json` beside it. A backup exists once its manifest does: the archive is
/// written as `.gbak.partial`, synced and renamed, then the manifest is written (temporary file,
/// sync, rename), so an interrupted backup is never listed and is removed at the next start.
struct LocalBackupStore: Sendable {
    let root: String
    /// The folder below each graph's that this store keeps its backups in (`""`: the graph's own;
    /// ``journalBases``: the bases a published journal continues).
    var area = ""

    /// The same destination's journal bases (`<graph>/journal/bases/`), which are not listed among the graph's backups.
    var journalBases: LocalBackupStore { LocalBackupStore(root: root, area: "/journal/bases") }

    static let archiveExtension = ".gbak"
    static let manifestExtension = ".manifest.json"
    static let partialExtension = ".partial"

    var workDirectory: String { root + "/.work" }

    func folder(of graph: String) -> String { root + "/" + graph + area }
    func archive(graph: String, backupID: String) -> String { folder(of: graph) + "/" + backupID + Self.archiveExtension }
    func manifestPath(graph: String, backupID: String) -> String { folder(of: graph) + "/" + backupID + Self.manifestExtension }

    /// A backup id names a file: only letters, digits and `-`.
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 100 && id.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 < 128 && Character(Unicode.Scalar($0)).isLetter) || (48...57).contains($0) }
    }

    /// A new backup id: the UTC time and 8 random hex digits (sorts by time).
    static func newID(at date: Date) -> String {
        let stamp = date.formatted(Date.VerbatimFormatStyle(
            format: "\(year: .defaultDigits)\(month: .twoDigits)\(day: .twoDigits)T\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased))\(minute: .twoDigits)\(second: .twoDigits)Z",
            timeZone: .gmt, calendar: Calendar(identifier: .gregorian)
        ))
        return stamp + "-" + String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
    }

    func prepare() throws {
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
    }

    /// Removes what an interrupted backup or restore left: the work folder's contents, partial
    /// archives, and archives whose manifest was never written; and the temporary files of an
    /// interrupted journal shipment (`<graph>/journal/`, `<graph>/journal/<journal_id>/`).
    func removeLeftovers(logger: Logger) {
        let fileManager = FileManager.default
        for name in (try? fileManager.contentsOfDirectory(atPath: workDirectory)) ?? [] {
            try? fileManager.removeItem(atPath: workDirectory + "/" + name)
            logger.notice("removed what an interrupted backup or restore left", metadata: ["path": "\(workDirectory)/\(name)"])
        }
        for graph in (try? fileManager.contentsOfDirectory(atPath: root)) ?? [] where !graph.hasPrefix(".") {
            let folder = folder(of: graph)
            let names = (try? fileManager.contentsOfDirectory(atPath: folder)) ?? []
            let manifests = Set(names.filter { $0.hasSuffix(Self.manifestExtension) }.map { String($0.dropLast(Self.manifestExtension.count)) })
            for name in names {
                let orphan = name.hasSuffix(Self.archiveExtension) && !manifests.contains(String(name.dropLast(Self.archiveExtension.count)))
                if name.hasSuffix(Self.partialExtension) || name.hasPrefix(".tmp-") || orphan {
                    try? fileManager.removeItem(atPath: folder + "/" + name)
                    logger.notice("removed an incomplete backup file", metadata: ["path": "\(folder)/\(name)"])
                }
            }
            guard area.isEmpty else { continue }
            // The journal's bases are a store of their own (``journalBases``), cleaned by it.
            let journal = folder + "/journal"
            let journals = ((try? fileManager.contentsOfDirectory(atPath: journal)) ?? []).filter { $0 != "bases" && !$0.hasPrefix(".") }
            for shipments in [journal] + journals.map({ journal + "/" + $0 }) {
                for name in (try? fileManager.contentsOfDirectory(atPath: shipments)) ?? [] where name.hasPrefix(".tmp-") {
                    try? fileManager.removeItem(atPath: shipments + "/" + name)
                    logger.notice("removed an incomplete journal shipment file", metadata: ["path": "\(shipments)/\(name)"])
                }
            }
        }
    }

    /// Every backup of `graph`, newest first.
    func list(graph: String) -> [BackupManifest] {
        let folder = folder(of: graph)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(Self.manifestExtension) }
            .compactMap { try? Self.readManifest(folder + "/" + $0) }
            .filter { FileManager.default.fileExists(atPath: archive(graph: graph, backupID: $0.backupID)) }
            .sorted { ($0.createdAt, $0.backupID) > ($1.createdAt, $1.backupID) }
    }

    /// Graphs that have backups here.
    func graphs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") && GraphID.isValid($0) }
    }

    func manifest(graph: String, backupID: String) -> BackupManifest? {
        guard Self.isValidID(backupID), FileManager.default.fileExists(atPath: archive(graph: graph, backupID: backupID)) else { return nil }
        return try? Self.readManifest(manifestPath(graph: graph, backupID: backupID))
    }

    static func readManifest(_ path: String) throws -> BackupManifest {
        try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes the manifest durably; from then on the backup exists.
    func save(_ manifest: BackupManifest) throws {
        try DurableFile.write(try manifest.fileData(), to: manifestPath(graph: manifest.graphID, backupID: manifest.backupID))
    }

    /// Removes a backup: the manifest first, so that it is never listed without its archive.
    func delete(graph: String, backupID: String) throws {
        try FileManager.default.removeItem(atPath: manifestPath(graph: graph, backupID: backupID))
        try? FileManager.default.removeItem(atPath: archive(graph: graph, backupID: backupID))
        syncDirectory(folder(of: graph))
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Runs long blocking work (reading, compressing and writing archives) on threads of its own:
/// never on the cooperative pool, and never on the engine's executor, whose threads the
/// queries need.
enum BlockingWork {
    private static let queue = DispatchQueue(label: "graph-api.backup", qos: .utility, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
