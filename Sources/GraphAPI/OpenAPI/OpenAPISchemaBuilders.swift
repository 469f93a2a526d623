import GraphService

/// Small builders for the pieces of the OpenAPI document, so that ``OpenAPIDocument`` reads as a
/// list of routes and schemas rather than as nested literals.
enum OpenAPISchema {
    /// `{"$ref": "#/components/schemas/<name>"}`.
    static func ref(_ name: String) -> OrderedJSON {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    /// A string.
    static func string(
        _ description: String, format: String? = nil, pattern: String? = nil, values: [String]? = nil,
        example: String? = nil, nullable: Bool = false
    ) -> OrderedJSON {
        var pairs: [(key: String, value: OrderedJSON)] = [("type", nullable ? ["string", "null"] : "string")]
        if let format { pairs.append(("format", .string(format))) }
        if let pattern { pairs.append(("pattern", .string(pattern))) }
        if let values { pairs.append(("enum", .array(values.map(OrderedJSON.string) + (nullable ? [.null] : [])))) }
        pairs.append(("description", .string(description)))
        if let example { pairs.append(("examples", [.string(example)])) }
        return .object(pairs)
    }

    /// A whole number.
    static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil, nullable: Bool = false) -> OrderedJSON {
        var pairs: [(key: String, value: OrderedJSON)] = [("type", nullable ? ["integer", "null"] : "integer")]
        if let minimum { pairs.append(("minimum", .integer(minimum))) }
        if let maximum { pairs.append(("maximum", .integer(maximum))) }
        pairs.append(("description", .string(description)))
        return .object(pairs)
    }

    /// A number.
    static func number(_ description: String, exclusiveMinimum: Double? = nil, nullable: Bool = false) -> OrderedJSON {
        var pairs: [(key: String, value: OrderedJSON)] = [("type", nullable ? ["number", "null"] : "number")]
        if let exclusiveMinimum { pairs.append(("exclusiveMinimum", .number(exclusiveMinimum))) }
        pairs.append(("description", .string(description)))
        return .object(pairs)
    }

    /// A boolean.
    static func boolean(_ description: String, defaultValue: Bool? = nil, constant: Bool? = nil) -> OrderedJSON {
        var pairs: [(key: String, value: OrderedJSON)] = [("type", "boolean")]
        if let defaultValue { pairs.append(("default", .bool(defaultValue))) }
        if let constant { pairs.append(("const", .bool(constant))) }
        pairs.append(("description", .string(description)))
        return .object(pairs)
    }

    /// An array of `items`.
    static func array(_ items: OrderedJSON, _ description: String) -> OrderedJSON {
        ["type": "array", "items": items, "description": .string(description)]
    }

    /// An object with `properties` (in order), of which `required` must be present; unknown
    /// fields are refused unless `additionalProperties` is given.
    static func object(
        _ description: String, properties: [(String, OrderedJSON)], required: [String],
        additionalProperties: OrderedJSON = false
    ) -> OrderedJSON {
        var pairs: [(key: String, value: OrderedJSON)] = [
            ("type", "object"), ("description", .string(description)),
            ("properties", .object(properties.map { (key: $0.0, value: $0.1) })),
        ]
        if !required.isEmpty { pairs.append(("required", .array(required.map(OrderedJSON.string)))) }
        pairs.append(("additionalProperties", additionalProperties))
        return .object(pairs)
    }

    /// A value that may also be `null`.
    static func nullable(_ schema: OrderedJSON) -> OrderedJSON {
        ["oneOf": [schema, ["type": "null"]]]
    }
}

/// Builders for operations and responses.
enum OpenAPIOperation {
    /// The statuses every error response of the API may have, with their meaning (the contract's
    /// table) and the headers they carry.
    static func errorResponse(_ status: Int, _ detail: String?) -> OrderedJSON {
        let meaning: String
        var headers: [(key: String, value: OrderedJSON)] = [("X-Request-ID", ["$ref": "#/components/headers/RequestID"])]
        switch status {
        case 400: meaning = "Malformed input: invalid identifier or query parameter, invalid JSON, a statement that fails to parse or bind."
        case 401:
            meaning = "Missing or invalid API key."
            headers.append(("WWW-Authenticate", ["$ref": "#/components/headers/WWWAuthenticate"]))
        case 403:
            meaning = "Not allowed: read-only database, node or key, a graph outside the key's scope, or an operator route "
                + "(`/metrics`) with a key scoped to some graphs."
        case 404: meaning = "Unknown database (also for a graph outside the key's scope, which learns nothing about other tenants)."
        case 408: meaning = "The query ran past its timeout; the engine query was interrupted."
        case 409: meaning = "Already exists, or a conflicting operation is in progress."
        case 413: meaning = "Request body larger than the configured limit."
        case 422: meaning = "The body does not match the schema: missing field, wrong type or unknown field."
        case 429:
            meaning = "A missing or wrong key while failed authentications are throttled: too many from this client "
                + "address (`too_many_failed_authentications`) or from all addresses (`too_many_failed_authentications_node`). "
                + "A valid key is never refused."
            headers.append(("Retry-After", ["$ref": "#/components/headers/RetryAfter"]))
        case 500: meaning = "Internal error (the detail is shown in development mode only)."
        case 503:
            meaning = "Admission control, a busy database or a full queue; retry after the time given."
            headers.append(("Retry-After", ["$ref": "#/components/headers/RetryAfter"]))
        case 507: meaning = "The node holds as many databases as it may."
        default: meaning = "Error."
        }
        return [
            "description": .string(detail.map { meaning + " " + $0 } ?? meaning),
            "headers": .object(headers),
            "content": ["application/json": ["schema": OpenAPISchema.ref("Error")]],
        ]
    }

    /// A successful response with a JSON body of `schema`.
    static func json(_ description: String, _ schema: OrderedJSON) -> OrderedJSON {
        [
            "description": .string(description),
            "headers": ["X-Request-ID": ["$ref": "#/components/headers/RequestID"]],
            "content": ["application/json": ["schema": schema]],
        ]
    }

    /// A successful response with `content` (media type → media type object).
    static func content(_ description: String, _ content: OrderedJSON) -> OrderedJSON {
        [
            "description": .string(description),
            "headers": ["X-Request-ID": ["$ref": "#/components/headers/RequestID"]],
            "content": content,
        ]
    }

    /// An operation object.
    ///
    /// - Parameters:
    ///   - public: `true` for the routes that answer without a key (`security: []`).
    ///   - errors: the error statuses with extra detail (the stable codes); 500 is added to all,
    ///     401 and 429 to every route that needs a key.
    static func make(
        id: String, tag: String, summary: String, description: String, isPublic: Bool = false,
        parameters: [OrderedJSON] = [], requestBody: OrderedJSON? = nil,
        responses: [(String, OrderedJSON)], errors: [(Int, String?)] = []
    ) -> OrderedJSON {
        var pairs: [(key: String, value: OrderedJSON)] = [
            ("operationId", .string(id)), ("tags", [.string(tag)]), ("summary", .string(summary)),
            ("description", .string(description)),
        ]
        pairs.append(("parameters", .array(parameters + [["$ref": "#/components/parameters/RequestID"]])))
        if let requestBody { pairs.append(("requestBody", requestBody)) }
        var allErrors = errors
        if !isPublic {
            if !allErrors.contains(where: { $0.0 == 401 }) { allErrors.append((401, nil)) }
            if !allErrors.contains(where: { $0.0 == 429 }) { allErrors.append((429, nil)) }
        }
        if !allErrors.contains(where: { $0.0 == 500 }) { allErrors.append((500, nil)) }
        var responsePairs = responses.map { (key: $0.0, value: $0.1) }
        for (status, detail) in allErrors.sorted(by: { $0.0 < $1.0 }) where !responsePairs.contains(where: { $0.key == String(status) }) {
            responsePairs.append((String(status), errorResponse(status, detail)))
        }
        responsePairs.sort { $0.key < $1.key }
        pairs.append(("responses", .object(responsePairs)))
        if isPublic { pairs.append(("security", [])) }
        return .object(pairs)
    }

    /// A JSON request body of `schema`.
    static func body(_ description: String, _ schema: OrderedJSON) -> OrderedJSON {
        ["description": .string(description), "required": true, "content": ["application/json": ["schema": schema]]]
    }

    /// A query parameter.
    static func query(_ name: String, _ description: String, _ schema: OrderedJSON) -> OrderedJSON {
        ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": schema]
    }

    /// The error codes of a status, as the text appended to its description.
    static func codes(_ codes: String...) -> String {
        "Codes: " + codes.map { "`\($0)`" }.joined(separator: ", ") + "."
    }
}
