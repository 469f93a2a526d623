import ArgumentParser
import Foundation
import GraphAPIClient

/// How `graph-api query` prints a result.
enum QueryOutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned columns for a terminal (one JSON request, at most the server's `max_rows` rows).
    case table
    /// The server's JSON document as it sent it (at most `max_rows` rows).
    case json
    /// One JSON object per row, streamed from the server's NDJSON endpoint (no row cap).
    case ndjson
    /// RFC 4180 CSV with a header, streamed from the server's NDJSON endpoint (no row cap).
    case csv
}

/// `graph-api query`.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a Cypher query on a database (POST /databases/{graph_id}/query).",
        discussion: """
            The Cypher comes from the argument, from --file PATH, or from standard input with '-' \
            (as the argument or as the path).

            --param name=value binds $name (repeatable). The value is read as JSON when it is valid \
            JSON: numbers (42, -1.5, 1e3), true, false, null, lists ([1,2]), objects ({"a":1}) and \
            quoted strings ('"42"'); anything else is a plain string (Alice, 2024-01-02, 007, an \
            empty value). To pass a string that reads as JSON, quote it as JSON: --param 'zip="02139"'.

            Formats: table (default) prints aligned columns, null as NULL, nested values as JSON; \
            json prints the server's JSON answer; both hold at most the server's row limit and warn \
            on standard error when the result was truncated. ndjson (one object per row) and csv \
            (RFC 4180, CRLF line ends, null as an empty field, an empty string as "") stream from \
            the server chunk by chunk with no row limit.

            \(ClientCommandRunner.exitStatusHelp)
            """
    )

    @OptionGroup var connection: ClientConnectionOptions

    @Argument(help: "The graph to query.")
    var graphID: String

    @Argument(help: "The Cypher statement, or '-' to read it from standard input.")
    var cypher: String?

    @Option(name: .long, help: "Read the Cypher from this file ('-' for standard input).")
    var file: String?

    @Option(name: .customLong("param"), help: "A parameter name=value (repeatable; how values are read is described above).")
    var parameters: [String] = []

    @Option(help: "Query timeout in seconds (default: the server's).")
    var timeout: Double?

    @Option(help: "Output format.")
    var format: QueryOutputFormat = .table

    @Option(help: "Rows per streamed chunk for ndjson and csv, 1...10000 (default: the server's).")
    var chunkSize: Int?

    func validate() throws {
        if cypher != nil, file != nil { throw ValidationError("give the Cypher either as an argument or with --file, not both") }
        if cypher == nil, file == nil {
            throw ValidationError("give the Cypher as an argument, with --file PATH, or as '-' to read standard input")
        }
        if let timeout, !(timeout > 0) || !timeout.isFinite { throw ValidationError("--timeout must be a positive number of seconds") }
        if let chunkSize, !(1...10_000).contains(chunkSize) { throw ValidationError("--chunk-size must be within 1...10000") }
        if chunkSize != nil, format == .table || format == .json {
            throw ValidationError("--chunk-size applies only to the streamed formats ndjson and csv")
        }
    }

    func run() async throws {
        try await ClientCommandRunner.run {
            let text: String
            if let file {
                text = try ClientInput.read(path: file, what: "Cypher")
            } else if cypher == "-" {
                text = try ClientInput.read(path: "-", what: "Cypher")
            } else {
                text = cypher ?? ""
            }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw GraphAPIClientError(kind: .invalidInput, detail: "the Cypher is empty")
            }
            let request = QueryRequest(
                cypher: text, parameters: try QueryParameter.dictionary(parsing: parameters), timeoutSeconds: timeout
            )
            let client = try connection.makeClient()
            switch format {
            case .table: try await printTable(client, request)
            case .json: try await printJSON(client, request)
            case .ndjson, .csv: try await printStream(client, request)
            }
        }
    }

    func printTable(_ client: GraphAPIClient, _ request: QueryRequest) async throws {
        let result = try await client.query(graphID, request)
        var output = TableRenderer(columns: result.columns).render(result.rows)
        output += "(\(ClientFormatting.rows(result.rowCount)), \(ClientFormatting.milliseconds(result.executionTimeMilliseconds)))\n"
        StandardStream.output.write(output)
        if result.truncated { warnTruncated(result.rowCount) }
    }

    func printJSON(_ client: GraphAPIClient, _ request: QueryRequest) async throws {
        let body = try await client.send(client.queryRequest(graphID, request))
        ClientFormatting.printRaw(body)
        if let parsed = try? JSONValue(parsing: body), parsed["truncated"] == .bool(true) {
            warnTruncated(parsed["row_count"]?.numberValue?.int64Value.map(Int.init) ?? 0)
        }
    }

    func warnTruncated(_ rows: Int) {
        StandardStream.error.write(
            "Warning: the result was cut at \(ClientFormatting.rows(rows)) (the server's row limit); "
                + "--format ndjson or csv streams every row\n"
        )
    }

    /// Writes each chunk as soon as it arrives: ndjson one object per row, csv a header then records.
    func printStream(_ client: GraphAPIClient, _ request: QueryRequest) async throws {
        var columns: [String]?
        for try await chunk in client.streamQuery(graphID, request, chunkSize: chunkSize) {
            if columns == nil { columns = chunk.columns ?? [] }
            switch format {
            case .csv:
                var output = ""
                if chunk.chunkIndex == 0, let columns, !columns.isEmpty { output += CSVRenderer.header(columns) }
                for row in chunk.data {
                    CSVRenderer.appendRecord(QueryResponse.values(of: row, columns: columns ?? []), to: &output)
                }
                if !output.isEmpty { StandardStream.output.write(output) }
            default:
                var output: [UInt8] = []
                for row in chunk.data {
                    JSONValue.object(row).write(to: &output)
                    output.append(UInt8(ascii: "\n"))
                }
                if !output.isEmpty { StandardStream.output.write(output) }
            }
        }
    }
}
