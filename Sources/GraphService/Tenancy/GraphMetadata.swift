import Foundation

/// Which schema a graph was created with.
public enum SchemaType: String, Codable, Sendable, CaseIterable {
    /// The `entity` schema of the original service.
    case entity
    /// A shared repository schema (`repository_name` picks it).
    case shared
    /// The caller's own DDL.
    case custom

    public init(from decoder: any Decoder) throws {
        self = try decodeChoice(from: decoder)
    }
}

/// Decodes one of an enumeration's raw values; anything else is a `dataCorrupted` error whose
/// description names the accepted values (shown in `422` answers), not Swift's own wording.
func decodeChoice<Choice: RawRepresentable & CaseIterable>(from decoder: any Decoder) throws -> Choice where Choice.RawValue == String {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    if let value = Choice(rawValue: text) { return value }
    let allowed = Choice.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be one of \(allowed), not '\(text.prefix(64))'")
}

/// What the server keeps about a graph besides the engine files: `metadata.json` in the graph's
/// folder. Written atomically (temporary file, then rename).
public struct GraphMetadata: Codable, Sendable, Equatable {
    /// The graph id.
    public var graphID: String
    /// The schema it was created with.
    public var schemaType: SchemaType
    /// For shared repositories, their name.
    public var repositoryName: String?
    /// Whether the graph refuses writes.
    public var readOnly: Bool
    /// When the graph was created.
    public var createdAt: Date
    /// When a request last used the graph (updated when it is closed, and at most once a minute).
    public var lastAccessed: Date?
    /// Unique to this graph among every graph that ever had its id: what is cached about a
    /// graph (its staging store) is never mistaken for a deleted graph's of the same id. Absent
    /// from graphs created before it existed (``identity`` then uses the creation time).
    public var incarnation: String?

    enum CodingKeys: String, CodingKey {
        case graphID = "graph_id"
        case schemaType = "schema_type"
        case repositoryName = "repository_name"
        case readOnly = "read_only"
        case createdAt = "created_at"
        case lastAccessed = "last_accessed"
        case incarnation
    }

    /// Creates metadata for a new graph.
    public init(graphID: String, schemaType: SchemaType, repositoryName: String?, readOnly: Bool, createdAt: Date = Date()) {
        self.graphID = graphID
        self.schemaType = schemaType
        self.repositoryName = repositoryName
        self.readOnly = readOnly
        self.createdAt = createdAt
        self.lastAccessed = nil
        self.incarnation = UUID().uuidString.lowercased()
    }

    /// What tells this graph from any other that had its id.
    var identity: String { incarnation ?? ISO8601Timestamp.string(from: createdAt) }

    static let fileName = "metadata.json"

    /// Reads `metadata.json` from `folder`.
    static func read(from folder: String) throws -> GraphMetadata {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + fileName))
        return try JSONDecoder.iso8601.decode(GraphMetadata.self, from: data)
    }

    /// Writes `metadata.json` into `folder` atomically.
    func write(to folder: String) throws {
        let data = try JSONEncoder.iso8601.encode(self)
        try data.write(to: URL(fileURLWithPath: folder + "/" + Self.fileName), options: .atomic)
    }
}

extension JSONEncoder {
    /// An encoder writing ISO-8601 UTC timestamps with milliseconds.
    package static var iso8601: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Timestamp.string(from: date))
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    /// A decoder reading ISO-8601 timestamps with or without fractional seconds.
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601Timestamp.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO-8601 timestamp: \(text)"))
            }
            return date
        }
        return decoder
    }
}

/// ISO-8601 UTC timestamps as the contract writes them: `2026-01-04T09:00:00.123Z`.
enum ISO8601Timestamp {
    static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    static func date(from text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text))
            ?? (try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text))
    }
}
