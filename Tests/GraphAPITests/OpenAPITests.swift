import Foundation
import GraphAPITesting
import GraphEngine
import GraphJSON
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// The OpenAPI document as the server serves it, and the routes its router has.
enum OpenAPITestSupport {
    /// The routes of the server's router (built for the server's context, not served).
    static func routerRoutes(of server: TestServer) -> Set<OpenAPIDocument.Route> {
        Set(buildRouter(server.context).routes.map { OpenAPIDocument.Route(method: $0.method.rawValue, path: $0.path.description) })
    }

    /// Fetches `/openapi.json`.
    static func document(_ client: TestServer.Client) async throws -> [String: Any] {
        try await client.execute(uri: "/openapi.json", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            return try ObservabilitySupport.json(response)
        }
    }

    /// The routes of an OpenAPI document's `paths`.
    static func routes(of document: [String: Any]) -> Set<OpenAPIDocument.Route> {
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var routes = Set<OpenAPIDocument.Route>()
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            for method in (item as? [String: Any] ?? [:]).keys where methods.contains(method) {
                routes.insert(OpenAPIDocument.Route(method: method, path: path))
            }
        }
        return routes
    }
}

/// Runs `python3` with `arguments`; returns its exit status and its output (stdout and stderr).
func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runCommand("/usr/bin/env", ["python3"] + arguments)
}

/// Runs `executable` with `arguments`; returns its exit status and its output (stdout and stderr).
func runCommand(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite struct OpenAPIDocumentTests {
    @Test func documentListsExactlyTheRoutesOfTheRouter() async throws {
        try await TestServer.withServer { server in
            let routerRoutes = OpenAPITestSupport.routerRoutes(of: server)
            #expect(routerRoutes.count >= 14)
            // Every route of the router is documented, and nothing is documented that the router lacks.
            let undocumented = routerRoutes.subtracting(OpenAPIDocument.routes).sorted().map(\.description)
            let unrouted = OpenAPIDocument.routes.subtracting(routerRoutes).sorted().map(\.description)
            #expect(undocumented == [], "routes without an operation in OpenAPIDocument")
            #expect(unrouted == [], "operations in OpenAPIDocument for routes the router does not have")
            let served = OpenAPITestSupport.routes(of: try await OpenAPITestSupport.document(server.client))
            #expect(served.sorted() == routerRoutes.sorted())
        }
    }

    @Test func servedDocumentOmitsOperationsOfRoutesTheRouterLacks() throws {
        let some: Set<OpenAPIDocument.Route> = [
            .init(method: "get", path: "/health"), .init(method: "post", path: "/databases/{graph_id}/query"),
            .init(method: "get", path: "/databases/{graph_id}"),
        ]
        let document = OpenAPIDocument.document(routes: some)
        let paths = document["paths"]?.pairs ?? []
        #expect(paths.map(\.key) == ["/health", "/databases/{graph_id}", "/databases/{graph_id}/query"])
        #expect(paths.last?.value["parameters"] != nil)  // the path parameter graph_id
        #expect(paths.first?.value["parameters"] == nil)
        #expect(paths[1].value.pairs.map(\.key) == ["parameters", "get"])  // DELETE of the same path left out
        #expect(OpenAPIDocument.routes(of: document) == some)
        #expect(document["components"] == OpenAPIDocument.parsed["components"])
    }

    /// The repository's `openapi/openapi.json`, the source of truth of the contract.
    static let checkedInDocument = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("openapi/openapi.json")

    @Test func servedDocumentIsTheCheckedInFileByteForByte() async throws {
        let file = try Data(contentsOf: Self.checkedInDocument)
        // The embedded copy is stale when openapi/openapi.json changed without
        // scripts/generate-openapi.sh being run.
        #expect(Data(OpenAPIDocument.embeddedJSON.utf8) == file, "run scripts/generate-openapi.sh")
        let sha = try runCommand("/usr/bin/env", ["sha256sum", Self.checkedInDocument.path])
        #expect(sha.output.hasPrefix(OpenAPIDocument.embeddedSHA256 + " "), "run scripts/generate-openapi.sh")
        #expect(OpenAPIDocument.parsed["info"]?["version"]?.stringValue == GraphAPIVersion.string)
        try await TestServer.withServer { server in
            try await server.client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == file)
            }
        }
    }

    @Test func documentValidatesAsOpenAPI31() async throws {
        let file = TestServer.temporaryPath("graph-api-openapi") + ".json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await TestServer.withServer { server in
            try await server.client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                try Data(response.body.readableBytesView).write(to: URL(fileURLWithPath: file))
            }
        }
        let result = try runPython(["-m", "openapi_spec_validator", file])
        #expect(result.status == 0, "openapi-spec-validator: \(result.output)")
        #expect(result.output.contains("OK"))
        let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
    }

    @Test func validatorRejectsABrokenDocument() throws {
        // The validation above can fail: a document missing `info` does not pass.
        var document = OpenAPIDocument.parsed
        if case .object(var object) = document {
            object.members.removeAll { $0.key == "info" }
            document = .object(object)
        }
        let file = TestServer.temporaryPath() + "-broken.json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(document.jsonText.utf8).write(to: URL(fileURLWithPath: file))
        let result = try runPython(["-m", "openapi_spec_validator", file])
        #expect(result.status != 0)
    }

    @Test func everyErrorResponseUsesTheErrorSchemaAndSecurityIsDeclared() throws {
        let document = OpenAPIDocument.parsed
        let schemes = document["components"]?["securitySchemes"]
        #expect(schemes?["ApiKeyHeader"]?["name"]?.stringValue == "X-Graph-API-Key")
        #expect(schemes?["ApiKeyHeader"]?["in"]?.stringValue == "header")
        #expect(schemes?["BearerAuth"]?["scheme"]?.stringValue == "bearer")
        let publicRoutes = AuthMiddleware.publicPaths
        for (path, item) in document["paths"]?.pairs ?? [] {
            for (method, operation) in item.pairs where method != "parameters" {
                let name = "\(method.uppercased()) \(path)"
                let responses = operation["responses"]?.pairs ?? []
                #expect(responses.contains { $0.key.hasPrefix("2") || $0.key.hasPrefix("3") }, "\(name) has no success response")
                #expect(responses.contains { $0.key == "500" }, "\(name) lacks 500")
                let isPublic = operation["security"] == .array([])
                #expect(isPublic == publicRoutes.contains(path), "\(name): security does not match the auth middleware")
                if !isPublic {
                    #expect(responses.contains { $0.key == "401" } && responses.contains { $0.key == "429" }, "\(name) lacks 401/429")
                }
                if path.contains("{graph_id}") {
                    #expect(responses.contains { $0.key == "400" } && responses.contains { $0.key == "404" }, "\(name) lacks 400/404")
                }
                if operation["requestBody"] != nil {
                    #expect(responses.contains { $0.key == "413" } && responses.contains { $0.key == "422" }, "\(name) lacks 413/422")
                }
                for (status, response) in responses where status.hasPrefix("4") || status.hasPrefix("5") {
                    if path == "/health" && status == "503" { continue }  // an unhealthy Health body
                    #expect(
                        response["content"]?["application/json"]?["schema"] == ["$ref": "#/components/schemas/Error"],
                        "\(name) \(status) is not the error schema"
                    )
                }
                #expect(
                    response(of: operation, status: "429")?["headers"]?["Retry-After"] != nil || isPublic, "\(name) 429 lacks Retry-After")
            }
        }
        let query = document["paths"]?["/databases/{graph_id}/query"]?["post"]
        let content = query?["responses"]?["200"]?["content"]?.pairs.map(\.key) ?? []
        #expect(content == ["application/json", "application/x-ndjson", "text/event-stream"])
        let parameters = (query?["parameters"]?.elements ?? []).compactMap { $0["name"]?.stringValue }
        #expect(parameters.contains("streaming") && parameters.contains("chunk_size"))
    }

    private func response(of operation: OpenAPIJSON, status: String) -> OpenAPIJSON? {
        operation["responses"]?[status]
    }
}

@Suite struct OpenAPIDocsPageTests {
    @Test func docsPageIsSelfContainedAndShowsEveryRoute() async throws {
        try await TestServer.withServer(configure: { $0.apiKeys = [APIKey(secret: "docs-key")] }) { server in
            let client = server.client
            let routes = OpenAPITestSupport.routerRoutes(of: server)
            // Public: no key needed for the document and its page.
            _ = try await OpenAPITestSupport.document(client)
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
                let html = String(buffer: response.body)
                #expect(html.hasPrefix("<!DOCTYPE html>"))
                #expect(!html.lowercased().contains("<script"))
                #expect(html.range(of: #"(src|href)\s*=\s*"(https?:)?//"#, options: .regularExpression) == nil)
                #expect(!html.contains("<link"))
                for route in routes {
                    let escapedPath = route.path.replacingOccurrences(of: "&", with: "&amp;")
                    #expect(html.contains("<code>\(escapedPath)</code>"), "\(route) missing from /docs")
                    #expect(html.contains("id=\"op-\(route.method)"), "\(route) has no section")
                }
                // Parameters, bodies, responses and schemas are rendered.
                for fragment in [
                    "chunk_size", "streaming", "application/x-ndjson", "text/event-stream", "QueryRequest", "id=\"schema-Error\"",
                    "<code class=\"prop\">cypher</code> <span class=\"required\">required</span>", "X-Graph-API-Key", "Retry-After",
                ] {
                    #expect(html.contains(fragment), "\(fragment) missing from /docs")
                }
            }
        }
    }

    @Test func docsPageEscapesText() {
        let document: OpenAPIJSON = [
            "openapi": "3.1.0", "info": ["title": "<b>x</b>", "version": "1", "description": "a & `<code>` **bold**"],
            "paths": [:], "components": [:],
        ]
        let html = APIDocsPage.html(for: document)
        #expect(html.contains("&lt;b&gt;x&lt;/b&gt;"))
        #expect(html.contains("a &amp; <code>&lt;code&gt;</code> <strong>bold</strong>"))
        #expect(!html.contains("<b>x</b>"))
    }
}

@Suite struct OpenAPIResponseConformanceTests {
    /// Real answers of the server, each validated (with `jsonschema`) against the schema the
    /// document gives for its route, status and media type.
    @Test func realResponsesMatchTheDocumentedSchemas() async throws {
        // Each case is a JSON object's text: the route/status/media type (or a component name) and
        // the instance (the answer's own JSON text).
        let cases = ObservabilityBox<[String]>([])
        @Sendable func record(_ method: String, _ path: String, _ status: Int, _ media: String, _ instance: String) {
            let text = #"{"method":"\#(method)","path":"\#(path)","status":\#(status),"media":"\#(media)","instance":\#(instance)}"#
            cases.withLock { $0.append(text) }
        }
        @Sendable func component(_ name: String, _ instance: String) {
            cases.withLock { $0.append(#"{"schema":"\#(name)","instance":\#(instance)}"#) }
        }
        @Sendable func json(_ response: TestServer.Response) -> String {
            String(buffer: response.body)
        }
        let ddl = "CREATE NODE TABLE Person(name STRING, age INT64, PRIMARY KEY(name));"
        let createBody = #"{"graph_id": "g1", "schema_type": "custom", "custom_schema_ddl": "\#(ddl)"}"#
        let files = TestServer.temporaryPath("graph-api-openapi")
        let documentFile = files + "-doc.json"
        try await TestServer.withServer { server in
            let client = server.client
            for (path, status) in [("/health", 200), ("/status", 200), ("/info", 200), ("/databases", 200)] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(Int(response.status.code) == status)
                    record("get", path, status, "application/json", json(response))
                }
            }
            try await client.execute(uri: "/databases", method: .post, body: ByteBuffer(string: createBody)) { response in
                #expect(response.status == .created)
                record("post", "/databases", 201, "application/json", json(response))
            }
            try await client.execute(uri: "/databases", method: .post, body: ByteBuffer(string: createBody)) { response in
                #expect(response.status == .conflict)
                record("post", "/databases", 409, "application/json", json(response))
            }
            try await client.execute(uri: "/databases", method: .post, body: ByteBuffer(string: #"{"graph_id": 5}"#)) { response in
                #expect(response.status == .unprocessableContent)
                record("post", "/databases", 422, "application/json", json(response))
            }
            let query =
                #"{"cypher": "UNWIND range(1, 5) AS i CREATE (:Person {name: concat('p', CAST(i AS STRING)), age: i}) RETURN count(*) AS n"}"#
            try await client.execute(uri: "/databases/g1/query", method: .post, body: ByteBuffer(string: query)) { response in
                #expect(response.status == .ok)
                record("post", "/databases/{graph_id}/query", 200, "application/json", json(response))
            }
            let read = #"{"cypher": "MATCH (p:Person) RETURN p.name AS name, p.age AS age ORDER BY age", "parameters": {}}"#
            let ndjson = "/databases/g1/query?streaming=true&chunk_size=2"
            try await client.execute(uri: ndjson, method: .post, body: ByteBuffer(string: read)) { response in
                #expect(response.status == .ok)
                let lines = String(buffer: response.body).split(separator: "\n")
                #expect(lines.count == 3)
                for line in lines {
                    record("post", "/databases/{graph_id}/query", 200, "application/x-ndjson", String(line))
                }
            }
            try await client.execute(
                uri: "/databases/g1/query?chunk_size=4", method: .post, headers: [.accept: "text/event-stream"],
                body: ByteBuffer(string: read)
            ) { response in
                #expect(response.status == .ok)
                var names: [String] = []
                for block in String(buffer: response.body).components(separatedBy: "\n\n") where !block.isEmpty {
                    let lines = block.split(separator: "\n")
                    let event = String(lines.first { $0.hasPrefix("event: ") }?.dropFirst(7) ?? "")
                    let data = String(lines.first { $0.hasPrefix("data: ") }?.dropFirst(6) ?? "")
                    names.append(event)
                    switch event {
                    case "chunk": component("QueryChunk", data)
                    case "complete": component("QueryComplete", data)
                    default: break
                    }
                }
                #expect(names == ["columns", "chunk", "chunk", "complete"])
            }
            let broken = ByteBuffer(string: #"{"cypher": "MATCH (n RETURN n"}"#)
            try await client.execute(uri: "/databases/g1/query", method: .post, body: broken) { response in
                #expect(response.status == .badRequest)
                record("post", "/databases/{graph_id}/query", 400, "application/json", json(response))
            }
            for (path, status) in [
                ("/databases/g1", 200), ("/databases/g1/schema", 200), ("/databases/g1/metrics", 200), ("/databases/none", 404),
                ("/databases/bad.id", 400),
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(Int(response.status.code) == status, "\(path)")
                    let template =
                        path.hasSuffix("/schema")
                        ? "/databases/{graph_id}/schema"
                        : path.hasSuffix("/metrics") ? "/databases/{graph_id}/metrics" : "/databases/{graph_id}"
                    record("get", template, status, "application/json", json(response))
                }
            }
            let change = #"{"ddl": "CREATE NODE TABLE City(name STRING, PRIMARY KEY(name));"}"#
            try await client.execute(uri: "/databases/g1/schema", method: .post, body: ByteBuffer(string: change)) { response in
                #expect(response.status == .ok)
                record("post", "/databases/{graph_id}/schema", 200, "application/json", json(response))
            }
            try await client.execute(uri: "/databases/g1", method: .delete) { response in
                #expect(response.status == .ok)
                record("delete", "/databases/{graph_id}", 200, "application/json", json(response))
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                try Data(response.body.readableBytesView).write(to: URL(fileURLWithPath: documentFile))
            }
        }
        let all = cases.withLock { $0 }
        #expect(all.count >= 20)
        try Self.validate(all, against: documentFile, files: files)
    }

    /// What a key scoped to some graphs gets (no node-wide counts, `403` on `/metrics`) and what
    /// an operator's key gets, validated against the document like the answers above.
    @Test func scopedAndOperatorAnswersMatchTheDocumentedSchemas() async throws {
        let keys = [APIKey(secret: "operator"), APIKey(secret: "tenant", scope: KeyScope(graphs: ["g1"]))]
        let cases = ObservabilityBox<[String]>([])
        let files = TestServer.temporaryPath("graph-api-openapi")
        let documentFile = files + "-scoped-doc.json"
        try await TestServer.withServer(configure: { $0.apiKeys = keys }) { server in
            let client = server.client
            try await client.execute(
                uri: "/databases", method: .post, headers: [AuthMiddleware.keyHeader: "tenant"],
                body: ByteBuffer(string: #"{"graph_id": "g1"}"#)
            ) { #expect($0.status == .created) }
            for (key, path, status) in [
                ("tenant", "/databases", 200), ("tenant", "/info", 200), ("tenant", "/metrics", 403),
                ("operator", "/databases", 200), ("operator", "/info", 200),
            ] {
                try await client.execute(uri: path, method: .get, headers: [AuthMiddleware.keyHeader: key]) { response in
                    #expect(Int(response.status.code) == status, "\(key) \(path)")
                    let instance = String(buffer: response.body)
                    cases.withLock {
                        $0.append(#"{"method":"get","path":"\#(path)","status":\#(status),"media":"application/json","instance":\#(instance)}"#)
                    }
                }
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                try Data(response.body.readableBytesView).write(to: URL(fileURLWithPath: documentFile))
            }
        }
        let all = cases.withLock { $0 }
        #expect(all.count == 5)
        try Self.validate(all, against: documentFile, files: files + "-scoped")
    }

    /// Validates recorded answers (`{"method", "path", "status", "media", "instance"}` objects)
    /// against the OpenAPI document saved at `documentFile`, with ``validator``; the cases and
    /// the script are written beside `files`, and every file is removed afterwards.
    static func validate(
        _ cases: [String], against documentFile: String, files: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let casesFile = files + "-cases.json"
        let scriptFile = files + "-validate.py"
        defer {
            for file in [documentFile, casesFile, scriptFile] { try? FileManager.default.removeItem(atPath: file) }
        }
        try Data(("[" + cases.joined(separator: ",\n") + "]").utf8).write(to: URL(fileURLWithPath: casesFile))
        try Data(validator.utf8).write(to: URL(fileURLWithPath: scriptFile))
        let result = try runPython([scriptFile, documentFile, casesFile])
        #expect(result.status == 0, "\(result.output)", sourceLocation: sourceLocation)
        #expect(result.output.contains("validated \(cases.count)"), sourceLocation: sourceLocation)
    }

    /// Validates each case's instance against the schema of its route/status/media type (or of a
    /// named component) in the document; prints every mismatch.
    static let validator = #"""
        import json, sys
        from jsonschema import Draft202012Validator
        document = json.load(open(sys.argv[1]))
        cases = json.load(open(sys.argv[2]))
        failures = []
        for case in cases:
            try:
                if "schema" in case:
                    schema = {"$ref": "#/components/schemas/" + case["schema"]}
                    where = case["schema"]
                else:
                    where = "%s %s %s %s" % (case["method"].upper(), case["path"], case["status"], case["media"])
                    operation = document["paths"][case["path"]][case["method"]]
                    schema = operation["responses"][str(case["status"])]["content"][case["media"]]["schema"]
            except KeyError as error:
                failures.append("%s: not documented (%s)" % (case, error))
                continue
            root = dict(schema)
            root["components"] = document["components"]
            for error in Draft202012Validator(root).iter_errors(case["instance"]):
                failures.append("%s: %s at %s in %s" % (where, error.message, list(error.absolute_path), json.dumps(case["instance"])[:300]))
        for failure in failures:
            print(failure)
        print("validated %d" % len(cases))
        sys.exit(1 if failures else 0)
        """#
}
