import Foundation
import GraphAPITesting
import HTTPTypes
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// Issue 14: a known path asked with a method it does not take is `405` with `Allow` (was 404);
/// `HEAD` works wherever `GET` does; `GET /` points to the documentation.
struct MethodAndRootTests {
    @Test func aWrongMethodOnAKnownPathIs405WithAllow() async throws {
        try await TestServer.withServer(graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE N(id INT64 PRIMARY KEY)"])]) { server in
            for (method, uri, allow) in [
                (HTTPRequest.Method.put, "/databases", "GET, HEAD, POST"),
                (.patch, "/databases/g", "DELETE, GET, HEAD"),
                (.get, "/databases/g/query", "POST"),
                (.delete, "/health", "GET, HEAD"),
            ] {
                try await server.client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    #expect(String(buffer: response.body).contains(#""code":"method_not_allowed""#))
                }
            }
            try await server.client.execute(uri: "/no/such/route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains(#""code":"not_found""#))
            }
        }
    }

    @Test func headAnswersWhereverGetDoes() async throws {
        try await TestServer.withServer(graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE N(id INT64 PRIMARY KEY)"])]) { server in
            for uri in ["/health", "/databases", "/databases/g", "/databases/g/schema", "/openapi.json", "/tasks"] {
                var length: String?
                try await server.client.execute(uri: uri, method: .get) { response in length = response.headers[.contentLength] }
                try await server.client.execute(uri: uri, method: .head) { response in
                    #expect(response.status == .ok, "HEAD \(uri)")
                    #expect(response.body.readableBytes == 0, "HEAD \(uri)")
                    if let length, uri != "/health" { #expect(response.headers[.contentLength] == length, "HEAD \(uri)") }
                }
            }
        }
    }

    @Test func theRootPointsToTheDocs() async throws {
        try await TestServer.withServer(configure: { $0.apiKeys = [APIKey(secret: "k")] }) { server in
            try await server.client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .permanentRedirect)
                #expect(response.headers[.location] == "/docs")
            }
        }
    }
}
