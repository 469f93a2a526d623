import Hummingbird
import Synchronization

/// The routes of the router, by path pattern, for telling an unknown path (`404`) from a known
/// path asked with a method it does not take (`405` with `Allow`). Filled once the router has
/// every route; read by ``ErrorMiddleware``.
final class RouteTable: Sendable {
    private struct Route: Sendable {
        var segments: [Substring]
        var methods: Set<String>
    }

    private let routes = Mutex<[Route]>([])

    /// Records the routes `router` has now (call it after the last route is added).
    func fill<Context: RequestContext>(from router: Router<Context>) {
        var byPath: [String: Set<String>] = [:]
        for route in router.routes { byPath[route.path.description, default: []].insert(route.method.rawValue) }
        let table = byPath.map { path, methods in
            // Hummingbird answers HEAD wherever GET is routed (`.autoGenerateHeadEndpoints`).
            Route(segments: path.split(separator: "/"), methods: methods.contains("GET") ? methods.union(["HEAD"]) : methods)
        }
        routes.withLock { $0 = table }
    }

    /// The methods routed for `path`, sorted; empty when no route has that path.
    func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { pattern, segment in
                        pattern.hasPrefix(":") || pattern.hasPrefix("{") || pattern == segment
                    }
            }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
        }.sorted()
    }
}
