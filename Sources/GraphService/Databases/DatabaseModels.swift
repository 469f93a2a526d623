import Foundation

// MARK: Requests

/// A database to create (`POST /databases`; the HTTP layer reads the body into this).
package struct CreateDatabaseRequest: Sendable {
    package var graphID: String
    package var schemaType: SchemaType
    package var repositoryName: String?
    package var customSchemaDDL: String?
    package var readOnly: Bool

    package init(
        graphID: String, schemaType: SchemaType = .entity, repositoryName: String? = nil, customSchemaDDL: String? = nil,
        readOnly: Bool = false
    ) {
        self.graphID = graphID
        self.schemaType = schemaType
        self.repositoryName = repositoryName
        self.customSchemaDDL = customSchemaDDL
        self.readOnly = readOnly
    }
}

// MARK: Responses

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
