import GraphEngine
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
    let server: ServerContext
    let admission: AdmissionController

    /// Creates the controller with admission limits from the server's configuration.
    init(server: ServerContext) {
        self.init(server: server, admission: AdmissionController(limits: AdmissionController.limits(for: server.configuration)))
    }

    /// Creates the controller with its own admission controller.
    init(server: ServerContext, admission: AdmissionController) {
        self.server = server
        self.admission = admission
    }

    /// Adds `POST query` to the graph group.
    func addRoutes(to group: RouterGroup<GraphRequestContext>) {
        group.post("query") { request, context in
            try await self.query(request, context: context)
        }
    }

    var configuration: ServerConfiguration { server.configuration }
    var executor: EngineExecutor { server.registry.executor }

    /// What the first engine call on the connection found.
    private enum Prepared: Sendable {
        /// A read-only statement, executed; its whole JSON answer and its row count.
        case document(ByteBuffer, rows: Int)
        /// A read-only statement, executed; its rows to stream.
        case stream(QueryResult, QueryResultJSONWriter)
        /// A statement that writes, prepared, not executed.
        case write(PreparedStatement)
        /// A statement that writes, which could not even be prepared while another writer ran.
        case writeNotPrepared
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
            throw APIError.badRequest(
                "field \"database\" ('\(database.prefix(64))') does not match the graph id of the path ('\(graphID)')",
                code: "database_mismatch"
            )
        }
        guard input.cypher.contains(where: { !$0.isWhitespace }) else {
            throw APIError.badRequest("the statement is empty", code: "cypher_syntax_error")
        }
        let timeoutSeconds = min(input.timeoutSeconds ?? configuration.defaultQueryTimeoutSeconds, configuration.maxQueryTimeoutSeconds)
        let timeoutMilliseconds = UInt64(max(1, (timeoutSeconds * 1000).rounded()))

        let ticket: AdmissionTicket
        let lease: ConnectionLease
        do {
            ticket = try admission.admit()
        } catch {
            record(failure: error, graph: graphID)
            throw error
        }
        do {
            lease = try await ConnectionLease.acquire(from: server.registry, graph: graphID)
        } catch {
            ticket.release()
            record(failure: error, graph: graphID)
            throw error
        }
        ticket.markRunning()
        let connection = lease.connection
        let graph = lease.graph
        // Until the first byte is sent nothing reads from the client's connection: watch it, so a
        // read whose client went away stops instead of running on for no one.
        let clientGone = CancellationFlag()
        let watch = ClientConnection.current?.onClose {
            clientGone.cancel()
            connection.interrupt(for: clientGone)
        }
        defer { watch?.cancel() }

        do {
            let cypher = input.cypher
            let parameters = input.parameters
            let maxRows = configuration.maxRows
            let streaming = format != .json
            let database = graphID.rawValue
            let prepared: Prepared = try await executor.run(on: connection, cancellation: clientGone) { connection in
                try connection.setQueryTimeout(milliseconds: timeoutMilliseconds)
                let statement: PreparedStatement
                do {
                    // The engine's parse decides what may run, before anything is bound.
                    statement = try connection.prepareCached(cypher, check: StatementPolicy.admit)
                } catch let error as EngineError where error.kind == .writeConflict {
                    return .writeNotPrepared
                }
                guard statement.isReadOnly, !StatementPolicy.isMaintenance(statement.facts) else { return .write(statement) }
                let result = try connection.execute(statement, parameters: parameters)
                if streaming { return .stream(result, try QueryResultJSONWriter(result, shape: .objects)) }
                let (body, rows) = try QueryResultEncoding.document(result, maxRows: maxRows, database: database, started: started)
                return .document(body, rows: rows)
            }

            let outcome: Prepared
            switch prepared {
            case .document, .stream:
                outcome = prepared
            case .write, .writeNotPrepared:
                try checkWritesAllowed(graph: graph, context: context)
                // A write is not stopped once it runs (it completes or times out), but one whose
                // client has already gone is not started.
                if clientGone.isCancelled { throw EngineError(.interrupted, "The client went away before the write started.") }
                context.logger.notice(
                    "audit: write statement",
                    metadata: [
                        "audit": "write", "graph_id": "\(graphID)", "client": "\(context.clientAddress)",
                        "statement": "\(cypher.prefix(200))",
                    ]
                )
                let executor = self.executor
                let result: QueryResult = try await Self.withDeadline(seconds: timeoutSeconds) {
                    if case .write(let statement) = prepared {
                        return try await connection.run(
                            statement, parameters: parameters, on: executor,
                            holdingWriteGate: StatementPolicy.isMaintenance(statement.facts)
                        )
                    }
                    return try await connection.run(cypher, parameters: parameters, on: executor, check: StatementPolicy.admit)
                }
                outcome = try await executor.run(on: connection) { _ in
                    if streaming { return .stream(result, try QueryResultJSONWriter(result, shape: .objects)) }
                    let (body, rows) = try QueryResultEncoding.document(result, maxRows: maxRows, database: database, started: started)
                    return .document(body, rows: rows)
                }
            }
            recordQuery(graphID)

            switch outcome {
            case .document(let buffer, let rows):
                lease.release()
                ticket.release()
                server.metrics.queryCompleted(graph: graphID, seconds: QueryResultEncoding.milliseconds(since: started) / 1000, rows: rows)
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
                    executor: executor, graphID: graphID, started: started, metrics: server.metrics, logger: context.logger
                )
                var headers: HTTPFields = [.contentType: format.contentType]
                if framing == .serverSentEvents { headers[.cacheControl] = "no-cache" }
                return Response(status: .ok, headers: headers, body: stream.body)
            case .write, .writeNotPrepared:
                preconditionFailure("a write is executed before answering")
            }
        } catch {
            lease.release()
            ticket.release()
            if clientGone.isCancelled {
                // No one is left to answer; this is not a failure of the query.
                context.logger.debug("query: client gone before the answer", metadata: ["graph_id": "\(graphID)"])
                server.metrics.queryAbandoned()
                throw APIError.clientClosedRequest
            }
            let answer: any Error
            if let engine = error as? EngineError, engine.kind == .readOnly, server.registry.settings.readOnlyNode {
                // A database opened read-only refuses to even prepare a write.
                answer = APIError(.forbidden, code: "read_only_node", detail: "this node is read-only: the statement writes")
            } else {
                answer = Self.apiError(for: error, timeoutSeconds: timeoutSeconds)
            }
            record(failure: answer, graph: graphID)
            throw answer
        }
    }

    /// Throws `403` when a statement that writes may not run: on a read-only node or graph, or
    /// with a read-only key.
    private func checkWritesAllowed(graph: OpenGraphHandle, context: GraphRequestContext) throws(APIError) {
        if server.registry.settings.readOnlyNode {
            throw APIError(.forbidden, code: "read_only_node", detail: "this node is read-only: the statement writes")
        }
        if graph.isReadOnly {
            throw APIError(.forbidden, code: "read_only_database", detail: "database '\(graph.id)' is read-only: the statement writes")
        }
        if context.scope.readOnly {
            throw APIError(.forbidden, code: "read_only_key", detail: "this API key is read-only: the statement writes")
        }
    }

    /// Records a query that failed before its first byte: its error code, and admission refusals
    /// (`503`) by reason. A client that went away is not a failure of the query.
    private func record(failure error: any Error, graph: GraphID) {
        guard let error = error as? APIError else { return }
        server.metrics.queryFailed(graph: graph, code: error.code)
        if Self.admissionCodes.contains(error.code) { server.metrics.admissionRejected(reason: error.code) }
    }

    /// The `503` codes that are admission refusals (full queue, memory, busy database), as
    /// opposed to other `503`s such as a database closed under the query.
    static let admissionCodes: Set<String> = ["query_queue_full", "memory_pressure", "database_busy", "too_many_open_databases"]

    /// Counts a query for `GET /databases/{graph_id}/metrics` (`query_count`).
    private func recordQuery(_ id: GraphID) {
        server.activity.recordQuery(on: id)
    }

    /// The HTTP error for what a query threw.
    static func apiError(for error: any Error, timeoutSeconds: Double) -> any Error {
        switch error {
        case let error as APIError: error
        case let error as EngineError: APIError.engine(error, timeoutSeconds: timeoutSeconds)
        case is DeadlineExceeded: APIError.queryTimeout(seconds: timeoutSeconds)
        default: error
        }
    }

    /// The query's deadline passed (while waiting for the write gate, or running).
    struct DeadlineExceeded: Error {}

    /// Runs `body`, cancelling it (which interrupts the engine, or leaves the writers' queue) when
    /// `seconds` pass first, then throws ``DeadlineExceeded``. A body that completes while being
    /// cancelled still counts: its work is done.
    static func withDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded())))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            if let late = try? await group.next(), let value = late { return value }
            throw DeadlineExceeded()
        }
    }
}
