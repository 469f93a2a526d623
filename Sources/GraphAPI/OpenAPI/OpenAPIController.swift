import GraphService
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (the same rendered as HTML).
/// Both answer without a key.
///
/// The document served lists the operations of the routes the router really has: register this
/// controller LAST in `buildRouter`, after every other route, so that it sees them all. A route
/// the router has but ``OpenAPIDocument`` does not document is logged as a warning at start (and
/// fails `OpenAPITests`). Both answers are built once, at registration.
struct OpenAPIController: Sendable {
    /// The document's JSON bytes.
    let json: ByteBuffer
    /// The documentation page's bytes.
    let html: ByteBuffer

    static let documentPath = "/openapi.json"
    static let docsPath = "/docs"

    /// Builds the document for the routes `router` has now (plus this controller's own two).
    init<Context: RequestContext>(router: Router<Context>, logger: Logger) {
        var served = Set(router.routes.map { OpenAPIDocument.Route(method: $0.method.rawValue, path: $0.path.description) })
        served.insert(OpenAPIDocument.Route(method: "get", path: Self.documentPath))
        served.insert(OpenAPIDocument.Route(method: "get", path: Self.docsPath))
        let undocumented = served.subtracting(OpenAPIDocument.routes)
        if !undocumented.isEmpty {
            logger.warning(
                "routes missing from the OpenAPI document", metadata: ["routes": "\(undocumented.sorted().map(\.description))"]
            )
        }
        let document = OpenAPIDocument.document(routes: served)
        json = document.serialized
        html = ByteBuffer(string: APIDocsPage.html(for: document))
    }

    func addRoutes(to router: Router<GraphAPIRequestContext>) {
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
