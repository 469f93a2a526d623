import Foundation
import GraphJSON

/// One HTTP request to the Graph API, before it is bound to a server.
///
/// The typed methods of ``GraphAPIClient`` build these; ``GraphAPIClient/send(_:)`` sends one
/// and returns the body as the server wrote it (what `--format json` prints).
public struct GraphAPIRequest: Sendable, Hashable {
    /// `GET`, `POST` or `DELETE`.
    public var method: String
    /// Path segments below the base URL; each is percent-encoded, so an id can never add a
    /// segment or be a dot-segment (the server then refuses it as an invalid id).
    public var pathSegments: [String]
    /// Query parameters, in order.
    public var queryItems: [QueryItem]
    /// The JSON body, if any.
    public var body: Data?
    /// The `Accept` header.
    public var accept: String
    /// Seconds to wait for the next byte; `nil` takes the client's request timeout.
    public var timeoutSeconds: Double?

    /// One `name=value` of the query string.
    public struct QueryItem: Sendable, Hashable {
        /// The name.
        public var name: String
        /// The value.
        public var value: String

        /// Creates an item.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates a request.
    public init(
        method: String, pathSegments: [String], queryItems: [QueryItem] = [], body: Data? = nil,
        accept: String = "application/json", timeoutSeconds: Double? = nil
    ) {
        self.method = method
        self.pathSegments = pathSegments
        self.queryItems = queryItems
        self.body = body
        self.accept = accept
        self.timeoutSeconds = timeoutSeconds
    }
}

extension GraphAPIRequest {
    /// `GET /health`.
    public static var health: GraphAPIRequest { GraphAPIRequest(method: "GET", pathSegments: ["health"]) }

    /// `GET /databases`.
    public static var listDatabases: GraphAPIRequest { GraphAPIRequest(method: "GET", pathSegments: ["databases"]) }

    /// `POST /databases`.
    public static func createDatabase(_ request: CreateDatabaseRequest) throws -> GraphAPIRequest {
        GraphAPIRequest(method: "POST", pathSegments: ["databases"], body: try JSONEncoder().encode(request))
    }

    /// `DELETE /databases/{graph_id}`.
    public static func deleteDatabase(_ graphID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "DELETE", pathSegments: ["databases", graphID])
    }

    /// `GET /databases/{graph_id}`.
    public static func databaseInfo(_ graphID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["databases", graphID])
    }

    /// `GET /databases/{graph_id}/schema`.
    public static func schema(_ graphID: String) -> GraphAPIRequest {
        GraphAPIRequest(method: "GET", pathSegments: ["databases", graphID, "schema"])
    }

    /// `POST /databases/{graph_id}/schema`: schema statements, applied all or nothing.
    public static func changeSchema(_ graphID: String, ddl: String) -> GraphAPIRequest {
        GraphAPIRequest(
            method: "POST", pathSegments: ["databases", graphID, "schema"],
            body: Data(JSONValue.object(["ddl": .string(ddl)]).jsonText.utf8)
        )
    }

    /// `POST /databases/{graph_id}/query`, answered with one JSON document.
    public static func query(_ graphID: String, _ query: QueryRequest) -> GraphAPIRequest {
        GraphAPIRequest(
            method: "POST", pathSegments: ["databases", graphID, "query"], body: Data(query.jsonBody.jsonText.utf8),
            accept: "application/json"
        )
    }

    /// `POST /databases/{graph_id}/query?streaming=true[&chunk_size=N]`, answered with NDJSON.
    public static func streamQuery(_ graphID: String, _ query: QueryRequest, chunkSize: Int? = nil) -> GraphAPIRequest {
        var items = [QueryItem(name: "streaming", value: "true")]
        if let chunkSize { items.append(QueryItem(name: "chunk_size", value: String(chunkSize))) }
        return GraphAPIRequest(
            method: "POST", pathSegments: ["databases", graphID, "query"], queryItems: items,
            body: Data(query.jsonBody.jsonText.utf8), accept: "application/x-ndjson"
        )
    }

    /// Characters left as they are in a path segment or query value; everything else is
    /// percent-encoded.
    static let unreservedCharacters: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    )

    /// Percent-encodes every byte outside ``unreservedCharacters``, and the dots of a `.` or `..`
    /// segment (which a URL library would otherwise resolve away).
    static func percentEncoded(_ text: String) -> String {
        if text == "." || text == ".." { return String(repeating: "%2E", count: text.count) }
        var output = ""
        for byte in text.utf8 {
            if unreservedCharacters.contains(byte) {
                output.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }

    /// The full URL of this request on the server at `baseURL`.
    public func url(relativeTo baseURL: URL) -> URL {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        for segment in pathSegments { text += "/" + GraphAPIRequest.percentEncoded(segment) }
        if !queryItems.isEmpty {
            text += "?" + queryItems.map { "\(GraphAPIRequest.percentEncoded($0.name))=\(GraphAPIRequest.percentEncoded($0.value))" }
                .joined(separator: "&")
        }
        // Every character is either unreserved or percent-encoded, and the base URL was validated.
        return URL(string: text) ?? baseURL
    }
}
