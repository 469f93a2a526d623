import Foundation
import GraphEngine
import GraphJSON
import NIOCore
import Staging

/// The body of `POST /databases/{graph_id}/tables/query`: `{"sql": "...", "parameters": [..], "timeout": s}`.
package struct StagingQueryRequest: Sendable {
    package var sql: String
    package var parameters: [StagingValue]
    package var timeoutSeconds: Double?

    static let fields = ["sql", "parameters", "timeout"]

    /// Parses the body strictly: `400 invalid_json` for bad JSON, `422` for a missing `sql`, an
    /// unknown field, or a field of the wrong type (parameters must be scalars).
    package init(body: ByteBuffer) throws(ServiceError) {
        let parsed: Result<EngineValue, JSONSyntaxError> = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONSyntaxError) in try EngineValue(parsingJSON: bytes) }
        }
        let root: EngineValue
        switch parsed {
        case .success(let value): root = value
        case .failure(let error):
            if body.readableBytes == 0 { throw ServiceError.invalidBody("the request body is empty: expected {\"sql\": \"...\"}") }
            throw ServiceError(.invalidJSON, "the request body is not valid JSON: \(error)")
        }
        guard case .map(let fields) = root else { throw ServiceError.invalidBody("the request body must be a JSON object") }
        var sql: String?
        var parameters: [StagingValue] = []
        for (key, value) in fields {
            switch key {
            case "sql":
                guard case .string(let text) = value else { throw ServiceError.invalidBody("field 'sql' must be a string") }
                sql = text
            case "parameters":
                switch value {
                case .null: break
                case .list(let items):
                    for (index, item) in items.enumerated() { parameters.append(try Self.value(item, index: index)) }
                default: throw ServiceError.invalidBody("field 'parameters' must be a list")
                }
            case "timeout":
                switch value {
                case .null: break
                case .int64(let seconds) where seconds > 0: timeoutSeconds = Double(seconds)
                case .double(let seconds) where seconds > 0 && seconds.isFinite: timeoutSeconds = seconds
                default: throw ServiceError.invalidBody("field 'timeout' must be a positive number of seconds")
                }
            default:
                throw ServiceError.invalidBody("unknown field '\(key)'; accepted: sql, parameters, timeout")
            }
        }
        guard let sql else { throw ServiceError.invalidBody("missing required field 'sql'") }
        guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ServiceError(.sqlSyntaxError, "sql is empty")
        }
        self.sql = sql
        self.parameters = parameters
    }

    private static func value(_ item: EngineValue, index: Int) throws(ServiceError) -> StagingValue {
        switch item {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int64(let value): return .int(value)
        case .uint64(let value): return .uint(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .int128(let digits):
            guard let value = Int128(digits) else { throw ServiceError.invalidBody("parameters[\(index)] is out of range") }
            return .hugeint(value)
        default:
            throw ServiceError.invalidBody("parameters[\(index)] must be a string, number, boolean or null")
        }
    }
}

extension StagingService {
    /// Runs one read-only `SELECT`/`WITH` of `request` over graph `id`'s staged tables, in a
    /// read-only transaction on the locked-down store, with at most `maxRows` + 1 rows (one more
    /// tells a truncated answer) and a timeout that interrupts DuckDB. The caller reads the result
    /// on ``executor`` and closes it and its connection.
    package func query(
        graph id: GraphID, request: StagingQueryRequest, maxRows: Int, timeoutSeconds: Double
    ) async throws -> (StagingResult, StagingConnection) {
        let store = try await store(id)
        let connection = try store.readConnection()
        let executor = self.executor
        let sql = Self.trimmedStatement(request.sql)
        let parameters = request.parameters
        do {
            let result = try await QueryService.withDeadline(seconds: timeoutSeconds) {
                try await executor.run(on: connection) { connection -> StagingResult in
                    let type = try connection.statementType(of: sql)
                    if type == .multiple {
                        throw ServiceError(.multipleStatements, "only one SQL statement may be sent")
                    }
                    guard type == .select else {
                        throw ServiceError(
                            .forbiddenStatement, "only a read-only SELECT or WITH statement may run on staged tables, not \(type)"
                        )
                    }
                    try connection.execute("BEGIN TRANSACTION READ ONLY")
                    do {
                        let result = try connection.query("SELECT * FROM (\n\(sql)\n) AS graph_api_query LIMIT \(maxRows + 1)", parameters: parameters)
                        try connection.execute("ROLLBACK")
                        return result
                    } catch {
                        _ = try? connection.execute("ROLLBACK")
                        throw error
                    }
                }
            }
            return (result, connection)
        } catch {
            connection.close()
            switch error {
            case let error as StagingError: throw ServiceError.staging(error, timeoutSeconds: timeoutSeconds)
            case is QueryService.DeadlineExceeded: throw ServiceError.queryTimeout(seconds: timeoutSeconds)
            default: throw error
            }
        }
    }

    /// The statement without trailing semicolons and whitespace (it is wrapped in a subquery).
    static func trimmedStatement(_ sql: String) -> String {
        var text = Substring(sql)
        while let last = text.last, last == ";" || last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
