import Foundation
import GraphAPIContract
import GraphJSON
import Testing

@testable import GraphAPIClient

/// The staging and copy part of the client library: request bodies, answer parsing, and the typed
/// calls against a live in-process server.
@Suite(.serialized) struct StagingClientTests {
    static func body(_ request: GraphAPIRequest) throws -> JSONValue {
        try JSONValue(parsing: try #require(request.body))
    }

    @Test func requestsHaveTheContractsPathsAndBodies() throws {
        var request = try GraphAPIRequest.createTable(
            "g", CreateStagingTableRequest(tableName: "Person", source: "people.csv", fileIdMap: .init(additionalProperties: ["people.csv": "batch-1"]))
        )
        #expect(request.method == "POST")
        #expect(request.pathSegments == ["databases", "g", "tables"])
        #expect(request.timeoutSeconds == GraphAPIRequest.loadTimeoutSeconds)
        var body = try Self.body(request)
        #expect(body["table_name"] == "Person")
        #expect(body["source"] == "people.csv", "one source is sent as a string")
        #expect(body["file_id_map"] == ["people.csv": "batch-1"])
        #expect(body["s3_pattern"] == nil && body["format"] == nil && body["s3_credentials"] == nil)

        request = try GraphAPIRequest.copy(
            "g",
            CopyRequest(
                tableName: "Person", s3Pattern: ["s3://b/a.parquet", "s3://b/b.parquet"], format: .parquet, ignoreErrors: true,
                s3Credentials: S3Credentials(awsAccessKeyId: "k", awsSecretAccessKey: "s", region: "eu-west-1", endpointUrl: "http://127.0.0.1:9000")
            )
        )
        #expect(request.pathSegments == ["databases", "g", "copy"])
        body = try Self.body(request)
        #expect(body["s3_pattern"] == ["s3://b/a.parquet", "s3://b/b.parquet"], "several sources are sent as a list")
        #expect(body["format"] == "parquet")
        #expect(body["ignore_errors"] == true)
        #expect(
            body["s3_credentials"]?.objectValue.map { Set($0.keys) } == ["aws_access_key_id", "aws_secret_access_key", "region", "endpoint_url"]
        )
        #expect(body["s3_credentials"]?["endpoint_url"] == "http://127.0.0.1:9000")

        request = try GraphAPIRequest.ingestTable("g", table: "Person", IngestRequest())
        #expect(request.pathSegments == ["databases", "g", "tables", "Person", "ingest"])
        #expect(try Self.body(request) == [:])
        request = try GraphAPIRequest.ingestTable("g", table: "Person", IngestRequest(ignoreErrors: true, rebuild: false, fileIds: ["a.csv"]))
        body = try Self.body(request)
        #expect(body.objectValue?.count == 3)
        #expect(body["ignore_errors"] == true && body["rebuild"] == false && body["file_ids"] == ["a.csv"])

        request = GraphAPIRequest.deleteTableFile("g", table: "Person", fileID: "a/b")
        #expect(request.method == "DELETE")
        #expect(request.url(relativeTo: URL(string: "http://h:1")!).absoluteString == "http://h:1/databases/g/tables/Person/files/a%2Fb")

        let query = StagingQueryRequest(sql: "SELECT ?, ?", parameters: ["x", .number(JSONNumber("12345678901234567890")!)], timeoutSeconds: 30)
        #expect(query.jsonBody.jsonText == #"{"sql":"SELECT ?, ?","parameters":["x",12345678901234567890],"timeout":30}"#)
        request = GraphAPIRequest.streamTablesQuery("g", StagingQueryRequest(sql: "SELECT 1"), chunkSize: 5)
        #expect(request.pathSegments == ["databases", "g", "tables", "query"])
        #expect(request.queryItems == [.init(name: "streaming", value: "true"), .init(name: "chunk_size", value: "5")])
        #expect(request.accept == "application/x-ndjson")
        #expect(String(decoding: try #require(request.body), as: UTF8.self) == #"{"sql":"SELECT 1"}"#)
    }

    @Test func answersParse() throws {
        let result = try StagingQueryResponse(
            json: try JSONValue(
                parsing:
                    #"{"columns":["a","b"],"column_types":["HUGEINT","VARCHAR"],"rows":[[170141183460469231731687303715884105727,"x"],[null,"y"]],"row_count":2,"truncated":true,"execution_time_ms":1.5,"database":"g"}"#
            )
        )
        #expect(result.columns == ["a", "b"])
        #expect(result.columnTypes == ["HUGEINT", "VARCHAR"])
        #expect(result.rows.first?.first?.numberValue?.text == "170141183460469231731687303715884105727")
        #expect(result.rows.last == [nil, "y"])
        #expect(result.truncated)
        #expect(throws: GraphAPIClientError.self) { try StagingQueryResponse(json: ["columns": ["a"], "rows": [["a": 1]]]) }

        let chunk = try StagingQueryChunk(
            json: try JSONValue(
                parsing: #"{"chunk_index":0,"columns":["a","b"],"data":[[1,"x"],[2]],"row_count":2,"total_rows_sent":2,"is_last_chunk":true,"truncated":false,"database":"g"}"#
            )
        )
        #expect(chunk.rowValues(columns: ["a", "b"]) == [[1, "x"], [2]])
        #expect(chunk.rowObjects(columns: ["a", "b"]) == [["a": 1, "b": "x"], ["a": 2, "b": nil]])
        #expect(chunk.truncated == false)
        let inBand = #expect(throws: GraphAPIClientError.self) {
            try StagingQueryChunk(json: ["error": "interrupted", "code": "query_timeout", "is_last_chunk": true])
        }
        #expect(inBand == GraphAPIClientError(kind: .streamFailed, status: 200, detail: "interrupted", code: "query_timeout"))

        let table = try GraphAPIClient.contractDecoder().decode(
            [StagingTableInfo].self,
            from: Data(
                #"[{"graph_id":"g","table_name":"T","row_count":3,"size_bytes":262144,"source":["/i/a.csv"],"format":"csv","shape":"table","created_at":"2024-01-02T03:04:05.000Z","columns":[{"name":"a","type":"BIGINT"}]}]"#
                    .utf8
            )
        )
        #expect(table.first?.columns == [.init(name: "a", _type: "BIGINT")])
        #expect(table.first?.shape == .table)
        #expect(table.first?.createdAt.map(ServerTimestamp.text) == "2024-01-02T03:04:05.000Z")
        #expect(table.first?.format == .csv)
        // A source list decodes from a string or a list.
        #expect(try JSONDecoder().decode(StagingSourceList.self, from: Data(#""a.csv""#.utf8)) == ["a.csv"])
        #expect(try JSONDecoder().decode(StagingSourceList.self, from: Data(#"["a.csv","b.csv"]"#.utf8)) == ["a.csv", "b.csv"])
    }

    @Test func typedCallsAgainstALiveServer() async throws {
        try await LiveServer.withServer { server in
            try FixtureFiles.write("SELECT 'p' || range AS identifier, 'n' || range AS name, range AS age FROM range(30)", to: server.importDirectory + "/people.parquet")
            try FixtureFiles.write(text: "identifier,name,age\nq1,Quinn,50\n", to: server.importDirectory + "/more.csv")
            let client = try ClientLiveTests.client(server.url)
            _ = try await client.createDatabase(
                CreateDatabaseRequest(
                    graphId: "g", schemaType: .custom, customSchemaDdl: "CREATE NODE TABLE Person(identifier STRING PRIMARY KEY, name STRING, age INT64);"
                )
            )
            let created = try await client.createTable("g", CreateStagingTableRequest(tableName: "Person", source: "people.parquet"))
            #expect(created.rowCount == 30)
            #expect(created.rowsRead == 30)
            #expect(created.shape == .node)
            #expect(created.format == .parquet)

            let tables = try await client.listTables("g")
            #expect(tables.map(\.tableName) == ["Person"])
            #expect(tables.first?.columns.map(\.name) == ["identifier", "name", "age", "file_id"])
            #expect((tables.first?.sizeBytes ?? 0) > 0)

            let result = try await client.queryTables("g", StagingQueryRequest(sql: "SELECT age FROM Person WHERE age < $1 ORDER BY age", parameters: [3]))
            #expect(result.columns == ["age"])
            #expect(result.rows == [[0], [1], [2]])
            #expect(result.database == "g")
            #expect(!result.truncated)

            var chunks: [StagingQueryChunk] = []
            for try await chunk in client.streamTablesQuery("g", StagingQueryRequest(sql: "SELECT age FROM Person ORDER BY age"), chunkSize: 8) {
                chunks.append(chunk)
            }
            #expect(chunks.map(\.rowCount) == [8, 8, 8, 6])
            #expect(chunks.first?.columns == ["age"])
            #expect(chunks.last?.isLastChunk == true)
            #expect(chunks.last?.truncated == false)
            #expect(chunks.flatMap(\.rows).last == [29])

            let ingested = try await client.ingestTable("g", table: "Person")
            #expect(ingested.rowsIngested == 30)
            #expect(ingested.rowsSkipped == 0)
            #expect(ingested.graphTable == "Person")
            #expect(ingested.rebuilt == false)
            let refused = await #expect(throws: GraphAPIClientError.self) { try await client.ingestTable("g", table: "Person") }
            #expect(refused?.code == "ingest_rows_rejected")
            #expect(refused?.status == 400)

            let accepted = try await client.copy("g", CopyRequest(tableName: "Person", source: ["more.csv"]))
            #expect(accepted.status == "pending")
            #expect(accepted.monitorUrl == "/tasks/\(accepted.taskId)/monitor")
            var last: TaskEvent?
            for try await event in client.monitorTask(accepted.taskId) { last = event }
            #expect(last?.name == "completed")
            #expect(last?.task?.result["rows_copied"] == 1)
            #expect(try await client.query("g", QueryRequest(cypher: "MATCH (p:Person) RETURN count(p) AS n")).rows == [[31]])

            let deletedFile = try await client.deleteTableFile("g", table: "Person", fileID: "people.parquet")
            #expect(deletedFile.rowsDeleted == 30)
            #expect(deletedFile.fileId == "people.parquet")
            let deleted = try await client.deleteTable("g", table: "Person")
            #expect(deleted.status == "deleted")
            #expect(deleted.rowsDeleted == 0)
            let missing = await #expect(throws: GraphAPIClientError.self) { try await client.deleteTable("g", table: "Person") }
            #expect(missing?.isNotFound == true)
            #expect(missing?.code == "table_not_found")
        }
    }
}
