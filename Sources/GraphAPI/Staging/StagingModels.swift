import Logging
import HTTPTypes
import Foundation
import Hummingbird

/// A string or a list of strings (`source`, `s3_pattern`).
struct OneOrMany: Decodable, Sendable, Equatable {
    var values: [String]

    init(from decoder: any Decoder) throws {
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
    static func sources(source: OneOrMany?, s3Pattern: OneOrMany?) throws(APIError) -> [String] {
        switch (source, s3Pattern) {
        case (let source?, nil): return source.values
        case (nil, let pattern?): return pattern.values
        case (.some, .some): throw APIError.unprocessable("give either 'source' or 's3_pattern', not both")
        case (nil, nil): throw APIError.unprocessable("missing required field 'source' (or 's3_pattern')")
        }
    }
}

/// The body of `POST /databases/{graph_id}/tables`.
struct CreateStagingTableRequest: Decodable, Sendable {
    var tableName: String
    var s3Pattern: OneOrMany?
    var source: OneOrMany?
    var format: StagingFileFormat?
    var fileIDMap: [String: String]?
    var s3Credentials: S3Credentials?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tableName = "table_name"
        case s3Pattern = "s3_pattern"
        case source
        case format
        case fileIDMap = "file_id_map"
        case s3Credentials = "s3_credentials"
    }

    /// The sources, from `source` or `s3_pattern` (not both).
    func sources() throws(APIError) -> [String] { try OneOrMany.sources(source: source, s3Pattern: s3Pattern) }
}

/// `201` answer of `POST /databases/{graph_id}/tables`.
struct CreateStagingTableResponse: ResponseEncodable {
    var status = "success"
    var graphID: String
    var tableName: String
    var rowCount: Int64
    var rowsRead: Int64
    var rowsDropped: Int64
    var shape: String
    var format: String
    var executionTimeMilliseconds: Double

    enum CodingKeys: String, CodingKey {
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
struct StagingColumnInfo: Codable, Sendable, Equatable {
    var name: String
    var type: String
}

/// One entry of `GET /databases/{graph_id}/tables`.
struct StagingTableInfo: ResponseEncodable, Sendable, Equatable {
    var graphID: String
    var tableName: String
    var rowCount: Int64
    var sizeBytes: Int64
    var source: [String]
    var format: String?
    var shape: String?
    var createdAt: String?
    var columns: [StagingColumnInfo]

    enum CodingKeys: String, CodingKey {
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
struct StagingDeleteResponse: ResponseEncodable {
    var status = "deleted"
    var graphID: String
    var tableName: String
    var fileID: String?
    var rowsDeleted: Int64

    enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case tableName = "table_name"
        case fileID = "file_id"
        case rowsDeleted = "rows_deleted"
    }
}

/// The body of `POST /databases/{graph_id}/tables/{table_name}/ingest`.
struct IngestRequest: Decodable, Sendable {
    var ignoreErrors: Bool
    var rebuild: Bool
    var fileIDs: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ignoreErrors = "ignore_errors"
        case rebuild
        case fileIDs = "file_ids"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ignoreErrors = try container.decodeIfPresent(Bool.self, forKey: .ignoreErrors) ?? false
        rebuild = try container.decodeIfPresent(Bool.self, forKey: .rebuild) ?? false
        fileIDs = try container.decodeIfPresent([String].self, forKey: .fileIDs)
    }
}

/// Answer of an ingest.
struct IngestResponse: ResponseEncodable, Sendable {
    var status = "success"
    var graphID: String
    var tableName: String
    var graphTable: String
    var rowsIngested: Int64
    var rowsSkipped: Int64
    var warnings: [String]
    var rebuilt: Bool
    var executionTimeMilliseconds: Double

    enum CodingKeys: String, CodingKey {
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
struct CopyRequest: Decodable, Sendable {
    var tableName: String
    var s3Pattern: OneOrMany?
    var source: OneOrMany?
    var format: StagingFileFormat?
    var ignoreErrors: Bool
    var s3Credentials: S3Credentials?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tableName = "table_name"
        case s3Pattern = "s3_pattern"
        case source
        case format
        case ignoreErrors = "ignore_errors"
        case s3Credentials = "s3_credentials"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tableName = try container.decode(String.self, forKey: .tableName)
        s3Pattern = try container.decodeIfPresent(OneOrMany.self, forKey: .s3Pattern)
        source = try container.decodeIfPresent(OneOrMany.self, forKey: .source)
        format = try container.decodeIfPresent(StagingFileFormat.self, forKey: .format)
        ignoreErrors = try container.decodeIfPresent(Bool.self, forKey: .ignoreErrors) ?? false
        s3Credentials = try container.decodeIfPresent(S3Credentials.self, forKey: .s3Credentials)
    }

    /// The sources, from `source` or `s3_pattern` (not both).
    func sources() throws(APIError) -> [String] { try OneOrMany.sources(source: source, s3Pattern: s3Pattern) }
}

/// `202` answer of `POST /databases/{graph_id}/copy`.
struct TaskAcceptedResponse: ResponseEncodable {
    var taskID: String
    var status: String
    var monitorURL: String
    var statusURL: String

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id"
        case status
        case monitorURL = "monitor_url"
        case statusURL = "status_url"
    }
}
