import Logging
import Foundation

/// The sources of a request that names them in `source` or (the original service's name)
/// `s3_pattern`: exactly one of the two must be given (`422` otherwise).
package func stagingSources(source: [String]?, s3Pattern: [String]?) throws(ServiceError) -> [String] {
    switch (source, s3Pattern) {
    case (let source?, nil): return source
    case (nil, let pattern?): return pattern
    case (.some, .some): throw ServiceError.invalidBody("give either 'source' or 's3_pattern', not both")
    case (nil, nil): throw ServiceError.invalidBody("missing required field 'source' (or 's3_pattern')")
    }
}

/// A staged table to load (`POST /databases/{graph_id}/tables`).
package struct CreateStagingTableRequest: Sendable {
    package var tableName: String
    package var s3Pattern: [String]?
    package var source: [String]?
    package var format: StagingFileFormat?
    package var fileIDMap: [String: String]?
    package var s3Credentials: S3Credentials?

    package init(
        tableName: String, s3Pattern: [String]? = nil, source: [String]? = nil, format: StagingFileFormat? = nil,
        fileIDMap: [String: String]? = nil, s3Credentials: S3Credentials? = nil
    ) {
        self.tableName = tableName
        self.s3Pattern = s3Pattern
        self.source = source
        self.format = format
        self.fileIDMap = fileIDMap
        self.s3Credentials = s3Credentials
    }

    /// The sources, from `source` or `s3_pattern` (not both).
    package func sources() throws(ServiceError) -> [String] { try stagingSources(source: source, s3Pattern: s3Pattern) }
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

/// An ingest or materialization (`POST /databases/{graph_id}/tables/{table_name}/ingest`).
package struct IngestRequest: Sendable {
    package var ignoreErrors: Bool
    package var rebuild: Bool
    /// With `rebuild`: rebuild even when rows of the graph that no staged table holds would be
    /// dropped (they are then named in `warnings`).
    package var acceptDataLoss: Bool
    package var fileIDs: [String]?

    package init(ignoreErrors: Bool = false, rebuild: Bool = false, acceptDataLoss: Bool = false, fileIDs: [String]? = nil) {
        self.ignoreErrors = ignoreErrors
        self.rebuild = rebuild
        self.acceptDataLoss = acceptDataLoss
        self.fileIDs = fileIDs
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

/// Files to copy straight into a graph table (`POST /databases/{graph_id}/copy`).
package struct CopyRequest: Sendable {
    package var tableName: String
    package var s3Pattern: [String]?
    package var source: [String]?
    package var format: StagingFileFormat?
    package var ignoreErrors: Bool
    package var s3Credentials: S3Credentials?

    package init(
        tableName: String, s3Pattern: [String]? = nil, source: [String]? = nil, format: StagingFileFormat? = nil,
        ignoreErrors: Bool = false, s3Credentials: S3Credentials? = nil
    ) {
        self.tableName = tableName
        self.s3Pattern = s3Pattern
        self.source = source
        self.format = format
        self.ignoreErrors = ignoreErrors
        self.s3Credentials = s3Credentials
    }

    /// The sources, from `source` or `s3_pattern` (not both).
    package func sources() throws(ServiceError) -> [String] { try stagingSources(source: source, s3Pattern: s3Pattern) }
}
