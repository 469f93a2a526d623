/// Every failure the service reports: a stable ``code`` (e.g. `database_not_found`), its
/// ``Category``, a message for people, and for the failures worth retrying the seconds to wait.
///
/// The codes are declared here once, each with its category; the HTTP layer turns a category
/// into a status in one place (`APIError`), and the OpenAPI document lists every code (a test
/// compares the two). As postgres-nio's errors do, ``Code`` is a struct around a private enum, so
/// a new code is not a breaking change for code that switches over them.
public struct ServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, which decides the status of an answer.
    public enum Category: Sendable, Hashable, CaseIterable {
        /// The request asks for something impossible or malformed (400).
        case invalidRequest
        /// The request body does not match its schema (422).
        case invalidBody
        /// Not allowed for this node, graph or key (403).
        case forbidden
        /// The graph, table, file or task does not exist (404).
        case notFound
        /// It exists already, or is in a state that does not allow it (409).
        case conflict
        /// It ran past its timeout and was stopped (408).
        case timeout
        /// Busy, shutting down or interrupted: retry after ``ServiceError/retryAfterSeconds`` (503).
        case unavailable
        /// No room: disk, buffer pool or node capacity (507).
        case insufficientStorage
        /// A failure of the server or an engine (500).
        case `internal`
    }

    /// A stable machine-readable error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, CaseIterable {
            case invalidJSON = "invalid_json"
            case validationError = "validation_error"
            case invalidGraphID = "invalid_graph_id"
            case invalidTableName = "invalid_table_name"
            case invalidDDL = "invalid_ddl"
            case invalidColumns = "invalid_columns"
            case invalidFileID = "invalid_file_id"
            case invalidSource = "invalid_source"
            case invalidS3Credentials = "invalid_s3_credentials"
            case missingS3Credentials = "missing_s3_credentials"
            case unknownFormat = "unknown_format"
            case repositoryNameRequired = "repository_name_required"
            case customSchemaDDLRequired = "custom_schema_ddl_required"
            case unexpectedCustomSchemaDDL = "unexpected_custom_schema_ddl"
            case databaseMismatch = "database_mismatch"
            case cypherSyntaxError = "cypher_syntax_error"
            case cypherBindingError = "cypher_binding_error"
            case queryFailed = "query_failed"
            case multipleStatements = "multiple_statements"
            case transactionStatementNotSupported = "transaction_statement_not_supported"
            case notASchemaStatement = "not_a_schema_statement"
            case schemaError = "schema_error"
            case sqlSyntaxError = "sql_syntax_error"
            case sqlBindingError = "sql_binding_error"
            case sqlFailed = "sql_failed"
            case sourceError = "source_error"
            case sourceNotFound = "source_not_found"
            case graphTableNotFound = "graph_table_not_found"
            case ingestValidationFailed = "ingest_validation_failed"
            case ingestRowsRejected = "ingest_rows_rejected"
            case ingestFailed = "ingest_failed"
            case noFileIDs = "no_file_ids"
            case forbiddenStatement = "forbidden_statement"
            case sourceOutsideImportDir = "source_outside_import_dir"
            case readOnlyDatabase = "read_only_database"
            case readOnlyNode = "read_only_node"
            case databaseNotFound = "database_not_found"
            case tableNotFound = "table_not_found"
            case fileNotFound = "file_not_found"
            case taskNotFound = "task_not_found"
            case backupNotFound = "backup_not_found"
            case backupKeyMissing = "backup_key_missing"
            case backupDestinationUnavailable = "backup_destination_unavailable"
            case recoveryUnavailable = "recovery_unavailable"
            case backupStorageUnavailable = "backup_storage_unavailable"
            case invalidSchedule = "invalid_schedule"
            case backupScheduleNotFound = "backup_schedule_not_found"
            case databaseExists = "database_exists"
            case rebuildWouldLoseData = "rebuild_would_lose_data"
            case taskFinished = "task_finished"
            case queryTimeout = "query_timeout"
            case shuttingDown = "shutting_down"
            case tooManyOpenDatabases = "too_many_open_databases"
            case databaseBusy = "database_busy"
            case queryInterrupted = "query_interrupted"
            case databaseClosed = "database_closed"
            case writeConflict = "write_conflict"
            case interrupted = "interrupted"
            case stagingOutOfMemory = "staging_out_of_memory"
            case nodeAtCapacity = "node_at_capacity"
            case diskFull = "disk_full"
            case databaseOutOfMemory = "database_out_of_memory"
            case taskNotRecorded = "task_not_recorded"
            case engineError = "engine_error"
            case stagingError = "staging_error"
            case journalError = "journal_error"
        }

        private let base: Base
        /// The category: what kind of failure this code names.
        public let category: Category

        private init(_ base: Base, _ category: Category) {
            self.base = base
            self.category = category
        }

        /// The code as it appears on the wire, e.g. `database_not_found`.
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }

        public static let invalidJSON = Code(.invalidJSON, .invalidRequest)
        public static let validationError = Code(.validationError, .invalidBody)
        public static let invalidGraphID = Code(.invalidGraphID, .invalidRequest)
        public static let invalidTableName = Code(.invalidTableName, .invalidRequest)
        public static let invalidDDL = Code(.invalidDDL, .invalidRequest)
        public static let invalidColumns = Code(.invalidColumns, .invalidRequest)
        public static let invalidFileID = Code(.invalidFileID, .invalidRequest)
        public static let invalidSource = Code(.invalidSource, .invalidRequest)
        public static let invalidS3Credentials = Code(.invalidS3Credentials, .invalidRequest)
        public static let missingS3Credentials = Code(.missingS3Credentials, .invalidRequest)
        public static let unknownFormat = Code(.unknownFormat, .invalidRequest)
        public static let repositoryNameRequired = Code(.repositoryNameRequired, .invalidRequest)
        public static let customSchemaDDLRequired = Code(.customSchemaDDLRequired, .invalidRequest)
        public static let unexpectedCustomSchemaDDL = Code(.unexpectedCustomSchemaDDL, .invalidRequest)
        public static let databaseMismatch = Code(.databaseMismatch, .invalidRequest)
        public static let cypherSyntaxError = Code(.cypherSyntaxError, .invalidRequest)
        public static let cypherBindingError = Code(.cypherBindingError, .invalidRequest)
        public static let queryFailed = Code(.queryFailed, .invalidRequest)
        public static let multipleStatements = Code(.multipleStatements, .invalidRequest)
        public static let transactionStatementNotSupported = Code(.transactionStatementNotSupported, .invalidRequest)
        public static let notASchemaStatement = Code(.notASchemaStatement, .invalidRequest)
        public static let schemaError = Code(.schemaError, .invalidRequest)
        public static let sqlSyntaxError = Code(.sqlSyntaxError, .invalidRequest)
        public static let sqlBindingError = Code(.sqlBindingError, .invalidRequest)
        public static let sqlFailed = Code(.sqlFailed, .invalidRequest)
        public static let sourceError = Code(.sourceError, .invalidRequest)
        public static let sourceNotFound = Code(.sourceNotFound, .invalidRequest)
        public static let graphTableNotFound = Code(.graphTableNotFound, .invalidRequest)
        public static let ingestValidationFailed = Code(.ingestValidationFailed, .invalidRequest)
        public static let ingestRowsRejected = Code(.ingestRowsRejected, .invalidRequest)
        public static let ingestFailed = Code(.ingestFailed, .invalidRequest)
        public static let noFileIDs = Code(.noFileIDs, .invalidRequest)
        public static let forbiddenStatement = Code(.forbiddenStatement, .forbidden)
        public static let sourceOutsideImportDir = Code(.sourceOutsideImportDir, .forbidden)
        public static let readOnlyDatabase = Code(.readOnlyDatabase, .forbidden)
        public static let readOnlyNode = Code(.readOnlyNode, .forbidden)
        public static let databaseNotFound = Code(.databaseNotFound, .notFound)
        public static let tableNotFound = Code(.tableNotFound, .notFound)
        public static let fileNotFound = Code(.fileNotFound, .notFound)
        public static let taskNotFound = Code(.taskNotFound, .notFound)
        public static let backupNotFound = Code(.backupNotFound, .notFound)
        public static let backupKeyMissing = Code(.backupKeyMissing, .invalidRequest)
        public static let backupDestinationUnavailable = Code(.backupDestinationUnavailable, .invalidRequest)
        public static let recoveryUnavailable = Code(.recoveryUnavailable, .invalidRequest)
        public static let backupStorageUnavailable = Code(.backupStorageUnavailable, .unavailable)
        public static let invalidSchedule = Code(.invalidSchedule, .invalidRequest)
        public static let backupScheduleNotFound = Code(.backupScheduleNotFound, .notFound)
        public static let databaseExists = Code(.databaseExists, .conflict)
        public static let rebuildWouldLoseData = Code(.rebuildWouldLoseData, .conflict)
        public static let taskFinished = Code(.taskFinished, .conflict)
        public static let queryTimeout = Code(.queryTimeout, .timeout)
        public static let shuttingDown = Code(.shuttingDown, .unavailable)
        public static let tooManyOpenDatabases = Code(.tooManyOpenDatabases, .unavailable)
        public static let databaseBusy = Code(.databaseBusy, .unavailable)
        public static let queryInterrupted = Code(.queryInterrupted, .unavailable)
        public static let databaseClosed = Code(.databaseClosed, .unavailable)
        public static let writeConflict = Code(.writeConflict, .unavailable)
        public static let interrupted = Code(.interrupted, .unavailable)
        public static let stagingOutOfMemory = Code(.stagingOutOfMemory, .unavailable)
        public static let nodeAtCapacity = Code(.nodeAtCapacity, .insufficientStorage)
        public static let diskFull = Code(.diskFull, .insufficientStorage)
        public static let databaseOutOfMemory = Code(.databaseOutOfMemory, .insufficientStorage)
        public static let taskNotRecorded = Code(.taskNotRecorded, .internal)
        public static let engineError = Code(.engineError, .internal)
        public static let stagingError = Code(.stagingError, .internal)
        public static let journalError = Code(.journalError, .internal)

        /// Every code, in declaration order.
        public static let all: [Code] = [
            .invalidJSON, .validationError, .invalidGraphID, .invalidTableName, .invalidDDL, .invalidColumns, .invalidFileID,
            .invalidSource, .invalidS3Credentials, .missingS3Credentials, .unknownFormat, .repositoryNameRequired, .customSchemaDDLRequired,
            .unexpectedCustomSchemaDDL, .databaseMismatch, .cypherSyntaxError, .cypherBindingError, .queryFailed,
            .multipleStatements, .transactionStatementNotSupported, .notASchemaStatement, .schemaError, .sqlSyntaxError,
            .sqlBindingError, .sqlFailed, .sourceError, .sourceNotFound, .graphTableNotFound, .ingestValidationFailed,
            .ingestRowsRejected, .ingestFailed, .noFileIDs, .forbiddenStatement, .sourceOutsideImportDir, .readOnlyDatabase, .readOnlyNode,
            .databaseNotFound, .tableNotFound, .fileNotFound, .taskNotFound, .backupNotFound, .backupKeyMissing,
            .backupDestinationUnavailable, .recoveryUnavailable, .backupStorageUnavailable, .invalidSchedule,
            .backupScheduleNotFound, .databaseExists, .rebuildWouldLoseData, .taskFinished, .queryTimeout,
            .shuttingDown, .tooManyOpenDatabases, .databaseBusy, .queryInterrupted, .databaseClosed, .writeConflict,
            .interrupted, .stagingOutOfMemory, .nodeAtCapacity, .diskFull, .databaseOutOfMemory, .taskNotRecorded, .engineError, .stagingError,
            .journalError,
        ]

        /// Whether ``all`` lists every declared code exactly once (checked by a test).
        static var allIsComplete: Bool { Set(all.map(\.base)) == Set(Base.allCases) && all.count == Base.allCases.count }
    }

    /// The code.
    public var code: Code
    /// What went wrong, for people.
    public var message: String
    /// For ``Category/unavailable``: seconds after which a retry may succeed.
    public var retryAfterSeconds: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The category of ``code``.
    public var category: Category { code.category }

    public var description: String { "\(code): \(message)" }
}

extension ServiceError {
    /// `database_not_found` for `id`.
    public static func databaseNotFound(_ id: GraphID) -> ServiceError {
        ServiceError(.databaseNotFound, "database '\(id)' not found")
    }

    /// `validation_error`: a request body that does not match its schema.
    public static func invalidBody(_ message: String) -> ServiceError {
        ServiceError(.validationError, message)
    }

    /// `read_only_node`, saying what cannot be done here.
    public static func readOnlyNode(_ what: String) -> ServiceError {
        ServiceError(.readOnlyNode, "this node is read-only: \(what)")
    }
}
