import Foundation

// MARK: Requests

/// The body of `POST /databases`.
package struct CreateDatabaseRequest: Decodable, Sendable {
    package var graphID: String
    package var schemaType: SchemaType
    package var repositoryName: String?
    package var customSchemaDDL: String?
    package var readOnly: Bool

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case repositoryName = "repository_name"
        case customSchemaDDL = "custom_schema_ddl"
        case readOnly = "read_only"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        graphID = try container.decode(String.self, forKey: .graphID)
        schemaType = try container.decodeIfPresent(SchemaType.self, forKey: .schemaType) ?? .entity
        repositoryName = try container.decodeIfPresent(String.self, forKey: .repositoryName)
        customSchemaDDL = try container.decodeIfPresent(String.self, forKey: .customSchemaDDL)
        readOnly = try container.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false
    }
}

extension CreateDatabaseRequest: NullableRequestFields {
    package static let nullableFields: Set<String> = ["repository_name", "custom_schema_ddl"]
}

/// The body of `POST /databases/{graph_id}/schema`.
package struct SchemaChangeRequest: Decodable, Sendable {
    package var ddl: String

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case ddl
    }
}

/// A request body whose document allows `null` for some fields (as "not given"). Every other
/// field sent as `null` is refused by the HTTP layer's strict decoder (`RequestBodyDecoder`), as
/// the document says.
package protocol NullableRequestFields {
    /// The fields the OpenAPI document types with `"null"`, as dotted paths (`s3_credentials.region`).
    static var nullableFields: Set<String> { get }
}

// MARK: Responses

/// `201` answer of `POST /databases`.
package struct CreateDatabaseResponse: Encodable, Sendable {
    package var status = "success"
    package var graphID: String
    package var schemaType: SchemaType
    package var schemaApplied = true
    package var executionTimeMilliseconds: Double

    package enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case schemaApplied = "schema_applied"
        case executionTimeMilliseconds = "execution_time_ms"
    }
}

/// What `GET /databases` lists about one graph, read from its files only.
package struct DatabaseSummary: Encodable, Sendable {
    package var graphID: String
    package var schemaType: SchemaType
    package var repositoryName: String?
    package var readOnly: Bool
    package var createdAt: Date
    package var lastAccessed: Date?
    package var sizeBytes: UInt64
    package var isOpen: Bool

    package enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case repositoryName = "repository_name"
        case readOnly = "read_only"
        case createdAt = "created_at"
        case lastAccessed = "last_accessed"
        case sizeBytes = "size_bytes"
        case isOpen = "is_open"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try encode(into: &container)
    }

    /// Writes every field; absent optional values as `null`.
    package func encode(into container: inout KeyedEncodingContainer<CodingKeys>) throws {
        try container.encode(graphID, forKey: .graphID)
        try container.encode(schemaType, forKey: .schemaType)
        try container.encode(repositoryName, forKey: .repositoryName)
        try container.encode(readOnly, forKey: .readOnly)
        try container.encode(ISO8601Timestamp.string(from: createdAt), forKey: .createdAt)
        try container.encode(lastAccessed.map(ISO8601Timestamp.string(from:)), forKey: .lastAccessed)
        try container.encode(sizeBytes, forKey: .sizeBytes)
        try container.encode(isOpen, forKey: .isOpen)
    }
}

/// `GET /databases`.
package struct DatabaseList: Encodable, Sendable {
    package var databases: [DatabaseSummary]
    package var totalDatabases: Int
    package var totalSizeBytes: UInt64
    /// The node's capacity; `nil` (left out) for a key scoped to some graphs, which is not told
    /// how many graphs other tenants have.
    package var nodeCapacity: NodeCapacity?

    package struct NodeCapacity: Encodable, Sendable {
        package var maxDatabases: Int
        package var currentDatabases: Int
        package var capacityRemaining: Int
        package var utilizationPercent: Double

        package enum CodingKeys: String, CodingKey {
            case maxDatabases = "max_databases"
            case currentDatabases = "current_databases"
            case capacityRemaining = "capacity_remaining"
            case utilizationPercent = "utilization_percent"
        }
    }

    package enum CodingKeys: String, CodingKey {
        case databases
        case totalDatabases = "total_databases"
        case totalSizeBytes = "total_size_bytes"
        case nodeCapacity = "node_capacity"
    }
}

/// `GET /databases/{graph_id}`: the summary plus what needs the open database.
package struct DatabaseInfo: Encodable, Sendable {
    package var summary: DatabaseSummary
    package var isHealthy: Bool
    package var nodeCount: Int64?
    package var relationshipCount: Int64?
    /// Why the database is not healthy.
    package var error: String?
    /// On a replica: where its copy stands.
    package var replication: ReplicationStatus?

    package enum ExtraKeys: String, CodingKey {
        case isHealthy = "is_healthy"
        case nodeCount = "node_count"
        case relationshipCount = "relationship_count"
        case error
        case replication
    }

    package func encode(to encoder: any Encoder) throws {
        var summaryContainer = encoder.container(keyedBy: DatabaseSummary.CodingKeys.self)
        try summary.encode(into: &summaryContainer)
        var container = encoder.container(keyedBy: ExtraKeys.self)
        try container.encode(isHealthy, forKey: .isHealthy)
        try container.encode(nodeCount, forKey: .nodeCount)
        try container.encode(relationshipCount, forKey: .relationshipCount)
        if let error { try container.encode(error, forKey: .error) }
        if let replication { try container.encode(replication, forKey: .replication) }
    }
}

/// `DELETE /databases/{graph_id}`.
package struct DeleteDatabaseResponse: Encodable, Sendable {
    package var status = "success"
    package var message: String
}

/// `GET /databases/{graph_id}/schema`.
package struct SchemaResponse: Encodable, Sendable {
    package var database: String
    package var nodeTables: [NodeTable]
    package var relTables: [RelTable]

    package struct NodeTable: Encodable, Sendable {
        package var name: String
        package var primaryKey: String?
        package var properties: [GraphCatalog.Property]
        package var comment: String?

        package enum CodingKeys: String, CodingKey {
            case name, properties, comment
            case primaryKey = "primary_key"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(primaryKey, forKey: .primaryKey)
            try container.encode(properties, forKey: .properties)
            try container.encode(comment, forKey: .comment)
        }
    }

    /// `from`/`to` are the first FROM/TO pair; `connections` lists every pair (a relationship
    /// table may connect several pairs of node tables).
    package struct RelTable: Encodable, Sendable {
        package var name: String
        package var from: String?
        package var to: String?
        package var connections: [GraphCatalog.Connection]
        package var properties: [GraphCatalog.Property]
        package var comment: String?

        package enum CodingKeys: String, CodingKey {
            case name, from, to, connections, properties, comment
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try container.encode(connections, forKey: .connections)
            try container.encode(properties, forKey: .properties)
            try container.encode(comment, forKey: .comment)
        }
    }

    package enum CodingKeys: String, CodingKey {
        case database
        case nodeTables = "node_tables"
        case relTables = "rel_tables"
    }

    package init(database: String, catalog: GraphCatalog) {
        self.database = database
        nodeTables = catalog.nodeTables.map {
            NodeTable(name: $0.name, primaryKey: $0.primaryKey, properties: $0.properties, comment: $0.comment)
        }
        relTables = catalog.relTables.map {
            RelTable(
                name: $0.name, from: $0.connections.first?.from, to: $0.connections.first?.to, connections: $0.connections,
                properties: $0.properties, comment: $0.comment
            )
        }
    }
}

/// `POST /databases/{graph_id}/schema`.
package struct SchemaChangeResponse: Encodable, Sendable {
    package var status = "success"
    package var graphID: String
    package var statementsExecuted: Int
    package var executionTimeMilliseconds: Double

    package enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case statementsExecuted = "statements_executed"
        case executionTimeMilliseconds = "execution_time_ms"
    }
}

/// `GET /databases/{graph_id}/metrics`.
package struct DatabaseMetrics: Encodable, Sendable {
    package var graphID: String
    package var sizeBytes: UInt64
    package var nodeCount: Int64
    package var relationshipCount: Int64
    package var tables: [String: Int64]
    package var queryCount: UInt64
    package var lastModified: Date?

    package enum CodingKeys: String, CodingKey {
        case tables
        case graphID = "graph_id"
        case sizeBytes = "size_bytes"
        case nodeCount = "node_count"
        case relationshipCount = "relationship_count"
        case queryCount = "query_count"
        case lastModified = "last_modified"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(graphID, forKey: .graphID)
        try container.encode(sizeBytes, forKey: .sizeBytes)
        try container.encode(nodeCount, forKey: .nodeCount)
        try container.encode(relationshipCount, forKey: .relationshipCount)
        try container.encode(tables, forKey: .tables)
        try container.encode(queryCount, forKey: .queryCount)
        try container.encode(lastModified.map(ISO8601Timestamp.string(from:)), forKey: .lastModified)
    }
}
