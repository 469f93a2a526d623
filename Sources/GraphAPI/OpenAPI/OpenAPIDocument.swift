import GraphJSON

/// A JSON value of the OpenAPI document: the shared ``GraphJSON/JSONValue`` (ordered members,
/// exact numbers).
typealias OpenAPIJSON = GraphJSON.JSONValue

/// The OpenAPI 3.1 description of the server, served at `GET /openapi.json` and rendered at
/// `GET /docs`.
///
/// The source of truth is the checked-in document `openapi/openapi.json`; `scripts/generate-openapi.sh`
/// embeds its exact bytes as ``embeddedJSON`` (in `OpenAPIDocument+Embedded.swift`, generated) and
/// generates the client from the same file. The test suite checks that the router has exactly the
/// routes documented there, that the embedded copy is the checked-in file, and that real answers
/// match its schemas.
enum OpenAPIDocument {
    /// A route: lower-case HTTP method and path template (`/databases/{graph_id}`).
    struct Route: Hashable, Sendable, Comparable, CustomStringConvertible {
        var method: String
        var path: String

        init(method: String, path: String) {
            self.method = method.lowercased()
            self.path = path
        }

        var description: String { "\(method.uppercased()) \(path)" }

        static func < (lhs: Route, rhs: Route) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
    }

    /// The HTTP methods a path item may hold operations for (its other members are not operations).
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The embedded document, parsed. It is checked by the test suite, so a document that does
    /// not parse never ships; should one, the server stops at start naming the offset.
    static let parsed: OpenAPIJSON = {
        do {
            return try OpenAPIJSON(parsing: embeddedJSON)
        } catch {
            fatalError("the embedded openapi/openapi.json is not JSON: \(error)")
        }
    }()

    /// Every documented route.
    static let routes: Set<Route> = routes(of: parsed)

    /// The routes of a document's `paths`.
    static func routes(of document: OpenAPIJSON) -> Set<Route> {
        var routes = Set<Route>()
        for path in document["paths"]?.objectValue ?? [:] {
            for member in path.value.objectValue ?? [:] where methods.contains(member.key) {
                routes.insert(Route(method: member.key, path: path.key))
            }
        }
        return routes
    }

    /// The document with the operations of `routes` only: a path item left with no operation is
    /// dropped, the rest keep their order.
    static func document(_ document: OpenAPIJSON = parsed, routes: Set<Route>) -> OpenAPIJSON {
        guard case .object(var root) = document, let paths = document["paths"]?.objectValue else { return document }
        var kept = JSONObject()
        for path in paths {
            guard case .object(let item) = path.value else { continue }
            let members = item.members.filter { !methods.contains($0.key) || routes.contains(Route(method: $0.key, path: path.key)) }
            if members.contains(where: { methods.contains($0.key) }) {
                kept.members.append(JSONObject.Member(key: path.key, value: .object(JSONObject(members))))
            }
        }
        if let index = root.members.firstIndex(where: { $0.key == "paths" }) {
            root.members[index].value = .object(kept)
        }
        return .object(root)
    }
}

extension GraphJSON.JSONValue {
    /// The members of an object as (key, value) pairs, in order (empty for anything else).
    var pairs: [(key: String, value: GraphJSON.JSONValue)] {
        (objectValue?.members ?? []).map { ($0.key, $0.value) }
    }

    /// The elements of an array (empty for anything else).
    var elements: [GraphJSON.JSONValue] {
        arrayValue ?? []
    }
}
