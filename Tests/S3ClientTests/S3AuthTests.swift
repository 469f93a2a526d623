import AsyncHTTPClient
import Foundation
import GraphAPITesting
import NIOCore
import S3Client
import Testing

/// Against the local S3 server that checks signatures (moto with IAM enforced, started by
/// `scripts/test.sh`): the client's signatures are accepted with the right key, and the server's
/// refusals come back as S3 errors with its codes, not retried.
@Suite("S3 client against a signature-checking S3 server", .slow, .authS3)
struct S3AuthTests {
    let bucket = S3TestEnvironment.authBucket

    @Test func theRightKeyWorks() async throws {
        let client = try S3TestEnvironment.authClient()
        // moto's check re-encodes the path and query it decoded, and gets `/` in the query and `+`,
        // `=` and non-ASCII in the path wrong (boto3's signatures of such requests fail there
        // too): the keys and prefix here avoid them, the open server's tests cover them.
        let prefix = "auth-tests-\(UUID().uuidString)"
        let keys = [prefix + "/with space~tilde.txt", prefix + "/second"]
        let body = ByteBuffer(string: "signed")
        for key in keys {
            try await client.putObject(bucket: bucket, key: key, body: body, contentType: "text/plain")
        }
        #expect(try await client.getObjectBytes(bucket: bucket, key: keys[0], upTo: 100) == body)
        #expect(try await client.getObjectBytes(bucket: bucket, key: keys[0], range: 1...3, upTo: 100) == ByteBuffer(string: "ign"))
        #expect(try await client.headObject(bucket: bucket, key: keys[0])?.size == 6)
        var listed: [String] = []
        // One key a page: the continuation token is signed too.
        for try await object in client.listObjects(bucket: bucket, prefix: prefix, pageSize: 1) {
            listed.append(object.key)
        }
        #expect(listed == keys.sorted())
        for key in keys {
            try await client.deleteObject(bucket: bucket, key: key)
        }
        #expect(try await client.headObject(bucket: bucket, key: keys[0]) == nil)
    }

    /// Multipart calls carry query parameters (`uploads`, `partNumber`, `uploadId`) that are signed too.
    @Test func multipartUploadIsSignedRight() async throws {
        let client = try S3TestEnvironment.authClient()
        let key = "auth-tests-\(UUID().uuidString)/multipart"
        let chunks = TestChunks(total: 6 * 1024 * 1024, chunkSize: 1024 * 1024, seed: 11)
        let uploader = try S3MultipartUploader(client: client, bucket: bucket, key: key, partSize: 5 * 1024 * 1024)
        let result = try await uploader.upload(chunks)
        #expect(result.partCount == 2)
        #expect(try await sha256(of: try await client.getObject(bucket: bucket, key: key).body).digest == chunks.sha256)
        try await client.deleteObject(bucket: bucket, key: key)
    }

    @Test func aWrongSecretIsSignatureDoesNotMatchAndNotRetried() async throws {
        let auth = try #require(S3TestEnvironment.auth)
        // Retries allowed, so that a retry would show in the count.
        let client = try S3TestEnvironment.authClient(secret: auth.secret + "x")
        let errors = [
            await s3Error { _ = try await client.getObject(bucket: bucket, key: "anything") },
            await s3Error { try await client.putObject(bucket: bucket, key: "anything", body: ByteBuffer(string: "x")) },
            await s3Error { _ = try await client.listObjectsPage(bucket: bucket) },
        ]
        for error in errors {
            let error = try #require(error)
            #expect(error.code == .signatureDoesNotMatch, "\(error)")
            #expect(error.status == 403)
            #expect(error.attempts == 1)
            #expect(!error.message.isEmpty)
            #expect(error.description.contains("SignatureDoesNotMatch"))
            #expect(error.description.contains("check the secret access key"))
        }
        // HEAD has no body to carry the code: 403 only, still not retried.
        let head = await s3Error { _ = try await client.headObject(bucket: bucket, key: "anything") }
        #expect(head?.status == 403)
        #expect(head?.attempts == 1)
    }

    @Test func anUnknownKeyIsInvalidAccessKeyId() async throws {
        let client = try S3TestEnvironment.authClient(keyID: "AKIAUNKNOWNKEY000000", secret: "whatever")
        let error = await s3Error { _ = try await client.getObject(bucket: bucket, key: "anything") }
        #expect(error?.code == .invalidAccessKeyId, "\(String(describing: error))")
        #expect(error?.status == 403)
        #expect(error?.attempts == 1)
    }

    @Test func anUnknownBucketIsNoSuchBucket() async throws {
        let client = try S3TestEnvironment.authClient()
        let missing = S3TestEnvironment.uniqueBucket()
        let error = await s3Error { _ = try await client.getObject(bucket: missing, key: "anything") }
        #expect(error?.code == .noSuchBucket, "\(String(describing: error))")
        #expect(error?.status == 404)
        #expect(error?.attempts == 1)
        let list = await s3Error { _ = try await client.listObjectsPage(bucket: missing) }
        #expect(list?.code == .noSuchBucket)
    }
}
