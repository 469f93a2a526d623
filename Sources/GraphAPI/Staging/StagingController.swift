import Foundation
import GraphAPIContract
import GraphService
import Hummingbird
import Logging

/// The staging area of the API (`/databases/{graph_id}/tables...` and `/copy`): staged DuckDB
/// tables, read-only SQL over them, ingest into the graph, and background COPY.
struct StagingController: Sendable {
    let staging: StagingService

    func addRoutes(to group: RouterGroup<GraphRequestContext>) {
        group.post("tables") { request, context in try await self.createTable(request, context: context) }
        group.get("tables") { _, context in try await self.staging.listTables(graph: context.graphID) }
        group.post("tables/query") { request, context in try await self.query(request, context: context) }
        group.delete("tables/:table_name") { _, context in
            try context.requireWriteScope()
            let table = try Self.table(context)
            let rows = try await self.staging.deleteTable(graph: context.graphID, table: table)
            return Components.Schemas.StagingDeleteResponse(graph: context.graphID, table: table, rowsDeleted: rows)
        }
        group.delete("tables/:table_name/files/:file_id") { _, context in
            try context.requireWriteScope()
            let fileID = context.parameters.get("file_id") ?? ""
            let table = try Self.table(context)
            let rows = try await self.staging.deleteFile(graph: context.graphID, table: table, fileID: fileID)
            return Components.Schemas.StagingDeleteResponse(graph: context.graphID, table: table, fileID: fileID, rowsDeleted: rows)
        }
        group.post("tables/:table_name/ingest") { request, context in try await self.ingest(request, context: context) }
        group.post("tables/:table_name/materialize") { request, context in try await self.ingest(request, context: context) }
        group.post("copy") { request, context in try await self.copy(request, context: context) }
    }

    static func table(_ context: GraphRequestContext) throws(ServiceError) -> TableName {
        try TableName(validating: context.parameters.get("table_name") ?? "")
    }

    /// `POST /databases/{graph_id}/tables` → `201` with the table, or with `?async=true` `202`
    /// with a `staging_load` task whose result is that answer.
    func createTable(_ request: Request, context: GraphRequestContext) async throws -> Response {
        try context.requireWriteScope()
        let async = try request.uri.queryParameters.flag("async", default: false)
        let body = CreateStagingTableRequest(try await request.decodeStrictly(Components.Schemas.CreateStagingTableRequest.self, context: context))
        if async {
            let record = try await staging.submitCreateTable(graph: context.graphID, request: body)
            return try EditedResponse(status: .accepted, response: Components.Schemas.TaskAccepted(record)).response(from: request, context: context)
        }
        let response = try await staging.createTable(graph: context.graphID, request: body)
        return try EditedResponse(status: .created, response: response).response(from: request, context: context)
    }

    /// `POST /databases/{graph_id}/tables/{table_name}/ingest` (and `/materialize`) → `200`, or
    /// with `?async=true` `202` with an `ingest` task whose result is that answer.
    func ingest(_ request: Request, context: GraphRequestContext) async throws -> Response {
        try context.requireWriteScope()
        let table = try Self.table(context)
        let async = try request.uri.queryParameters.flag("async", default: false)
        let body = IngestRequest(try await request.decodeStrictly(Components.Schemas.IngestRequest.self, context: context))
        if async {
            let record = try await staging.submitIngest(graph: context.graphID, table: table, request: body)
            return try EditedResponse(status: .accepted, response: Components.Schemas.TaskAccepted(record)).response(from: request, context: context)
        }
        return try await staging.ingest(graph: context.graphID, table: table, request: body).response(from: request, context: context)
    }

    /// `POST /databases/{graph_id}/copy` → `202` with the task.
    func copy(_ request: Request, context: GraphRequestContext) async throws -> EditedResponse<Components.Schemas.TaskAccepted> {
        try context.requireWriteScope()
        let body = CopyRequest(try await request.decodeStrictly(Components.Schemas.CopyRequest.self, context: context))
        let record = try await staging.submitCopy(graph: context.graphID, request: body, logger: context.logger)
        return EditedResponse(status: .accepted, response: Components.Schemas.TaskAccepted(record))
    }
}
