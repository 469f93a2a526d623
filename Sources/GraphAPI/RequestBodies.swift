import BackupArchive
import GraphAPIContract
import GraphService
import Hummingbird

// Request bodies are decoded into the types generated from the OpenAPI document
// (GraphAPIContract, the same types the client sends), then read into the service core's
// commands here. The core knows nothing of the wire: field names, which fields may be `null` and
// what a body may hold are the document's.

extension Request {
    /// Collects the body and decodes it strictly into its generated type (``RequestBodyDecoder``):
    /// malformed JSON is `400 invalid_json`; not an object, an unknown field, a missing or
    /// mistyped one `422`.
    func decodeStrictly<Body: Decodable>(_ type: Body.Type, context: some RequestContext) async throws -> Body {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        return try RequestBodyDecoder.decode(type, from: buffer)
    }
}

/// The core's value of the same name as a choice the document lists (`enum`). Every choice of
/// the document has one (checked by the tests), so a miss is a programming error.
func choice<Core: RawRepresentable, Wire: RawRepresentable>(_ wire: Wire) -> Core where Core.RawValue == String, Wire.RawValue == String {
    guard let value = Core(rawValue: wire.rawValue) else {
        preconditionFailure("the document's choice '\(wire.rawValue)' has no \(Core.self)")
    }
    return value
}

extension CreateDatabaseRequest {
    init(_ body: Components.Schemas.CreateDatabaseRequest) {
        self.init(
            graphID: body.graphId, schemaType: body.schemaType.map(choice) ?? .entity, repositoryName: body.repositoryName,
            customSchemaDDL: body.customSchemaDdl, readOnly: body.readOnly ?? false
        )
    }
}

extension Components.Schemas.StagingSources {
    var values: [String] {
        switch self {
        case .case1(let one): [one]
        case .case2(let many): many
        }
    }
}

extension S3Credentials {
    init(_ body: Components.Schemas.S3Credentials) {
        self.init(
            accessKeyID: body.awsAccessKeyId, secretAccessKey: body.awsSecretAccessKey, sessionToken: body.awsSessionToken,
            region: body.region, endpointURL: body.endpointUrl
        )
    }
}

extension CreateStagingTableRequest {
    init(_ body: Components.Schemas.CreateStagingTableRequest) {
        self.init(
            tableName: body.tableName, s3Pattern: body.s3Pattern?.values, source: body.source?.values, format: body.format.map(choice),
            fileIDMap: body.fileIdMap?.additionalProperties, s3Credentials: body.s3Credentials.map(S3Credentials.init)
        )
    }
}

extension IngestRequest {
    init(_ body: Components.Schemas.IngestRequest) {
        self.init(
            ignoreErrors: body.ignoreErrors ?? false, rebuild: body.rebuild ?? false, acceptDataLoss: body.acceptDataLoss ?? false,
            fileIDs: body.fileIds
        )
    }
}

extension CopyRequest {
    init(_ body: Components.Schemas.CopyRequest) {
        self.init(
            tableName: body.tableName, s3Pattern: body.s3Pattern?.values, source: body.source?.values, format: body.format.map(choice),
            ignoreErrors: body.ignoreErrors ?? false, s3Credentials: body.s3Credentials.map(S3Credentials.init)
        )
    }
}

extension BackupRequest {
    /// The longest `label` the document allows (`maxLength`).
    static let maxLabelLength = 200

    init(_ body: Components.Schemas.BackupRequest) throws(ServiceError) {
        if let label = body.label, label.count > Self.maxLabelLength {
            throw ServiceError.invalidBody("field 'label' must be at most \(Self.maxLabelLength) characters")
        }
        self.init(
            compression: body.compression.map(choice) ?? .zstd, encryption: body.encryption, destination: body.destination.map(choice),
            includeStaging: body.includeStaging ?? false, label: body.label
        )
    }
}

extension RestoreRequest {
    init(_ body: Components.Schemas.RestoreRequest) {
        self.init(
            backupID: body.backupId, s3Key: body.s3Key, forceOverwrite: body.forceOverwrite ?? false,
            createSystemBackup: body.createSystemBackup ?? true, targetGraphID: body.targetGraphId, pointInTime: body.pointInTime,
            position: body.position.map(Int64.init)
        )
    }
}

extension BackupSchedule {
    init(_ body: Components.Schemas.BackupSchedule) {
        self.init(
            interval: body.interval, cron: body.cron, destination: body.destination.map(choice), compression: body.compression.map(choice),
            encryption: body.encryption, retention: body.retention.map { Retention(keepLast: $0.keepLast, keepDays: $0.keepDays) },
            enabled: body.enabled ?? true
        )
    }
}
