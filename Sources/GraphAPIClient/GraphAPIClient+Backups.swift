import Foundation
import GraphAPIContract
import NIOCore
import NIOHTTP1

/// A backup's manifest (what `GET /databases/{graph_id}/backups/{backup_id}` answers).
public typealias BackupManifest = Components.Schemas.BackupManifest
/// The options of `POST /databases/{graph_id}/backup`.
public typealias BackupRequest = Components.Schemas.BackupRequest
/// The options of `POST /databases/{graph_id}/restore`.
public typealias RestoreRequest = Components.Schemas.RestoreRequest

extension GraphAPIRequest {
    /// `POST /databases/{graph_id}/backup`.
    public static func createBackup(_ graphID: String, _ request: BackupRequest) throws -> GraphAPIRequest {
        GraphAPIRequest(method: "POST", pathSegments: ["databases", graphID, "backup"], body: try JSONEncoder().encode(request))
    }

    /// `GET /databases/{graph_id}/backups`.
    public static func listBackups(_ graphID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["databases", graphID, "backups"])
    }

    /// `GET /databases/{graph_id}/backups/{backup_id}`.
    public static func backup(_ graphID: String, _ backupID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["databases", graphID, "backups", backupID])
    }

    /// `DELETE /databases/{graph_id}/backups/{backup_id}`.
    public static func deleteBackup(_ graphID: String, _ backupID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "DELETE", pathSegments: ["databases", graphID, "backups", backupID])
    }

    /// `GET /databases/{graph_id}/backup-download?backup_id=`.
    public static func downloadBackup(_ graphID: String, _ backupID: String) -> GraphAPIRequest {
        GraphAPIRequest(
            method: "GET", pathSegments: ["databases", graphID, "backup-download"], queryItems: [QueryItem(name: "backup_id", value: backupID)],
            accept: "application/octet-stream"
        )
    }

    /// `GET /databases/{graph_id}/recovery-window`.
    public static func recoveryWindow(_ graphID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["databases", graphID, "recovery-window"])
    }

    /// `POST /databases/{graph_id}/restore`.
    public static func restore(_ graphID: String, _ request: RestoreRequest) throws -> GraphAPIRequest {
        GraphAPIRequest(method: "POST", pathSegments: ["databases", graphID, "restore"], body: try JSONEncoder().encode(request))
    }
}

extension GraphAPIClient {
    /// `POST /databases/{graph_id}/backup`: starts a `backup` task; the answer names the task and
    /// the id the backup will have.
    public func createBackup(_ graphID: String, _ request: BackupRequest = BackupRequest()) async throws -> Components.Schemas.BackupAccepted {
        try await decoded(Components.Schemas.BackupAccepted.self, try .createBackup(graphID, request))
    }

    /// `GET /databases/{graph_id}/backups`: the graph's backups, newest first.
    public func listBackups(_ graphID: String) async throws -> [BackupManifest] {
        try await decoded(Components.Schemas.BackupList.self, .listBackups(graphID)).backups
    }

    /// `GET /databases/{graph_id}/backups/{backup_id}`.
    public func backup(_ graphID: String, _ backupID: String) async throws -> BackupManifest {
        try await decoded(BackupManifest.self, .backup(graphID, backupID))
    }

    /// `DELETE /databases/{graph_id}/backups/{backup_id}`.
    public func deleteBackup(_ graphID: String, _ backupID: String) async throws -> Components.Schemas.BackupDeleted {
        try await decoded(Components.Schemas.BackupDeleted.self, .deleteBackup(graphID, backupID))
    }

    /// `GET /databases/{graph_id}/recovery-window`: what a point-in-time restore reaches.
    public func recoveryWindow(_ graphID: String) async throws -> Components.Schemas.RecoveryWindow {
        try await decoded(Components.Schemas.RecoveryWindow.self, .recoveryWindow(graphID))
    }

    /// `POST /databases/{graph_id}/restore`: starts a `restore` task.
    public func restore(_ graphID: String, _ request: RestoreRequest) async throws -> Components.Schemas.TaskAccepted {
        try await decoded(Components.Schemas.TaskAccepted.self, try .restore(graphID, request))
    }

    /// `GET /databases/{graph_id}/backup-download`: writes the archive, as stored, into a new
    /// file at `path` as it arrives (never whole in memory); returns the bytes written. A failed
    /// download removes the file.
    public func downloadBackup(_ graphID: String, _ backupID: String, to path: String) async throws -> Int64 {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw GraphAPIClientError(kind: .invalidInput, detail: "cannot create '\(path)'")
        }
        var request = GraphAPIRequest.downloadBackup(graphID, backupID)
        request.timeoutSeconds = max(configuration.requestTimeoutSeconds, 60)
        var written: Int64 = 0
        do {
            let body = try await StreamedBody.open(request, client: self)
            do {
                while let chunk = try await body.next(client: self, idleSeconds: request.timeoutSeconds ?? 60) {
                    try chunk.withUnsafeReadableBytes { try file.write(contentsOf: $0) }
                    written += Int64(chunk.readableBytes)
                }
            } catch {
                await body.close()
                throw error
            }
            await body.close()
            try file.synchronize()
            try file.close()
            return written
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}
