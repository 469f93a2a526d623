/// The schema a new database gets (`schema_type`).
public struct SchemaType: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The wire value.
    public var rawValue: String

    /// Wraps a wire value (the server decides whether it knows it).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The entity schema (the default).
    public static let entity = SchemaType(rawValue: "entity")
    /// A shared repository's schema; needs a repository name.
    public static let shared = SchemaType(rawValue: "shared")
    /// Your own DDL, applied all-or-nothing.
    public static let custom = SchemaType(rawValue: "custom")

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The body of `POST /databases`.
public struct CreateDatabaseRequest: Codable, Sendable, Hashable {
    /// The new graph's id (`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`).
    public var graphID: String
    /// The schema to install.
    public var schemaType: SchemaType
    /// The repository of a `shared` schema (e.g. `sec`).
    public var repositoryName: String?
    /// The DDL of a `custom` schema.
    public var customSchemaDDL: String?
    /// Whether the database refuses writes once created.
    public var readOnly: Bool?

    /// Creates a request.
    public init(
        graphID: String, schemaType: SchemaType = .entity, repositoryName: String? = nil, customSchemaDDL: String? = nil,
        readOnly: Bool? = nil
    ) {
        self.graphID = graphID
        self.schemaType = schemaType
        self.repositoryName = repositoryName
        self.customSchemaDDL = customSchemaDDL
        self.readOnly = readOnly
    }

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case repositoryName = "repository_name"
        case customSchemaDDL = "custom_schema_ddl"
        case readOnly = "read_only"
    }
}

/// `201` answer of `POST /databases`.
public struct CreateDatabaseResponse: Codable, Sendable, Hashable {
    /// `success`.
    public var status: String
    /// The created graph's id.
    public var graphID: String
    /// The installed schema.
    public var schemaType: SchemaType
    /// Always `true` for a created database.
    public var schemaApplied: Bool
    /// Server-side time of the creation.
    public var executionTimeMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case schemaApplied = "schema_applied"
        case executionTimeMilliseconds = "execution_time_ms"
    }
}

/// One database in `GET /databases` (read from its files; listing never opens a database).
public struct DatabaseSummary: Codable, Sendable, Hashable {
    /// The graph's id.
    public var graphID: String
    /// Its schema type.
    public var schemaType: SchemaType
    /// Its repository, for a `shared` schema.
    public var repositoryName: String?
    /// Whether it refuses writes.
    public var readOnly: Bool
    /// When it was created (ISO-8601 UTC).
    public var createdAt: String
    /// When it was last used (ISO-8601 UTC), if ever.
    public var lastAccessed: String?
    /// Bytes of all its files.
    public var sizeBytes: UInt64
    /// Whether the server holds it open now.
    public var isOpen: Bool

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case repositoryName = "repository_name"
        case readOnly = "read_only"
        case createdAt = "created_at"
        case lastAccessed = "last_accessed"
        case sizeBytes = "size_bytes"
        case isOpen = "is_open"
    }
}

/// `GET /databases`.
public struct DatabaseList: Codable, Sendable, Hashable {
    /// The databases the key may see.
    public var databases: [DatabaseSummary]
    /// How many there are.
    public var totalDatabases: Int
    /// Their bytes together.
    public var totalSizeBytes: UInt64
    /// How full the node is; `nil` for a key scoped to some graphs, which the server does not tell
    /// how many graphs other tenants have.
    public var nodeCapacity: NodeCapacity?

    /// The node's database capacity.
    public struct NodeCapacity: Codable, Sendable, Hashable {
        /// Databases the node may hold.
        public var maxDatabases: Int
        /// Databases it holds.
        public var currentDatabases: Int
        /// Databases that can still be created.
        public var capacityRemaining: Int
        /// `current / max` in percent.
        public var utilizationPercent: Double

        enum CodingKeys: String, CodingKey {
            case maxDatabases = "max_databases"
            case currentDatabases = "current_databases"
            case capacityRemaining = "capacity_remaining"
            case utilizationPercent = "utilization_percent"
        }
    }

    enum CodingKeys: String, CodingKey {
        case databases
        case totalDatabases = "total_databases"
        case totalSizeBytes = "total_size_bytes"
        case nodeCapacity = "node_capacity"
    }
}

/// `GET /databases/{graph_id}`: the summary plus what needs the open database.
public struct DatabaseInfo: Codable, Sendable, Hashable {
    /// The graph's id.
    public var graphID: String
    /// Its schema type.
    public var schemaType: SchemaType
    /// Its repository, for a `shared` schema.
    public var repositoryName: String?
    /// Whether it refuses writes.
    public var readOnly: Bool
    /// When it was created (ISO-8601 UTC).
    public var createdAt: String
    /// When it was last used (ISO-8601 UTC), if ever.
    public var lastAccessed: String?
    /// Bytes of all its files.
    public var sizeBytes: UInt64
    /// Whether the server holds it open now.
    public var isOpen: Bool
    /// Whether it opened and answered.
    public var isHealthy: Bool
    /// Nodes in all node tables (absent when the database is not healthy).
    public var nodeCount: Int64?
    /// Relationships in all relationship tables (absent when the database is not healthy).
    public var relationshipCount: Int64?
    /// Why the database is not healthy, if it is not.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case repositoryName = "repository_name"
        case readOnly = "read_only"
        case createdAt = "created_at"
        case lastAccessed = "last_accessed"
        case sizeBytes = "size_bytes"
        case isOpen = "is_open"
        case isHealthy = "is_healthy"
        case nodeCount = "node_count"
        case relationshipCount = "relationship_count"
        case error
    }
}

/// `DELETE /databases/{graph_id}`.
public struct DeleteDatabaseResponse: Codable, Sendable, Hashable {
    /// `success`.
    public var status: String
    /// What was removed.
    public var message: String
}

/// `GET /databases/{graph_id}/schema`.
public struct GraphSchema: Codable, Sendable, Hashable {
    /// The graph's id.
    public var database: String
    /// The node tables.
    public var nodeTables: [NodeTable]
    /// The relationship tables.
    public var relTables: [RelTable]

    /// A typed column.
    public struct Property: Codable, Sendable, Hashable {
        /// Column name.
        public var name: String
        /// Engine type, e.g. `STRING`, `INT64`, `DOUBLE[]`.
        public var type: String
    }

    /// A node table.
    public struct NodeTable: Codable, Sendable, Hashable {
        /// Table name (the label).
        public var name: String
        /// Primary key column.
        public var primaryKey: String?
        /// Its columns.
        public var properties: [Property]
        /// The table's comment, if any.
        public var comment: String?

        enum CodingKeys: String, CodingKey {
            case name, properties, comment
            case primaryKey = "primary_key"
        }
    }

    /// One FROM → TO pair of a relationship table.
    public struct Connection: Codable, Sendable, Hashable {
        /// Source node table.
        public var from: String
        /// Destination node table.
        public var to: String
    }

    /// A relationship table.
    public struct RelTable: Codable, Sendable, Hashable {
        /// Table name (the relationship type).
        public var name: String
        /// Source node table of the first pair.
        public var from: String?
        /// Destination node table of the first pair.
        public var to: String?
        /// Every FROM → TO pair, when the server lists them.
        public var connections: [Connection]?
        /// Its columns.
        public var properties: [Property]
        /// The table's comment, if any.
        public var comment: String?
    }

    enum CodingKeys: String, CodingKey {
        case database
        case nodeTables = "node_tables"
        case relTables = "rel_tables"
    }
}

/// `200` answer of `POST /databases/{graph_id}/schema`: every statement was applied.
public struct SchemaChangeResponse: Codable, Sendable, Hashable {
    /// `success`.
    public var status: String
    /// The graph's id.
    public var graphID: String
    /// Statements applied.
    public var statementsExecuted: Int
    /// Milliseconds the change took.
    public var executionTimeMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case status
        case graphID = "graph_id"
        case statementsExecuted = "statements_executed"
        case executionTimeMilliseconds = "execution_time_ms"
    }
}
