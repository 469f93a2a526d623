import Logging
import Foundation

/// A string or a list of strings (`source`, `s3_pattern`).
package struct OneOrMany: Decodable, Sendable, Equatable {
    package var values: [String]

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            values = [one]
        } else {
            do {
                values = try container.decode([String].self)
            } catch {
                throw DecodingError.typeMismatch(
                    OneOrMany.self, .init(codingPath: decoder.codingPath, debugDescription: "must be a string or a list of strings")
                )
            }
        }
    }
}

extension OneOrMany {
    /// The sources of a request that names them in `source` or (the original service's name)
    /// `s3_pattern`: exactly one of the two must be given (`422` otherwise).
    package static func sources(source: OneOrMany?, s3Pattern: OneOrMany?) throws(ServiceError) -> [String] {
        switch (source, s3Pattern) {
        case (let source?, nil): return source.values
        case (nil, let pattern?): return pattern.values
        case (.some, .some): throw ServiceError.invalidBody("give either 'source' or 's3_pattern', not both")
        case (nil, nil): throw ServiceError.invalidBody("missing required field 'source' (or 's3_pattern')")
        }
    }
}

/// The body of `POST /databases/{graph_id}/tables`.
package struct CreateStagingTableRequest: Decodable, Sendable {
    package var tableName: String
    package var s3Pattern: OneOrMany?
    package var source: OneOrMany?
    package var format: StagingFileFormat?
    package var fileIDMap: [String: String]?
    package var s3Credentials: S3Credentials?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case tableName = "table_name"
        case s3Pattern = "s3_pattern"
        case source
        case format
        case fileIDMap = "file_id_map"
        case s3Credentials = "s3_credentials"
    }

    /// The sources, from `source` or `s3_pattern` (not both).
    package func sources() throws(ServiceError) -> [String] { try OneOrMany.sources(source: source, s3Pattern: s3Pattern) }
}

/// `201` answer of `POST /databases/{graph_id}/tables`.
package struct CreateStagingTableResponse: Encodable, Sendable {
    package var status = "success"
    package var graphID: String
    package var tableName: String
    package var rowCount: Int64
    package var rowsRead: Int64
    package var rowsDropped: Int64
    package var shape: String
    package var format: String
    package var executionTimeMilliseconds: Double

    package enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case tableName = "table_name"
        case rowCount = "row_count"
        case rowsRead = "rows_read"
        case rowsDropped = "rows_dropped"
        case shape
        case format
        case executionTimeMilliseconds = "execution_time_ms"
    }
}

/// A column of a staged table.
package struct StagingColumnInfo: Codable, Sendable, Equatable {
    package var name: String
    package var type: String
}

/// One entry of `GET /databases/{graph_id}/tables`.
package struct StagingTableInfo: Encodable, Sendable, Equatable {
    package var graphID: String
    package var tableName: String
    package var rowCount: Int64
    package var sizeBytes: Int64
    package var source: [String]
    package var format: String?
    package var shape: String?
    package var createdAt: String?
    package var columns: [StagingColumnInfo]

    package enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case tableName = "table_name"
        case rowCount = "row_count"
        case sizeBytes = "size_bytes"
        case source
        case format
        case shape
        case createdAt = "created_at"
        case columns
    }
}

/// Answer of the staging `DELETE` routes.
package struct StagingDeleteResponse: Encodable, Sendable {
    package var status = "deleted"
    package var graphID: String
    package var tableName: String
    package var fileID: String?
    package var rowsDeleted: Int64

    package enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case tableName = "table_name"
        case fileID = "file_id"
        case rowsDeleted = "rows_deleted"
    }
}

/// The body of `POST /databases/{graph_id}/tables/{table_name}/ingest`.
package struct IngestRequest: Decodable, Sendable {
    package var ignoreErrors: Bool
    package var rebuild: Bool
    /// With `rebuild`: rebuild even when rows of the graph that no staged table holds would be
    /// dropped (they are then named in `warnings`).
    package var acceptDataLoss: Bool
    package var fileIDs: [String]?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case ignoreErrors = "ignore_errors"
        case rebuild
        case acceptDataLoss = "accept_data_loss"
        case fileIDs = "file_ids"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ignoreErrors = try container.decodeIfPresent(Bool.self, forKey: .ignoreErrors) ?? false
        rebuild = try container.decodeIfPresent(Bool.self, forKey: .rebuild) ?? false
        acceptDataLoss = try container.decodeIfPresent(Bool.self, forKey: .acceptDataLoss) ?? false
        fileIDs = try container.decodeIfPresent([String].self, forKey: .fileIDs)
    }
}

/// Answer of an ingest.
package struct IngestResponse: Encodable, Sendable {
    package var status = "success"
    package var graphID: String
    package var tableName: String
    package var graphTable: String
    package var rowsIngested: Int64
    package var rowsSkipped: Int64
    package var warnings: [String]
    package var rebuilt: Bool
    package var executionTimeMilliseconds: Double

    package enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case tableName = "table_name"
        case graphTable = "graph_table"
        case rowsIngested = "rows_ingested"
        case rowsSkipped = "rows_skipped"
        case warnings
        case rebuilt
        case executionTimeMilliseconds = "execution_time_ms"
    }
}

/// The body of `POST /databases/{graph_id}/copy`.
package struct CopyRequest: Decodable, Sendable {
    package var tableName: String
    package var s3Pattern: OneOrMany?
    package var source: OneOrMany?
    package var format: StagingFileFormat?
    package var ignoreErrors: Bool
    package var s3Credentials: S3Credentials?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case tableName = "table_name"
        case s3Pattern = "s3_pattern"
        case source
        case format
        case ignoreErrors = "ignore_errors"
        case s3Credentials = "s3_credentials"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tableName = try container.decode(String.self, forKey: .tableName)
        s3Pattern = try container.decodeIfPresent(OneOrMany.self, forKey: .s3Pattern)
        source = try container.decodeIfPresent(OneOrMany.self, forKey: .source)
        format = try container.decodeIfPresent(StagingFileFormat.self, forKey: .format)
        ignoreErrors = try container.decodeIfPresent(Bool.self, forKey: .ignoreErrors) ?? false
        s3Credentials = try container.decodeIfPresent(S3Credentials.self, forKey: .s3Credentials)
    }

    /// The sources, from `source` or `s3_pattern` (not both).
    package func sources() throws(ServiceError) -> [String] { try OneOrMany.sources(source: source, s3Pattern: s3Pattern) }
}

/// `202` answer of `POST /databases/{graph_id}/copy`.
package struct TaskAcceptedResponse: Encodable, Sendable {
    package var taskID: String
    package var status: String
    package var monitorURL: String
    package var statusURL: String

    package enum CodingKeys: String, CodingKey {
        case taskID = "task_id"
        case status
        case monitorURL = "monitor_url"
        case statusURL = "status_url"
    }
}

extension TaskAcceptedResponse {
    /// The answer for a task just submitted.
    public init(_ record: TaskRecord) {
        self.init(
            taskID: record.taskID, status: record.status.rawValue, monitorURL: "/tasks/\(record.taskID)/monitor",
            statusURL: "/tasks/\(record.taskID)/status"
        )
    }
}

extension CreateStagingTableRequest: NullableRequestFields {
    package static let nullableFields: Set<String> = S3Credentials.nullableFields(under: "s3_credentials")
}

extension CopyRequest: NullableRequestFields {
    package static let nullableFields: Set<String> = S3Credentials.nullableFields(under: "s3_credentials")
}

extension IngestRequest: NullableRequestFields {
    package static let nullableFields: Set<String> = ["file_ids"]
}

extension S3Credentials {
    /// The credential fields the document allows `null` for, below `field`.
    static func nullableFields(under field: String) -> Set<String> {
        ["aws_session_token", "region", "endpoint_url"].reduce(into: []) { $0.insert("\(field).\($1)") }
    }
}
