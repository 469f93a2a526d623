import GraphAPIContract
import GraphService
import Hummingbird

// Answers sent as the document's generated types (GraphAPIContract, the types the client reads):
// their member names and constant values are the document's. Answers the service also keeps
// (task results, backup manifests, the task list) stay the service's own types, and so do those
// whose document has members that are required and may be `null`: the generated types encode
// `nil` by leaving the member out. Every answer is checked against the document by the
// conformance tests either way.

extension Components.Schemas.Health: ResponseEncodable {}
extension Components.Schemas.Status: ResponseEncodable {}
extension Components.Schemas.CreateDatabaseResponse: ResponseEncodable {}
extension Components.Schemas.DeleteDatabaseResponse: ResponseEncodable {}
extension Components.Schemas.SchemaChangeResponse: ResponseEncodable {}
extension Components.Schemas.StagingDeleteResponse: ResponseEncodable {}
extension Components.Schemas.TaskAccepted: ResponseEncodable {}
extension Components.Schemas.BackupAccepted: ResponseEncodable {}
extension Components.Schemas.BackupDeleted: ResponseEncodable {}

extension Components.Schemas.TaskAccepted {
    /// The answer for a task just submitted.
    init(_ record: TaskRecord) {
        self.init(
            taskId: record.taskID, status: record.status.rawValue, monitorUrl: "/tasks/\(record.taskID)/monitor",
            statusUrl: "/tasks/\(record.taskID)/status"
        )
    }
}

extension Components.Schemas.StagingDeleteResponse {
    /// The answer of deleting a staged table, or (`fileID`) the rows of one of its files.
    init(graph: GraphID, table: TableName, fileID: String? = nil, rowsDeleted: Int64) {
        self.init(status: "deleted", graphId: graph.rawValue, tableName: table.rawValue, fileId: fileID, rowsDeleted: Int(rowsDeleted))
    }
}
