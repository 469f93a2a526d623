import GraphEngine
import GraphJSON
import NIOCore

/// The body of `POST /databases/{graph_id}/query`:
/// `{"cypher": "...", "parameters": {...}, "timeout": seconds, "database": "..."}`.
///
/// Parsed with `EngineValue(parsingJSON:)` so every parameter keeps the type JSON gave it.
package struct QueryRequest: Sendable {
    /// The statement.
    package var cypher: String
    /// Parameter values by name (without `$`).
    var parameters: [String: EngineValue]
    /// Requested timeout in seconds, if any.
    package var timeoutSeconds: Double?
    /// The database named in the body, if any (must equal the path's graph id).
    package var database: String?

    static let fields: Set<String> = ["cypher", "parameters", "timeout", "database"]

    /// Parses a request body.
    ///
    /// - Throws: `400` (`invalid_json`) for a body that is not JSON, `422` (`validation_error`) for
    ///   JSON that does not match the schema: not an object, `cypher` missing or not a string,
    ///   `parameters` not an object, `timeout` not a positive number, `database` not a string, or
    ///   any other field.
    package init(parsing body: ByteBuffer) throws(ServiceError) {
        let parsed: Result<EngineValue, JSONSyntaxError> = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONSyntaxError) in try EngineValue(parsingJSON: bytes) }
        }
        let root: EngineValue
        switch parsed {
        case .success(let value): root = value
        case .failure(let error):
            if body.readableBytes == 0 { throw ServiceError.invalidBody("the request body is empty: expected {\"cypher\": \"...\"}") }
            throw ServiceError(.invalidJSON, "the request body is not valid JSON: \(error)")
        }
        guard case .map(let fields) = root else {
            throw ServiceError.invalidBody("the request body must be a JSON object with a \"cypher\" field")
        }
        var cypher: String?
        var parameters: [String: EngineValue] = [:]
        var timeout: Double?
        var database: String?
        for (key, value) in fields {
            switch key {
            case "cypher":
                guard case .string(let text) = value else { throw ServiceError.invalidBody("field \"cypher\" must be a string") }
                cypher = text
            case "parameters":
                switch value {
                case .null: break
                case .map(let pairs):
                    parameters.reserveCapacity(pairs.count)
                    for (name, parameter) in pairs { parameters[name] = parameter }
                default:
                    throw ServiceError.invalidBody("field \"parameters\" must be an object mapping names to values")
                }
            case "timeout":
                switch value {
                case .null: break
                case .int64(let seconds): timeout = Double(seconds)
                case .uint64(let seconds): timeout = Double(seconds)
                case .int128(let digits): timeout = Double(digits)
                case .double(let seconds): timeout = seconds
                default: throw ServiceError.invalidBody("field \"timeout\" must be a number of seconds")
                }
                if let seconds = timeout, !(seconds > 0) {
                    throw ServiceError.invalidBody("field \"timeout\" must be a positive number of seconds")
                }
            case "database":
                switch value {
                case .null: break
                case .string(let name): database = name
                default: throw ServiceError.invalidBody("field \"database\" must be a string")
                }
            default:
                throw ServiceError.invalidBody(
                    "unknown field \"\(key.prefix(64))\": expected only \(Self.fields.sorted().map { "\"\($0)\"" }.joined(separator: ", "))"
                )
            }
        }
        guard let cypher else { throw ServiceError.invalidBody("field \"cypher\" is required") }
        self.cypher = cypher
        self.parameters = parameters
        self.timeoutSeconds = timeout
        self.database = database
    }
}
