import AsyncHTTPClient
import Foundation
import GraphAPIContract
import GraphJSON
import NIOHTTP1
import Testing

@testable import GraphAPIClient

@Suite struct ConfigurationTests {
    typealias Configuration = GraphAPIClient.Configuration

    @Test func defaultsWithoutFlagsOrEnvironment() throws {
        let configuration = try Configuration.resolve(url: nil, apiKey: nil, environment: [:])
        #expect(configuration.baseURL.absoluteString == "http://127.0.0.1:8001")
        #expect(configuration.apiKey == nil)
    }

    @Test func environmentFillsWhatFlagsLeaveOut() throws {
        let environment = ["GRAPH_API_URL": "https://graphs.example.com:9000/", "GRAPH_API_KEY": "env-key"]
        let configuration = try Configuration.resolve(url: nil, apiKey: nil, environment: environment)
        #expect(configuration.baseURL.absoluteString == "https://graphs.example.com:9000")
        #expect(configuration.apiKey == "env-key")
    }

    @Test func flagsWinOverTheEnvironment() throws {
        let environment = ["GRAPH_API_URL": "http://env:1", "GRAPH_API_KEY": "env-key"]
        let configuration = try Configuration.resolve(url: "http://flag:2", apiKey: "flag-key", environment: environment)
        #expect(configuration.baseURL.absoluteString == "http://flag:2")
        #expect(configuration.apiKey == "flag-key")
    }

    @Test func emptyValuesCountAsUnset() throws {
        let configuration = try Configuration.resolve(url: "", apiKey: "", environment: ["GRAPH_API_URL": "", "GRAPH_API_KEY": ""])
        #expect(configuration.baseURL.absoluteString == "http://127.0.0.1:8001")
        #expect(configuration.apiKey == nil)
    }

    @Test func keepsAPathPrefixAndIPv6Hosts() throws {
        #expect(try Configuration(url: "http://proxy/graph-api//").baseURL.absoluteString == "http://proxy/graph-api")
        #expect(try Configuration(url: "HTTP://[::1]:8001").baseURL.absoluteString == "http://[::1]:8001")
    }

    @Test(arguments: [
        "127.0.0.1:8001", "ftp://host", "http://", "not a url", "http://user:pw@host", "http://host/?x=1", "http://host/#frag",
        "file:///tmp/x",
    ])
    func refusesUnusableURLs(_ url: String) {
        #expect {
            try Configuration.resolve(url: url, apiKey: nil, environment: [:])
        } throws: { error in
            (error as? GraphAPIClientError)?.kind == .invalidInput
        }
    }

    @Test func refusesAKeyWithControlCharacters() {
        #expect {
            try Configuration.resolve(url: nil, apiKey: "key\n", environment: [:])
        } throws: { error in
            (error as? GraphAPIClientError)?.kind == .invalidInput
        }
    }

    @Test func requestURLsEncodeEverySegment() throws {
        let base = try Configuration(url: "http://h:1/prefix").baseURL
        #expect(GraphAPIRequest.databaseInfo("sales-2024_a").url(relativeTo: base).absoluteString == "http://h:1/prefix/databases/sales-2024_a")
        // A dot-segment or a slash cannot change the route: they are percent-encoded.
        #expect(GraphAPIRequest.databaseInfo("..").url(relativeTo: base).absoluteString == "http://h:1/prefix/databases/%2E%2E")
        #expect(GraphAPIRequest.databaseInfo(".").url(relativeTo: base).absoluteString == "http://h:1/prefix/databases/%2E")
        #expect(GraphAPIRequest.databaseInfo("bad.id").url(relativeTo: base).absoluteString == "http://h:1/prefix/databases/bad.id")
        #expect(GraphAPIRequest.schema("a/b?c").url(relativeTo: base).absoluteString == "http://h:1/prefix/databases/a%2Fb%3Fc/schema")
        let stream = GraphAPIRequest.streamQuery("g", QueryRequest(cypher: "RETURN 1"), chunkSize: 50)
        #expect(stream.url(relativeTo: base).absoluteString == "http://h:1/prefix/databases/g/query?streaming=true&chunk_size=50")
        #expect(stream.accept == "application/x-ndjson")
        #expect(stream.method == "POST")
    }

    @Test func httpRequestsCarryTheKeyAndTheBody() async throws {
        let client = GraphAPIClient(configuration: try Configuration(url: "http://h:1/prefix", apiKey: "secret"))
        let create = try GraphAPIRequest.createDatabase(CreateDatabaseRequest(graphId: "g", schemaType: .custom, customSchemaDdl: "X"))
        let request = client.httpRequest(for: create)
        #expect(request.method == .POST)
        #expect(request.url == "http://h:1/prefix/databases")
        #expect(request.headers.first(name: "X-Graph-API-Key") == "secret")
        #expect(request.headers.first(name: "Content-Type") == "application/json")
        #expect(request.body != nil)
        let body = try JSONValue(parsing: try #require(create.body))
        #expect(body["graph_id"] == "g")
        #expect(body["schema_type"] == "custom")
        #expect(body["custom_schema_ddl"] == "X")
        #expect(body["read_only"] == nil)  // absent, so the server's default applies
        try await client.shutdown()
        let open = GraphAPIClient(configuration: try Configuration(url: "http://h:1"))
        #expect(open.httpRequest(for: .health).headers.first(name: "X-Graph-API-Key") == nil)
        #expect(open.httpRequest(for: .health).method == .GET)
        try await open.shutdown()
        try await open.shutdown()  // a second shutdown does nothing
    }

    @Test func queryRequestsWaitForTheQueryTimeout() throws {
        let client = GraphAPIClient(configuration: try Configuration(url: "http://h:1", requestTimeoutSeconds: 20))
        #expect(client.queryRequest("g", QueryRequest(cypher: "RETURN 1", timeoutSeconds: 100)).timeoutSeconds == 130)
        #expect(client.queryRequest("g", QueryRequest(cypher: "RETURN 1")).timeoutSeconds == 330)
        #expect(client.queryRequest("g", QueryRequest(cypher: "RETURN 1", timeoutSeconds: 0.1)).timeoutSeconds == 30.1)
    }
}
