import GraphService
import HTTPTypes
import Hummingbird

/// How a query's rows go back to the client, chosen from `?streaming=`, the `Accept` header and
/// `?chunk_size=`.
enum QueryResponseFormat: Sendable, Equatable {
    /// One JSON document, at most `max_rows` rows.
    case json
    /// One JSON object per line, `chunkSize` rows per line, no row cap.
    case ndjson(chunkSize: Int)
    /// Server-sent events `columns`, `chunk`…, then `complete` (or `error`).
    case serverSentEvents(chunkSize: Int)

    /// Largest `chunk_size` a request may ask for.
    static let maxChunkSize = 10_000

    /// Picks the format of a request.
    ///
    /// `Accept: text/event-stream` selects server-sent events; `?streaming=true` or
    /// `Accept: application/x-ndjson` selects NDJSON; `?streaming=false` forces one JSON document.
    ///
    /// - Throws: `400` for a `streaming` that is not a boolean or a `chunk_size` outside
    ///   1...10,000.
    init(request: Request, defaultChunkSize: Int) throws(APIError) {
        let query = request.uri.queryParameters
        var streaming: Bool?
        if let raw = query["streaming"] {
            switch raw.lowercased() {
            case "true", "1", "yes": streaming = true
            case "false", "0", "no": streaming = false
            default:
                throw APIError(.invalidStreaming, "invalid streaming '\(raw.prefix(32))': expected true or false")
            }
        }
        var chunkSize = defaultChunkSize
        if let raw = query["chunk_size"] {
            guard let value = Int(String(raw)), (1...Self.maxChunkSize).contains(value) else {
                throw APIError(.invalidChunkSize, "invalid chunk_size '\(raw.prefix(32))': expected a whole number in 1...\(Self.maxChunkSize)")
            }
            chunkSize = value
        }
        let accept = request.headers[values: .accept].joined(separator: ",").lowercased()
        if streaming == false {
            self = .json
        } else if accept.contains("text/event-stream") {
            self = .serverSentEvents(chunkSize: chunkSize)
        } else if streaming == true || accept.contains("application/x-ndjson") {
            self = .ndjson(chunkSize: chunkSize)
        } else {
            self = .json
        }
    }

    /// The `Content-Type` of the response.
    var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .ndjson: "application/x-ndjson; charset=utf-8"
        case .serverSentEvents: "text/event-stream; charset=utf-8"
        }
    }
}
