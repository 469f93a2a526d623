import CDuckDB

/// An error raised by DuckDB or by the staging layer around it.
///
/// `message` is DuckDB's own message when DuckDB produced the error (for example
/// `Parser Error: syntax error at or near "SELEC"`), so it can be shown to the author of the SQL.
/// `kind` classifies the failure so callers can map it (a parse error to 400, an interrupted query
/// to 408, ...) without matching on message text.
public struct StagingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of a ``StagingError``. New kinds may be added; switch with a `default` case.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Code: String, Sendable, Hashable {
            case parser, binder, catalog, conversion, outOfRange, constraint, invalidInput
            case io, permission, http, interrupted, outOfMemory, transaction, missingExtension
            case invalidConfiguration, notImplemented, `internal`, other
            case closed, parameterCount, unsupportedParameter, extensionNotFound
        }

        fileprivate let code: Code

        /// The SQL text does not parse.
        public static let parser = Kind(code: .parser)
        /// The SQL parses but names or types do not resolve (unknown column, wrong function argument).
        public static let binder = Kind(code: .binder)
        /// A table, schema, function or other catalog entry is missing or already exists.
        public static let catalog = Kind(code: .catalog)
        /// A value could not be converted to the required type.
        public static let conversion = Kind(code: .conversion)
        /// A value is out of range for its type.
        public static let outOfRange = Kind(code: .outOfRange)
        /// A constraint (primary key, NOT NULL, CHECK) was violated.
        public static let constraint = Kind(code: .constraint)
        /// DuckDB rejected its input, e.g. several statements where one was expected.
        public static let invalidInput = Kind(code: .invalidInput)
        /// A file or network read/write failed (missing file, missing S3 bucket, unreachable endpoint).
        public static let io = Kind(code: .io)
        /// The instance's configuration forbids the operation (locked-down file access, extension loading).
        public static let permission = Kind(code: .permission)
        /// An HTTP request made by httpfs failed with an HTTP status.
        public static let http = Kind(code: .http)
        /// The query was interrupted (``StagingConnection/interrupt()`` or task cancellation).
        public static let interrupted = Kind(code: .interrupted)
        /// The instance ran out of memory within its `memory_limit`.
        public static let outOfMemory = Kind(code: .outOfMemory)
        /// A transaction conflict or transaction misuse.
        public static let transaction = Kind(code: .transaction)
        /// A function needs an extension that is not loaded (e.g. `s3://` without httpfs).
        public static let missingExtension = Kind(code: .missingExtension)
        /// A configuration option or value was rejected.
        public static let invalidConfiguration = Kind(code: .invalidConfiguration)
        /// DuckDB does not implement the requested feature.
        public static let notImplemented = Kind(code: .notImplemented)
        /// An internal DuckDB error; the instance may be unusable afterwards.
        public static let `internal` = Kind(code: .internal)
        /// Any other DuckDB error class.
        public static let other = Kind(code: .other)
        /// The database, connection, statement or result was already closed.
        public static let closed = Kind(code: .closed)
        /// The number of parameters given does not match the statement's placeholders.
        public static let parameterCount = Kind(code: .parameterCount)
        /// A parameter value cannot be bound (for example a list or struct value).
        public static let unsupportedParameter = Kind(code: .unsupportedParameter)
        /// The pinned extension file could not be found.
        public static let extensionNotFound = Kind(code: .extensionNotFound)

        /// A stable lower-camel-case name of the kind, e.g. `"parser"`.
        public var description: String { code.rawValue }
    }

    /// What went wrong, as a class.
    public let kind: Kind
    /// The human-readable message (DuckDB's own message for engine errors).
    public let message: String

    /// Creates an error of the given kind.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// `"<kind>: <message>"`.
    public var description: String { "StagingError(\(kind)): \(message)" }
}

extension StagingError {
    /// Builds an error from a DuckDB error type and message.
    init(duckdbType: duckdb_error_type, message: String) {
        self.init(kind: Kind(duckdbType), message: message)
    }

    /// Builds an error from a DuckDB message alone (prepare and open errors carry no error type),
    /// reading the `"<Type> Error: "` prefix DuckDB puts in front of every message.
    init(duckdbMessage message: String) {
        self.init(kind: Kind(messagePrefixOf: message), message: message)
    }

    static func closed(_ what: String) -> StagingError {
        StagingError(kind: .closed, message: "The staging \(what) is closed")
    }
}

extension StagingError.Kind {
    init(_ type: duckdb_error_type) {
        switch type {
        case DUCKDB_ERROR_PARSER, DUCKDB_ERROR_SYNTAX: self = .parser
        case DUCKDB_ERROR_BINDER, DUCKDB_ERROR_PARAMETER_NOT_RESOLVED, DUCKDB_ERROR_PARAMETER_NOT_ALLOWED,
            DUCKDB_ERROR_MISMATCH_TYPE, DUCKDB_ERROR_EXPRESSION, DUCKDB_ERROR_PLANNER:
            self = .binder
        case DUCKDB_ERROR_CATALOG, DUCKDB_ERROR_DEPENDENCY, DUCKDB_ERROR_SEQUENCE: self = .catalog
        case DUCKDB_ERROR_CONVERSION, DUCKDB_ERROR_DECIMAL, DUCKDB_ERROR_INVALID_TYPE, DUCKDB_ERROR_UNKNOWN_TYPE:
            self = .conversion
        case DUCKDB_ERROR_OUT_OF_RANGE, DUCKDB_ERROR_DIVIDE_BY_ZERO, DUCKDB_ERROR_OBJECT_SIZE: self = .outOfRange
        case DUCKDB_ERROR_CONSTRAINT, DUCKDB_ERROR_INDEX: self = .constraint
        case DUCKDB_ERROR_INVALID_INPUT, DUCKDB_ERROR_INVALID: self = .invalidInput
        case DUCKDB_ERROR_IO, DUCKDB_ERROR_NETWORK, DUCKDB_ERROR_CONNECTION, DUCKDB_ERROR_SERIALIZATION: self = .io
        case DUCKDB_ERROR_PERMISSION: self = .permission
        case DUCKDB_ERROR_HTTP: self = .http
        case DUCKDB_ERROR_INTERRUPT: self = .interrupted
        case DUCKDB_ERROR_OUT_OF_MEMORY: self = .outOfMemory
        case DUCKDB_ERROR_TRANSACTION: self = .transaction
        case DUCKDB_ERROR_MISSING_EXTENSION, DUCKDB_ERROR_AUTOLOAD: self = .missingExtension
        case DUCKDB_INVALID_CONFIGURATION, DUCKDB_ERROR_SETTINGS: self = .invalidConfiguration
        case DUCKDB_ERROR_NOT_IMPLEMENTED: self = .notImplemented
        case DUCKDB_ERROR_INTERNAL, DUCKDB_ERROR_FATAL, DUCKDB_ERROR_NULL_POINTER: self = .internal
        default: self = .other
        }
    }

    /// DuckDB's exception type names (`Exception::ExceptionTypeToString`) as they appear in front
    /// of `" Error: "` in messages.
    private static let prefixes: [String: StagingError.Kind] = [
        "Parser": .parser, "Syntax": .parser,
        "Binder": .binder, "Parameter Not Resolved": .binder, "Parameter Not Allowed": .binder,
        "Mismatch Type": .binder, "Expression": .binder, "Planner": .binder,
        "Catalog": .catalog, "Dependency": .catalog, "Sequence": .catalog,
        "Conversion": .conversion, "Decimal": .conversion, "Invalid type": .conversion,
        "Unknown Type": .conversion,
        "Out of Range": .outOfRange, "Divide by Zero": .outOfRange, "Object Size": .outOfRange,
        "Constraint": .constraint, "Index": .constraint,
        "Invalid Input": .invalidInput, "Invalid": .invalidInput,
        "IO": .io, "Network": .io, "Connection": .io, "Serialization": .io,
        "Permission": .permission, "HTTP": .http, "INTERRUPT": .interrupted,
        "Out of Memory": .outOfMemory, "TransactionContext": .transaction,
        "Missing Extension": .missingExtension, "Extension Autoloading": .missingExtension,
        "Invalid Configuration": .invalidConfiguration, "Settings": .invalidConfiguration,
        "Not implemented": .notImplemented, "INTERNAL": .internal, "FATAL": .internal,
    ]

    init(messagePrefixOf message: String) {
        guard let range = message.firstRange(of: " Error: "), range.lowerBound != message.startIndex else {
            self = .other
            return
        }
        self = Self.prefixes[String(message[..<range.lowerBound])] ?? .other
    }
}
