import GraphEngine
import GraphService
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `POST /databases/{graph_id}/query`: runs one Cypher statement with bound parameters and
/// answers with one JSON document, NDJSON lines or server-sent events.
///
/// Everything that can be known before the first byte is an ordinary HTTP error: a bad body
/// (`422`/`400`), a `database` field naming another graph (`400`), an unknown graph (`404`),
/// admission (`503` + `Retry-After`), a statement that fails to parse or bind (`400`), a write on
/// a read-only graph, node or key (`403`, decided by the engine's classification of the prepared
/// statement, before it runs), and a timeout (`408`: the engine materialises a result before
/// its first row, so a query that runs too long is stopped before anything is sent). Writes
/// queue on the database's write gate instead of failing, and each one leaves an audit log line.
struct QueryController: Sendable {
    let queries: QueryService
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let admission: AdmissionController

    /// Creates the controller with admission limits from the server's configuration.
    init(queries: QueryService, configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.init(
            queries: queries, configuration: configuration, metrics: metrics,
            admission: AdmissionController(limits: AdmissionController.limits(for: configuration))
        )
    }

    /// Creates the controller with its own admission controller.
    init(queries: QueryService, configuration: ServerConfiguration, metrics: ServerMetrics, admission: AdmissionController) {
        self.queries = queries
        self.configuration = configuration
        self.metrics = metrics
        self.admission = admission
    }

    /// Adds `POST query` to the graph group.
    func addRoutes(to group: RouterGroup<GraphRequestContext>) {
        group.post("query") { request, context in
            try await self.query(request, context: context)
        }
    }

    var executor: EngineExecutor { queries.registry.executor }

    /// How a result is answered, decided on the engine's thread.
    private enum Encoded: Sendable {
        /// The whole JSON answer and its row count.
        case document(ByteBuffer, rows: Int)
        /// The rows to stream.
        case stream(QueryResult, QueryResultJSONWriter)
    }

    /// Handles one query request.
    func query(_ request: Request, context: GraphRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let graphID = context.graphID
        let format = try QueryResponseFormat(
            request: request, defaultChunkSize: configuration.chunkSize ?? configuration.tier.preset.chunkSize
        )
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let input = try QueryRequest(parsing: body)
        if let database = input.database, database != graphID.rawValue {
            throw ServiceError(
                .databaseMismatch, "field \"database\" ('\(database.prefix(64))') does not match the graph id of the path ('\(graphID)')"
            )
        }
        guard input.cypher.contains(where: { !$0.isWhitespace }) else {
            throw ServiceError(.cypherSyntaxError, "the statement is empty")
        }
        let timeoutSeconds = min(input.timeoutSeconds ?? configuration.defaultQueryTimeoutSeconds, configuration.maxQueryTimeoutSeconds)

        let ticket: AdmissionTicket
        let lease: ConnectionLease
        do {
            ticket = try admission.admit()
        } catch {
            record(failure: error, graph: graphID)
            throw error
        }
        do {
            lease = try await queries.lease(graphID)
        } catch {
            ticket.release()
            record(failure: error, graph: graphID)
            throw error
        }
        ticket.markRunning()
        let connection = lease.connection
        // Until the first byte is sent nothing reads from the client's connection: watch it, so a
        // read whose client went away stops instead of running on for no one.
        let clientGone = CancellationFlag()
        let watch = ClientConnection.current?.onClose {
            clientGone.cancel()
            connection.interrupt(for: clientGone)
        }
        defer { watch?.cancel() }

        do {
            let maxRows = configuration.maxRows
            let streaming = format != .json
            let database = graphID.rawValue
            let (scope, logger, client, cypher) = (context.scope, context.logger, context.clientAddress, input.cypher)
            let outcome: Encoded = try await queries.execute(
                input, on: lease, timeoutSeconds: timeoutSeconds, cancellation: clientGone,
                beforeWrite: { graph in
                    if scope.readOnly { throw APIError(.readOnlyKey, "this API key is read-only: the statement writes") }
                    logger.notice(
                        "audit: write statement",
                        metadata: [
                            "audit": "write", "graph_id": "\(graph.id)", "client": "\(client)", "statement": "\(cypher.prefix(200))",
                        ]
                    )
                },
                encode: { result in
                    if streaming { return .stream(result, try QueryResultJSONWriter(result, shape: .objects)) }
                    let (body, rows) = try QueryResultEncoding.document(result, maxRows: maxRows, database: database, started: started)
                    return .document(body, rows: rows)
                }
            )

            switch outcome {
            case .document(let buffer, let rows):
                lease.release()
                ticket.release()
                metrics.queryCompleted(graph: graphID, seconds: QueryResultEncoding.milliseconds(since: started) / 1000, rows: rows)
                return Response(status: .ok, headers: [.contentType: format.contentType], body: ResponseBody(byteBuffer: buffer))
            case .stream(let result, let writer):
                let framing: QueryStream.Framing
                let chunkSize: Int
                switch format {
                case .ndjson(let size):
                    (framing, chunkSize) = (.ndjson, size)
                case .serverSentEvents(let size):
                    (framing, chunkSize) = (.serverSentEvents, size)
                case .json:
                    preconditionFailure("a JSON answer is never streamed")
                }
                let stream = QueryStream(
                    framing: framing, chunkSize: chunkSize, result: result, writer: writer, lease: lease, ticket: ticket,
                    executor: executor, graphID: graphID, started: started, metrics: metrics, logger: context.logger
                )
                var headers: HTTPFields = [.contentType: format.contentType]
                if framing == .serverSentEvents { headers[.cacheControl] = "no-cache" }
                return Response(status: .ok, headers: headers, body: stream.body)
            }
        } catch {
            lease.release()
            ticket.release()
            if clientGone.isCancelled {
                // No one is left to answer; this is not a failure of the query.
                context.logger.debug("query: client gone before the answer", metadata: ["graph_id": "\(graphID)"])
                metrics.queryAbandoned()
                throw APIError.clientClosedRequest
            }
            guard let answer = APIError.answering(error) else { throw error }
            record(failure: answer, graph: graphID)
            throw answer
        }
    }

    /// Records a query that failed before its first byte: its error code, and admission refusals
    /// (`503`) by reason. A client that went away is not a failure of the query.
    private func record(failure error: any Error, graph: GraphID) {
        guard let error = APIError.answering(error) else { return }
        metrics.queryFailed(graph: graph, code: error.code)
        if Self.admissionCodes.contains(error.code) { metrics.admissionRejected(reason: error.code) }
    }

    /// The `503` codes that are admission refusals (full queue, memory, busy database), as
    /// opposed to other `503`s such as a database closed under the query.
    static let admissionCodes: Set<String> = [
        APIError.Code.queryQueueFull.rawValue, APIError.Code.memoryPressure.rawValue, ServiceError.Code.databaseBusy.rawValue,
        ServiceError.Code.tooManyOpenDatabases.rawValue,
    ]
}
