import GraphJSON
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (the same rendered as HTML).
/// Both answer without a key.
///
/// The document is the checked-in `openapi/openapi.json`, embedded byte for byte
/// (``OpenAPIDocument/embeddedJSON``). Register this controller LAST in `buildRouter`, after every
/// other route, so that it sees them all: when the router has exactly the documented routes (as
/// the production router does, which `OpenAPITests` checks) the embedded bytes are served as they
/// are; otherwise the operations of routes the router lacks are left out (compact JSON), and a
/// route the router has but the document does not is logged as a warning at start. Both answers
/// are built once, at registration.
struct OpenAPIController: Sendable {
    /// The document's JSON bytes.
    let json: ByteBuffer
    /// The documentation page's bytes.
    let html: ByteBuffer

    static let documentPath = "/openapi.json"
    static let docsPath = "/docs"

    /// Builds the answers for the routes `router` has now (plus this controller's own two).
    init<Context: RequestContext>(router: Router<Context>, logger: Logger) {
        var served = Set(router.routes.map { OpenAPIDocument.Route(method: $0.method.rawValue, path: $0.path.description) })
        served.insert(OpenAPIDocument.Route(method: "get", path: Self.documentPath))
        served.insert(OpenAPIDocument.Route(method: "get", path: Self.docsPath))
        served.insert(OpenAPIDocument.Route(method: "get", path: "/"))
        let undocumented = served.subtracting(OpenAPIDocument.routes)
        if !undocumented.isEmpty {
            logger.warning(
                "routes missing from the OpenAPI document", metadata: ["routes": "\(undocumented.sorted().map(\.description))"]
            )
        }
        if OpenAPIDocument.routes.isSubset(of: served) {
            json = ByteBuffer(string: OpenAPIDocument.embeddedJSON)
            html = ByteBuffer(string: APIDocsPage.html(for: OpenAPIDocument.parsed))
        } else {
            let document = OpenAPIDocument.document(routes: served)
            json = ByteBuffer(string: document.jsonText)
            html = ByteBuffer(string: APIDocsPage.html(for: document))
        }
    }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
        // The root points to the documentation.
        router.get("/") { _, _ in
            Response(status: .permanentRedirect, headers: [.location: Self.docsPath, .cacheControl: "no-cache"])
        }
        router.get(RouterPath(Self.documentPath)) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: self.json)
            )
        }
        router.get(RouterPath(Self.docsPath)) { _, _ in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8", .cacheControl: "no-cache",
                    .contentSecurityPolicy: APIDocsPage.contentSecurityPolicy,
                ],
                body: .init(byteBuffer: self.html)
            )
        }
    }
}
