import ArgumentParser
import Foundation
import GraphAPIClient

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

            Formats: table (default) prints aligned columns, null as NULL, nested values as JSON, a \
            value with line breaks (an EXPLAIN plan) as lines within its column, fitted to the \
            terminal's width (COLUMNS, else the terminal's; not when printing to a file or pipe); \
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

    @OptionGroup var output: QueryOutputOptions

    func validate() throws {
        try ClientInput.validateStatement(argument: cypher, file: file, language: "Cypher")
    }

    func run() async throws {
        try await ClientCommandRunner.run {
            let text = try ClientInput.statement(argument: cypher, file: file, language: "Cypher")
            let request = QueryRequest(
                cypher: text, parameters: try QueryParameter.dictionary(parsing: parameters), timeoutSeconds: output.timeout
            )
            let client = try connection.makeClient()
            switch output.format {
            case .table:
                let result = try await client.query(graphID, request)
                QueryOutput.printTable(
                    columns: result.columns, rows: result.rows, rowCount: result.rowCount, milliseconds: result.executionTimeMilliseconds
                )
                if result.truncated { Self.warnTruncated(result.rowCount) }
            case .json:
                if let rows = QueryOutput.printJSON(try await client.send(client.queryRequest(graphID, request))) {
                    Self.warnTruncated(rows)
                }
            case .ndjson, .csv:
                _ = try await QueryOutput.printStream(
                    client.streamQuery(graphID, request, chunkSize: output.chunkSize), format: output.format
                )
            }
        }
    }

    static func warnTruncated(_ rows: Int) {
        QueryOutput.warnTruncated(rows, hint: "--format ndjson or csv streams every row")
    }
}
