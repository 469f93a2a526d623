import GraphAPIContract

// The wire models of the database and health operations are the types generated from
// `openapi/openapi.json` (`Generated/`); these names are the client's for them.

/// The schema a new database gets (`schema_type`).
public typealias SchemaType = Components.Schemas.SchemaType
/// The body of `POST /databases`.
public typealias CreateDatabaseRequest = Components.Schemas.CreateDatabaseRequest
/// `201` answer of `POST /databases`.
public typealias CreateDatabaseResponse = Components.Schemas.CreateDatabaseResponse
/// One database in `GET /databases` (read from its files; listing never opens a database).
public typealias DatabaseSummary = Components.Schemas.DatabaseSummary
/// `GET /databases`.
public typealias DatabaseList = Components.Schemas.DatabaseList
/// `GET /databases/{graph_id}`: the summary plus what needs the open database.
public typealias DatabaseInfo = Components.Schemas.DatabaseInfo
/// `DELETE /databases/{graph_id}`.
public typealias DeleteDatabaseResponse = Components.Schemas.DeleteDatabaseResponse
/// `GET /databases/{graph_id}/schema`.
public typealias GraphSchema = Components.Schemas.GraphSchema
/// `200` answer of `POST /databases/{graph_id}/schema`: every statement was applied.
public typealias SchemaChangeResponse = Components.Schemas.SchemaChangeResponse
/// `GET /health`.
public typealias HealthResponse = Components.Schemas.Health

extension Components.Schemas.DatabaseInfo {
    /// What `GET /databases` lists of the graph (the document's first `allOf` part, which the
    /// generator calls `value1`).
    public var summary: DatabaseSummary { value1 }
    /// Whether it opened and answered, and its counts (the second `allOf` part, `value2`).
    public var health: Value2Payload { value2 }
}
