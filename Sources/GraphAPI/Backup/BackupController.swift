import Foundation
import GraphAPIContract
import GraphService
import HTTPTypes
import Hummingbird
import Logging
import S3Client

/// The *Backup and restore* area of the API (``BackupService`` does the work):
///
/// - `POST /databases/{graph_id}/backup` → `202` with the `backup` task and the backup's id;
/// - `GET /databases/{graph_id}/backups`, `GET|DELETE /databases/{graph_id}/backups/{backup_id}`;
/// - `GET /databases/{graph_id}/backup-download?backup_id=` (and `POST` with `{backup_id}`): the
///   archive as stored, streamed, with its length and SHA-256;
/// - `POST /databases/{graph_id}/restore` → `202` with the `restore` task (from a backup, or to
///   a point in time from the graph's journal);
/// - `GET /databases/{graph_id}/recovery-window`: the instants and positions a point-in-time
///   restore reaches.
///
/// Deletes, downloads and restores write an audit line naming the client (backups and restores
/// write theirs when they finish).
struct BackupController: Sendable {
    let backups: BackupService
    /// The largest archive a restore takes as its body.
    let maxUploadBytes: Int64

    /// The options of a restore whose body is the archive, from its query string.
    static func restoreOptions(_ query: Hummingbird.Parameters) throws -> RestoreRequest {
        let known: Set<String> = ["force_overwrite", "create_system_backup", "target_graph_id"]
        if let unknown = query.map({ String($0.key) }).first(where: { !known.contains($0) }) {
            throw APIError(.invalidParameter, "unknown query parameter '\(unknown.prefix(64))' (with an archive body: \(known.sorted().joined(separator: ", ")))")
        }
        return RestoreRequest(
            forceOverwrite: try query.flag("force_overwrite", default: false),
            createSystemBackup: try query.flag("create_system_backup", default: true),
            targetGraphID: query.get("target_graph_id")
        )
    }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        let graph = router.graphGroup()
        graph.post("/backup") { request, context in try await self.backup(request, context: context) }
        graph.get("/backups") { _, context in try await self.list(context: context) }
        graph.get("/backups/:backup_id") { _, context in
            try await self.backups.manifest(graph: context.graphID, backupID: try Self.backupID(context))
        }
        graph.delete("/backups/:backup_id") { _, context in try await self.delete(context: context) }
        graph.get("/backup-download") { request, context in
            try await self.download(backupID: request.uri.queryParameters.get("backup_id"), context: context)
        }
        graph.post("/backup-download") { request, context in
            let body = try await request.decodeStrictly(Components.Schemas.BackupDownloadRequest.self, context: context)
            return try await self.download(backupID: body.backupId, context: context)
        }
        graph.post("/restore") { request, context in try await self.restore(request, context: context) }
        graph.get("/recovery-window") { _, context in try self.backups.recoveryWindow(graph: context.graphID) }
        graph.put("/backup-schedule") { request, context in
            try context.requireWriteScope()
            let body = BackupSchedule(try await request.decodeStrictly(Components.Schemas.BackupSchedule.self, context: context))
            let info = try self.backups.setSchedule(graph: context.graphID, body)
            context.logger.notice(
                "audit: backup schedule set",
                metadata: ["audit": "backup_schedule", "graph_id": "\(context.graphID)", "client": "\(context.clientAddress)"]
            )
            return info
        }
        graph.get("/backup-schedule") { _, context in try self.backups.schedule(graph: context.graphID) }
        graph.delete("/backup-schedule") { _, context in
            try context.requireWriteScope()
            return try self.backups.deleteSchedule(graph: context.graphID)
        }
    }

    static func backupID(_ context: GraphRequestContext) throws -> String {
        context.parameters.get("backup_id") ?? ""
    }

    func backup(_ request: Request, context: GraphRequestContext) async throws -> EditedResponse<Components.Schemas.BackupAccepted> {
        try context.requireWriteScope()
        let body = try BackupRequest(try await request.decodeStrictly(Components.Schemas.BackupRequest.self, context: context))
        let (record, backupID) = try await backups.submitBackup(graph: context.graphID, request: body)
        return EditedResponse(
            status: .accepted,
            response: .init(taskId: record.taskID, backupId: backupID, monitorUrl: "/tasks/\(record.taskID)/monitor", status: record.status.rawValue)
        )
    }

    func list(context: GraphRequestContext) async throws -> BackupList {
        let all = try await backups.list(graph: context.graphID)
        return BackupList(backups: all, total: all.count)
    }

    func delete(context: GraphRequestContext) async throws -> Components.Schemas.BackupDeleted {
        try context.requireWriteScope()
        let manifest = try await backups.delete(graph: context.graphID, backupID: try Self.backupID(context))
        context.logger.notice(
            "audit: backup deleted",
            metadata: ["audit": "delete_backup", "graph_id": "\(context.graphID)", "backup_id": "\(manifest.backupID)", "client": "\(context.clientAddress)"]
        )
        return .init(status: "deleted", graphId: context.graphID.rawValue, backupId: manifest.backupID)
    }

    func download(backupID: String?, context: GraphRequestContext) async throws -> Response {
        guard let backupID, !backupID.isEmpty else {
            throw APIError(.missingParameter, "the query parameter 'backup_id' is required")
        }
        let (source, manifest) = try await backups.archive(graph: context.graphID, backupID: backupID)
        let body: ResponseBody
        switch source {
        case .file(let path):
            body = try await FileIO().loadFile(path: path, context: context, chunkLength: 1 << 20)
        case .s3(let key):
            body = ResponseBody(asyncSequence: try await backups.openS3Archive(key: key).body)
        }
        context.logger.notice(
            "audit: backup downloaded",
            metadata: [
                "audit": "download_backup", "graph_id": "\(context.graphID)", "backup_id": "\(manifest.backupID)",
                "bytes": "\(manifest.storedBytes)", "client": "\(context.clientAddress)",
            ]
        )
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .contentLength: String(manifest.storedBytes),
            .contentDisposition: "attachment; filename=\"\(context.graphID)-\(manifest.backupID).gbak\"",
        ]
        headers[HTTPField.Name("X-Backup-SHA256")!] = manifest.sha256
        return Response(status: .ok, headers: headers, body: body)
    }

    /// `POST /databases/{graph_id}/restore`: a JSON body, or the archive itself
    /// (`application/octet-stream`, options as query parameters), received only after the target
    /// was checked.
    func restore(_ request: Request, context: GraphRequestContext) async throws -> EditedResponse<Components.Schemas.TaskAccepted> {
        try context.requireWriteScope()
        let uploading = request.headers[.contentType]?.lowercased().hasPrefix("application/octet-stream") == true
        let body: RestoreRequest
        if uploading {
            body = try Self.restoreOptions(request.uri.queryParameters)
        } else {
            body = RestoreRequest(try await request.decodeStrictly(Components.Schemas.RestoreRequest.self, context: context))
        }
        if let target = body.targetGraphID, !context.scope.allows(target) {
            throw APIError(.graphNotInScope, "this API key may not restore into database '\(target.prefix(64))'")
        }
        var upload: String?
        if uploading {
            _ = try backups.restoreTarget(graph: context.graphID, request: body)
            let limit = maxUploadBytes
            if let length = request.headers[.contentLength].flatMap(Int64.init), length > limit {
                throw APIError(.payloadTooLarge, "the archive (\(length) bytes) is larger than this server takes (\(limit) bytes, --max-restore-upload-gb)")
            }
            do {
                upload = try await backups.receiveUpload(request.body, limit: limit)
            } catch is BackupService.UploadTooLarge {
                throw APIError(.payloadTooLarge, "the archive is larger than this server takes (\(limit) bytes, --max-restore-upload-gb)")
            }
        }
        let record: TaskRecord
        do {
            record = try await backups.submitRestore(graph: context.graphID, request: body, upload: upload)
        } catch {
            if let upload { try? FileManager.default.removeItem(atPath: upload) }
            throw error
        }
        context.logger.notice(
            "audit: restore started",
            metadata: [
                "audit": "restore_started", "graph_id": "\(record.graphID ?? "-")", "backup_id": "\(body.backupID ?? "-")",
                "task_id": "\(record.taskID)", "client": "\(context.clientAddress)",
            ]
        )
        return EditedResponse(status: .accepted, response: Components.Schemas.TaskAccepted(record))
    }
}

extension Hummingbird.Parameters {
    /// A boolean query parameter (`true`/`1`, `false`/`0`), `fallback` when absent; anything else
    /// is `400 invalid_parameter`.
    func flag(_ name: String, default fallback: Bool) throws -> Bool {
        guard let text = get(name) else { return fallback }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError(.invalidParameter, "query parameter '\(name)' must be true or false, not '\(text.prefix(32))'")
        }
    }
}
