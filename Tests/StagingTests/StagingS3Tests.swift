import Foundation
import Staging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads and writes `s3://` through the pinned httpfs extension against a local S3 server (moto),
/// which `scripts/test.sh` starts and announces in `GRAPH_API_TEST_S3_ENDPOINT`.
@Suite("S3 through httpfs against a local S3 server", .slow)
struct StagingS3Tests {
    static let endpointVariable = "GRAPH_API_TEST_S3_ENDPOINT"

    /// `host:port` of the local S3 server; a test without it fails, it never passes silently.
    func endpoint() throws -> String {
        let value = ProcessInfo.processInfo.environment[Self.endpointVariable]
        return try #require(
            value.flatMap { $0.isEmpty ? nil : $0 },
            "\(Self.endpointVariable) is not set: run the tests through scripts/test.sh, which starts a local S3 server (moto)")
    }

    /// A bucket name no other test uses.
    func uniqueBucket() -> String {
        "staging-\(UUID().uuidString.lowercased().prefix(18))"
    }

    /// Creates a bucket with an (unsigned) HTTP PUT, which moto accepts; DuckDB cannot create buckets.
    func createBucket(_ bucket: String, at endpoint: String) async throws {
        var request = URLRequest(url: try #require(URL(string: "http://\(endpoint)/\(bucket)")))
        request.httpMethod = "PUT"
        let (_, response) = try await URLSession.shared.data(for: request)
        let status = try #require(response as? HTTPURLResponse).statusCode
        #expect(status == 200, "creating bucket \(bucket) answered \(status)")
    }

    /// An instance with httpfs loaded from the pinned file and a secret for the local server.
    func openWithS3(endpoint: String) throws -> (StagingDatabase, StagingConnection) {
        let database = try StagingDatabase.inMemory(configuration: StagingTestSupport.configuration)
        try database.loadExtension(at: StagingTestSupport.httpfsPath())
        try database.createSecret(
            StagingS3Secret(
                keyID: "test-key", secret: "test-secret", region: "us-east-1", endpoint: endpoint,
                urlStyle: .path, useSSL: false))
        return (database, try database.connect())
    }

    @Test func writesAndReadsParquetThroughAGlob() async throws {
        let endpoint = try endpoint()
        let bucket = uniqueBucket()
        try await createBucket(bucket, at: endpoint)
        let (_, connection) = try openWithS3(endpoint: endpoint)

        for (part, range) in [(1, "0, 1000"), (2, "1000, 1500")] {
            let url = StagingSQL.literal("s3://\(bucket)/data/part-\(part).parquet")
            let written = try connection.execute(
                "COPY (SELECT range AS id, 'name-' || range AS name FROM range(\(range))) TO \(url) (FORMAT parquet)")
            #expect(written == (part == 1 ? 1000 : 500))
        }
        let glob = StagingSQL.literal("s3://\(bucket)/data/*.parquet")
        let result = try connection.query(
            "SELECT count(*), sum(id), min(name), max(id) FROM read_parquet(\(glob))")
        #expect(result.rows() == [[.int(1500), .hugeint(1_124_250), .string("name-0"), .int(1499)]])

        // The same files through a parameterised query.
        let count = try connection.scalar(
            "SELECT count(*) FROM read_parquet(\(glob)) WHERE id >= ?", parameters: [.int(1400)])
        #expect(count == .int(100))
    }

    @Test func missingBucketIsAClearError() async throws {
        let endpoint = try endpoint()
        let (_, connection) = try openWithS3(endpoint: endpoint)
        let missing = uniqueBucket()
        for sql in [
            "SELECT * FROM read_parquet('s3://\(missing)/x.parquet')",
            "SELECT * FROM read_parquet('s3://\(missing)/*.parquet')",
        ] {
            let error = stagingError { _ = try connection.query(sql) }
            let kind = try #require(error?.kind, "\(sql) did not fail")
            #expect([.io, .http].contains(kind), "\(sql) → \(String(describing: error))")
            #expect(error?.message.contains(missing) == true, "\(String(describing: error))")
        }
        // The connection stays usable.
        #expect(try connection.scalar("SELECT 1") == .int(1))
    }

    @Test func missingObjectInAnExistingBucketIsAClearError() async throws {
        let endpoint = try endpoint()
        let bucket = uniqueBucket()
        try await createBucket(bucket, at: endpoint)
        let (_, connection) = try openWithS3(endpoint: endpoint)
        let error = stagingError { _ = try connection.query("SELECT * FROM read_parquet('s3://\(bucket)/absent.parquet')") }
        let kind = try #require(error?.kind)
        #expect([.io, .http].contains(kind), "\(String(describing: error))")
        let glob = stagingError { _ = try connection.query("SELECT * FROM read_parquet('s3://\(bucket)/*.parquet')") }
        #expect(glob?.kind == .io, "\(String(describing: glob))")
        #expect(glob?.message.contains("No files found") == true)
    }

    @Test func unreachableEndpointIsAClearError() throws {
        _ = try endpoint()
        // Port 1 on loopback: nothing listens there.
        let (_, connection) = try openWithS3(endpoint: "127.0.0.1:1")
        try connection.execute("SET http_retries = 0")
        let error = stagingError { _ = try connection.query("SELECT * FROM read_parquet('s3://any-bucket/x.parquet')") }
        let kind = try #require(error?.kind)
        #expect([.io, .http].contains(kind), "\(String(describing: error))")
    }

    @Test func secretValuesAreQuoted() async throws {
        let endpoint = try endpoint()
        let database = try StagingDatabase.inMemory(configuration: StagingTestSupport.configuration)
        try database.loadExtension(at: StagingTestSupport.httpfsPath())
        let hostile = "x', TYPE gcs, SECRET 'y"
        try database.createSecret(
            StagingS3Secret(
                name: "we\"ird", keyID: hostile, secret: "it's", region: "us-east-1", endpoint: endpoint,
                urlStyle: .path, useSSL: false, scope: "s3://only-this-bucket"))
        let connection = try database.connect()
        let rows = try connection.query("SELECT name, type, provider, scope FROM duckdb_secrets()").rows()
        #expect(rows == [[.string("we\"ird"), .string("s3"), .string("config"), .list([.string("s3://only-this-bucket")])]])
        try database.dropSecret(named: "we\"ird")
        #expect(try connection.scalar("SELECT count(*) FROM duckdb_secrets()") == .int(0))
    }

    @Test func endpointURLsSplitIntoHostAndTLS() {
        #expect(StagingS3Secret.endpoint(fromURL: "http://127.0.0.1:9000/")! == ("127.0.0.1:9000", false))
        #expect(StagingS3Secret.endpoint(fromURL: "HTTPS://s3.example.com")! == ("s3.example.com", true))
        #expect(StagingS3Secret.endpoint(fromURL: "127.0.0.1:9000") == nil)
        #expect(StagingS3Secret.endpoint(fromURL: "http:///path") == nil)
    }
}
