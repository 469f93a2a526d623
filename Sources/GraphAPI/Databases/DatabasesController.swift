import Foundation
import GraphAPIContract
import GraphService
import Hummingbird
import Logging

/// The `Databases` area of the API: creating, listing, inspecting and deleting graphs, reading
/// and changing their schema, and their metrics (``DatabaseService`` does the work).
///
/// - `POST /databases`, `GET /databases` (top level);
/// - `GET|DELETE /databases/{graph_id}`, `GET|POST /databases/{graph_id}/schema`,
///   `GET /databases/{graph_id}/metrics` (on the per-graph group, whose context has already
///   validated the id and the key's scope).
///
/// Creates, deletes and schema changes write an audit log line (`audit` = `create_database`,
/// `delete_database`, `schema_change`) naming the client.
struct DatabasesController: Sendable {
    let databases: DatabaseService

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        router.post("/databases") { request, context in try await self.create(request, context: context) }
        router.get("/databases") { _, context in try await self.list(context: context) }
        let graph = router.graphGroup()
        graph.get { _, context in try await self.databases.info(context.graphID, logger: context.logger) }
        graph.delete { _, context in try await self.delete(context: context) }
        graph.get("/schema") { _, context in try await self.databases.schema(context.graphID) }
        graph.post("/schema") { request, context in try await self.changeSchema(request, context: context) }
        graph.get("/metrics") { _, context in try await self.databases.metrics(context.graphID) }
    }

    // MARK: POST /databases

    func create(_ request: Request, context: GraphAPIRequestContext) async throws -> EditedResponse<Components.Schemas.CreateDatabaseResponse> {
        guard let scope = context.scope else { throw APIError.unauthorized }
        if scope.readOnly { throw APIError(.readOnlyKey, "this API key is read-only") }
        if databases.registry.settings.readOnlyNode { throw ServiceError.readOnlyNode("databases cannot be created here") }
        let body = CreateDatabaseRequest(try await request.decodeStrictly(Components.Schemas.CreateDatabaseRequest.self, context: context))
        let id = try GraphID(validating: body.graphID)
        guard scope.allows(id.rawValue) else { throw APIError(.graphNotInScope, "this API key may not create database '\(id)'") }
        let (milliseconds, statements) = try await databases.create(id, request: body)
        context.logger.notice(
            "audit: database created",
            metadata: [
                "audit": "create_database", "graph_id": "\(id)", "client": "\(context.clientAddress)",
                "schema_type": "\(body.schemaType.rawValue)", "statements": "\(statements)",
            ]
        )
        return EditedResponse(
            status: .created,
            response: .init(
                status: .success, graphId: id.rawValue, schemaType: choice(body.schemaType), schemaApplied: true, executionTimeMs: milliseconds
            )
        )
    }

    // MARK: GET /databases

    func list(context: GraphAPIRequestContext) async throws -> DatabaseList {
        guard let scope = context.scope else { throw APIError.unauthorized }
        // The node's capacity counts every tenant's graphs: only for a key that may see them all.
        return try await databases.list(visible: { scope.allows($0.rawValue) }, includeNodeCapacity: scope.isOperator)
    }

    // MARK: DELETE /databases/{graph_id}

    func delete(context: GraphRequestContext) async throws -> Components.Schemas.DeleteDatabaseResponse {
        try context.requireWriteScope()
        let id = context.graphID
        try await databases.delete(id)
        context.logger.notice(
            "audit: database deleted",
            metadata: ["audit": "delete_database", "graph_id": "\(id)", "client": "\(context.clientAddress)"]
        )
        return .init(status: .success, message: "database '\(id)' deleted")
    }

    // MARK: POST /databases/{graph_id}/schema

    func changeSchema(_ request: Request, context: GraphRequestContext) async throws -> Components.Schemas.SchemaChangeResponse {
        try context.requireWriteScope()
        let id = context.graphID
        try databases.requireSchemaChangeAllowed(id)
        let body = try await request.decodeStrictly(Components.Schemas.SchemaChangeRequest.self, context: context)
        let (milliseconds, statements) = try await databases.changeSchema(id, ddl: body.ddl, logger: context.logger)
        context.logger.notice(
            "audit: schema changed",
            metadata: [
                "audit": "schema_change", "graph_id": "\(id)", "client": "\(context.clientAddress)",
                "statements": "\(statements.count)",
                "kinds": "\(Array(Set(statements.map(\.kind.rawValue))).sorted().joined(separator: ", "))",
            ]
        )
        return .init(status: .success, graphId: id.rawValue, statementsExecuted: statements.count, executionTimeMs: milliseconds)
    }
}
