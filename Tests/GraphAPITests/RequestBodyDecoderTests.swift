import BackupArchive
import Foundation
import GraphAPIContract
import NIOCore
import Testing

@testable import GraphAPI
@testable import GraphService

/// The strict request body decoder on its own: what GraphJSON's parser reads of a body, and the
/// status and message each kind of bad body gets.
@Suite struct RequestBodyDecoderTests {
    static func decode(_ json: String) throws -> Components.Schemas.CreateDatabaseRequest {
        try RequestBodyDecoder.decode(Components.Schemas.CreateDatabaseRequest.self, from: ByteBuffer(string: json))
    }

    static func refusal(_ json: String) -> ServiceError? {
        refusal(Components.Schemas.CreateDatabaseRequest.self, json)
    }

    static func refusal<Body: Decodable>(_ type: Body.Type, _ json: String) -> ServiceError? {
        do {
            _ = try RequestBodyDecoder.decode(type, from: ByteBuffer(string: json))
            return nil
        } catch {
            return error as? ServiceError
        }
    }

    /// A field given twice is refused, at any depth. Before, the null check read the last value
    /// (JSONSerialization) and the decoding the first (JSONDecoder): `{"read_only": null,
    /// "read_only": true}` passed the check and created a writable graph.
    @Test(arguments: [
        (#"{"graph_id": "g", "read_only": null, "read_only": true}"#, "read_only"),
        (#"{"graph_id": null, "graph_id": "g"}"#, "graph_id"),
        (#"{"graph_id": "g", "read_only": false, "graph_id": "h"}"#, "graph_id"),
        (#"{"graph_id": "g", "colour": [{"a": 1, "a": 2}]}"#, "colour[0].a"),
    ])
    func aFieldGivenTwiceIs422(json: String, field: String) {
        let refused = Self.refusal(json)
        #expect(refused?.code == .validationError, "\(json)")
        #expect(refused?.message == "field '\(field)' is given more than once", "\(json)")
    }

    @Test(arguments: [
        #"{"graph_id": "g""#,
        #"{"graph_id": "g",}"#,
        #"{"graph_id": "g"} {}"#,
    ])
    func textThatIsNotOneJSONValueIs400InvalidJSON(json: String) {
        let refused = Self.refusal(json)
        #expect(refused?.code == .invalidJSON, "\(json.prefix(40))")
        #expect(refused?.message == "the request body is not valid JSON")
    }

    @Test func nestingDeeperThanTheParserAllowsIs400InvalidJSON() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(Self.refusal(#"{"graph_id": "g", "colour": \#(deep)}"#)?.code == .invalidJSON)
    }

    @Test func invalidUTF8Is400InvalidJSON() {
        var buffer = ByteBuffer(string: #"{"graph_id": ""#)
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString(#""}"#)
        let refused = #expect(throws: ServiceError.self) {
            try RequestBodyDecoder.decode(Components.Schemas.CreateDatabaseRequest.self, from: buffer)
        }
        #expect(refused?.code == .invalidJSON)
    }

    @Test func anEmptyBodyIsAnEmptyObject() {
        #expect(Self.refusal("")?.message == "missing required field 'graph_id'")
    }

    /// What the document says of a body, said back by the decoder: its fields (also of a nested
    /// object), its choices, the alternatives of a `oneOf`, the longest label.
    @Test(arguments: [
        (#"{"graph_id": "g", "colour": 1}"#, "unknown field 'colour'; accepted: graph_id, schema_type, repository_name, custom_schema_ddl, read_only"),
        (#"{"graph_id": "g", "schema_type": "graph"}"#, "field 'schema_type' must be one of 'entity', 'shared', 'custom', not 'graph'"),
        (#"{"graph_id": "g", "schema_type": 3}"#, "field 'schema_type' must be a string"),
        (#"{"graph_id": 7}"#, "field 'graph_id' must be a string"),
        (#"{"graph_id": "g", "read_only": "yes"}"#, "field 'read_only' must be a boolean"),
    ])
    func aBodyTheDocumentDoesNotAllowIsRefusedNamingTheField(json: String, message: String) {
        let refused = Self.refusal(json)
        #expect(refused?.code == .validationError, "\(json)")
        #expect(refused?.message == message, "\(refused?.message ?? "accepted")")
    }

    @Test func nestedObjectsOneOfsAndLabelsAreCheckedAsTheDocumentSays() throws {
        let copy = Components.Schemas.CopyRequest.self
        #expect(
            Self.refusal(copy, #"{"table_name": "T", "source": "a.csv", "s3_credentials": {"aws_access_key_id": "a", "aws_secret_access_key": "b", "token": "c"}}"#)?
                .message == "unknown field 's3_credentials.token'; accepted: aws_access_key_id, aws_secret_access_key, aws_session_token, region, endpoint_url"
        )
        #expect(Self.refusal(copy, #"{"table_name": "T", "source": [1, 2]}"#)?.message == "field 'source' must be a string or a list of strings")
        #expect(Self.refusal(copy, #"{"table_name": "T", "source": "a.csv", "format": "xlsx"}"#)?.message == "field 'format' must be one of 'parquet', 'csv', not 'xlsx'")
        let read = try RequestBodyDecoder.decode(copy, from: ByteBuffer(string: #"{"table_name": "T", "s3_pattern": ["a.csv", "b.csv"], "format": "csv"}"#))
        let command = CopyRequest(read)
        #expect(command.s3Pattern == ["a.csv", "b.csv"] && command.source == nil && command.format == .csv && !command.ignoreErrors)
        let schedule = Components.Schemas.BackupSchedule.self
        #expect(Self.refusal(schedule, #"{"interval": "1h", "retention": {"keep": 3}}"#)?.message == "unknown field 'retention.keep'; accepted: keep_last, keep_days")
        #expect(Self.refusal(schedule, #"{"interval": "1h", "retention": {"keep_last": "3"}}"#)?.message == "field 'retention.keep_last' must be an integer")
        let backup = try RequestBodyDecoder.decode(Components.Schemas.BackupRequest.self, from: ByteBuffer(string: #"{"label": "\#(String(repeating: "x", count: 201))"}"#))
        let long = #expect(throws: ServiceError.self) { try BackupRequest(backup) }
        #expect(long?.message == "field 'label' must be at most 200 characters" && long?.code == .validationError)
        #expect(try BackupRequest(.init(label: String(repeating: "x", count: 200))).compression == .zstd)
    }

    /// Every choice the document lists has the core's value of the same name, and the other way
    /// (the HTTP layer reads one into the other by name).
    @Test func everyDocumentedChoiceHasItsCoreValue() {
        #expect(Components.Schemas.SchemaType.allCases.map { (choice($0) as SchemaType).rawValue } == ["entity", "shared", "custom"])
        #expect(Components.Schemas.StagingFileFormat.allCases.map { (choice($0) as StagingFileFormat).rawValue } == ["parquet", "csv"])
        #expect(Components.Schemas.BackupCompression.allCases.map { (choice($0) as BackupCompression).rawValue } == ["zstd", "gzip", "none"])
        #expect(Components.Schemas.BackupRequest.DestinationPayload.allCases.map { (choice($0) as BackupDestination).rawValue } == ["local", "s3"])
        #expect(Components.Schemas.BackupSchedule.DestinationPayload.allCases.map { (choice($0) as BackupDestination).rawValue } == ["local", "s3"])
        // And the other way, for answers.
        #expect(SchemaType.allCases.map { (choice($0) as Components.Schemas.SchemaType).rawValue } == SchemaType.allCases.map(\.rawValue))
        #expect(NodeType.allCases.map { (choice($0) as Components.Schemas.NodeType).rawValue } == NodeType.allCases.map(\.rawValue))
        #expect(Tier.allCases.map { (choice($0) as Components.Schemas.Tier).rawValue } == Tier.allCases.map(\.rawValue))
    }
}
