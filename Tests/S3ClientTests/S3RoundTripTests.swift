import AsyncHTTPClient
import Crypto
import Foundation
import GraphAPITesting
import NIOCore
import S3Client
import Testing

/// Every operation against the local S3 server that accepts any key (moto, started by
/// `scripts/test.sh`), each test in a bucket of its own.
@Suite("S3 client against a local S3 server", .slow, .openS3)
struct S3RoundTripTests {
    let client: S3Client
    let bucket = S3TestEnvironment.uniqueBucket()

    init() throws {
        client = try S3TestEnvironment.openClient()
    }

    @Test func putGetHeadDelete() async throws {
        try await client.createBucket(bucket)
        // Creating it again is fine.
        try await client.createBucket(bucket)
        let body = ByteBuffer(string: "hello, graph backups\n")
        let eTag = try await client.putObject(bucket: bucket, key: "dir/hello.txt", body: body, contentType: "text/plain")
        #expect(eTag == "\"\(Insecure.MD5.hash(data: Array(body.readableBytesView)).map { String(format: "%02x", $0) }.joined())\"")

        let head = try #require(try await client.headObject(bucket: bucket, key: "dir/hello.txt"))
        #expect(head.size == Int64(body.readableBytes))
        #expect(head.eTag == eTag)
        #expect(head.contentType == "text/plain")
        let lastModified = try #require(head.lastModified)
        #expect(abs(lastModified.timeIntervalSinceNow) < 300)

        let object = try await client.getObject(bucket: bucket, key: "dir/hello.txt")
        #expect(object.contentLength == Int64(body.readableBytes))
        #expect(object.objectSize == Int64(body.readableBytes))
        #expect(object.eTag == eTag)
        #expect(object.range == nil)
        #expect(try await object.body.collect(upTo: 1024) == body)
        #expect(try await client.getObjectBytes(bucket: bucket, key: "dir/hello.txt", upTo: 1024) == body)

        // A limit below the size fails before the body is read, and does not pass silently.
        await #expect(throws: S3ClientError.self) {
            try await client.getObjectBytes(bucket: bucket, key: "dir/hello.txt", upTo: 5)
        }
        let streamed = try await client.getObject(bucket: bucket, key: "dir/hello.txt")
        await #expect(throws: S3ClientError.self) { try await streamed.body.collect(upTo: 5) }

        try await client.deleteObject(bucket: bucket, key: "dir/hello.txt")
        #expect(try await client.headObject(bucket: bucket, key: "dir/hello.txt") == nil)
        // Deleting what is gone is not an error.
        try await client.deleteObject(bucket: bucket, key: "dir/hello.txt")
        let missing = await s3Error { _ = try await client.getObject(bucket: bucket, key: "dir/hello.txt") }
        #expect(missing?.code == .noSuchKey)
        #expect(missing?.status == 404)
        #expect(missing?.attempts == 1)
    }

    @Test func emptyObject() async throws {
        try await client.createBucket(bucket)
        try await client.putObject(bucket: bucket, key: "empty", body: ByteBuffer())
        #expect(try await client.headObject(bucket: bucket, key: "empty")?.size == 0)
        let object = try await client.getObject(bucket: bucket, key: "empty")
        #expect(object.contentLength == 0)
        #expect(try await object.body.collect(upTo: 10).readableBytes == 0)
    }

    @Test func rangedReadsReturnExactlyTheBytesAskedFor() async throws {
        try await client.createBucket(bucket)
        var generator = TestBytes(seed: 7)
        let body = generator.next(100_000)
        try await client.putObject(bucket: bucket, key: "blob", body: body)

        for range: ClosedRange<Int64> in [0...0, 0...9, 1000...1999, 99_990...99_999, 12_345...67_890] {
            let object = try await client.getObject(bucket: bucket, key: "blob", range: range)
            #expect(object.range == range)
            #expect(object.contentLength == Int64(range.count))
            #expect(object.objectSize == 100_000)
            let bytes = try await object.body.collect(upTo: 100_000)
            #expect(bytes == body.getSlice(at: Int(range.lowerBound), length: range.count)!, "\(range)")
            let collected = try await client.getObjectBytes(bucket: bucket, key: "blob", range: range, upTo: 100_000)
            #expect(collected == bytes)
        }
        // A range past the end is cut at the end.
        let tail = try await client.getObject(bucket: bucket, key: "blob", range: 99_995...200_000)
        #expect(tail.range == 99_995...99_999)
        #expect(try await tail.body.collect(upTo: 100) == body.getSlice(at: 99_995, length: 5)!)
        // One that starts past the end is S3's InvalidRange.
        let error = await s3Error { _ = try await client.getObject(bucket: bucket, key: "blob", range: 100_000...100_010) }
        #expect(error?.code == .invalidRange)
        #expect(error?.status == 416)
    }

    @Test func listingPagesThroughContinuationTokens() async throws {
        try await client.createBucket(bucket)
        let keys = (0..<25).map { "pages/key-\(String(format: "%03d", $0))" }
        for (index, key) in keys.enumerated() {
            try await client.putObject(bucket: bucket, key: key, body: ByteBuffer(repeating: 0x61, count: index))
        }
        try await client.putObject(bucket: bucket, key: "other/key", body: ByteBuffer(string: "x"))

        let first = try await client.listObjectsPage(bucket: bucket, prefix: "pages/", maxKeys: 10)
        #expect(first.objects.map(\.key) == Array(keys[0..<10]))
        let token = try #require(first.nextContinuationToken)
        let second = try await client.listObjectsPage(bucket: bucket, prefix: "pages/", continuationToken: token, maxKeys: 10)
        #expect(second.objects.map(\.key) == Array(keys[10..<20]))

        var listed: [S3ObjectSummary] = []
        for try await object in client.listObjects(bucket: bucket, prefix: "pages/", pageSize: 10) {
            listed.append(object)
        }
        #expect(listed.map(\.key) == keys)
        #expect(listed.map(\.size) == (0..<25).map { Int64($0) })
        #expect(listed.allSatisfy { $0.eTag?.hasPrefix("\"") == true && $0.lastModified != nil })

        var all: [String] = []
        for try await object in client.listObjects(bucket: bucket, pageSize: 7) { all.append(object.key) }
        #expect(all == ["other/key"] + keys)

        var none = 0
        for try await _ in client.listObjects(bucket: bucket, prefix: "nothing/") { none += 1 }
        #expect(none == 0)

        await #expect(throws: S3ClientError.self) { try await client.listObjectsPage(bucket: bucket, maxKeys: 1001) }
    }

    /// Spaces, `+`, `%`, `~`, `=`, `&`, `?`, `#`, non-ASCII and a doubled slash survive the path,
    /// the signature and the listing's URL encoding.
    @Test func keysThatNeedEncodingRoundTrip() async throws {
        try await client.createBucket(bucket)
        let keys = [
            "with space/and+plus.txt", "ünïcödé/日本語/😀", "percent%20literal", "tilde~equals=amp&query?hash#",
            "double//slash", "trailing space ", "quote\"apostrophe'<lt>",
        ]
        for (index, key) in keys.enumerated() {
            try await client.putObject(bucket: bucket, key: key, body: ByteBuffer(string: "object \(index)"))
        }
        for (index, key) in keys.enumerated() {
            #expect(try await client.getObjectBytes(bucket: bucket, key: key, upTo: 100) == ByteBuffer(string: "object \(index)"), "\(key)")
            #expect(try await client.headObject(bucket: bucket, key: key)?.size == Int64("object \(index)".utf8.count), "\(key)")
        }
        var listed: [String] = []
        for try await object in client.listObjects(bucket: bucket) { listed.append(object.key) }
        #expect(Set(listed) == Set(keys))
        #expect(listed == listed.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })

        var underPrefix: [String] = []
        for try await object in client.listObjects(bucket: bucket, prefix: "with space/and+") { underPrefix.append(object.key) }
        #expect(underPrefix == ["with space/and+plus.txt"])

        for key in keys { try await client.deleteObject(bucket: bucket, key: key) }
        var left = 0
        for try await _ in client.listObjects(bucket: bucket) { left += 1 }
        #expect(left == 0)
    }

    @Test func missingBucket() async throws {
        let missing = S3TestEnvironment.uniqueBucket()
        let errors = [
            await s3Error { _ = try await client.getObject(bucket: missing, key: "x") },
            await s3Error { try await client.putObject(bucket: missing, key: "x", body: ByteBuffer(string: "x")) },
            await s3Error { _ = try await client.listObjectsPage(bucket: missing) },
            await s3Error { try await client.deleteObject(bucket: missing, key: "x") },
        ]
        for error in errors {
            #expect(error?.code == .noSuchBucket, "\(String(describing: error))")
            #expect(error?.status == 404)
            #expect(error?.attempts == 1)
            #expect(error?.description.contains("NoSuchBucket") == true)
        }
        #expect(try await client.headObject(bucket: missing, key: "x") == nil)
    }

    /// 12 MiB in 5 MiB parts (from 1 MiB chunks) reads back byte for byte.
    @Test func multipartUploadReadsBackIdentical() async throws {
        try await client.createBucket(bucket)
        // (A named size: `#expect(optional == 12 * 1024 * 1024)` fails in swift-testing's macro
        // though both sides are equal.)
        let size: Int64 = 12 * 1024 * 1024
        let chunks = TestChunks(total: Int(size), chunkSize: 1024 * 1024, seed: 1)
        let uploader = try S3MultipartUploader(client: client, bucket: bucket, key: "backups/graph.tar", partSize: 5 * 1024 * 1024)
        let result = try await uploader.upload(chunks)
        #expect(result.partCount == 3)
        #expect(result.size == size)
        #expect(result.eTag.hasSuffix("-3\""))

        let head = try #require(try await client.headObject(bucket: bucket, key: "backups/graph.tar"))
        #expect(head.size == size)
        let object = try await client.getObject(bucket: bucket, key: "backups/graph.tar")
        #expect(object.contentLength == size)
        let read = try await sha256(of: object.body)
        #expect(read.count == Int(size))
        #expect(read.digest == chunks.sha256)
        #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
    }

    /// Chunks larger than a part, and of sizes that do not divide it, are cut into exact parts.
    @Test func multipartUploadFromUnevenChunks() async throws {
        try await client.createBucket(bucket)
        let chunks = TestChunks(total: 11 * 1024 * 1024 + 17, chunkSize: 7 * 1024 * 1024 + 3, seed: 2)
        let uploader = try S3MultipartUploader(
            client: client, bucket: bucket, key: "uneven", partSize: 5 * 1024 * 1024, concurrentParts: 1)
        let result = try await uploader.upload(chunks)
        #expect(result.partCount == 3)
        let read = try await sha256(of: try await client.getObject(bucket: bucket, key: "uneven").body)
        #expect(read.count == 11 * 1024 * 1024 + 17)
        #expect(read.digest == chunks.sha256)
        // A part ends exactly at 5 MiB: the second part starts there.
        let second = try await client.getObjectBytes(bucket: bucket, key: "uneven", range: 5 * 1024 * 1024...(5 * 1024 * 1024 + 3), upTo: 4)
        var generator = TestBytes(seed: 2)
        let firstChunk = generator.next(7 * 1024 * 1024 + 3)
        #expect(second == firstChunk.getSlice(at: 5 * 1024 * 1024, length: 4)!)
    }

    /// A stream shorter than a part is one PUT; an empty one is an empty object.
    @Test func smallUploadsUseOnePut() async throws {
        try await client.createBucket(bucket)
        let small = TestChunks(total: 100_000, chunkSize: 30_000, seed: 3)
        let uploader = try S3MultipartUploader(client: client, bucket: bucket, key: "small")
        let result = try await uploader.upload(small)
        #expect(result.partCount == 0)
        #expect(result.size == 100_000)
        #expect(try await sha256(of: try await client.getObject(bucket: bucket, key: "small").body).digest == small.sha256)

        let empty = try await S3MultipartUploader(client: client, bucket: bucket, key: "empty").upload(TestChunks(total: 0, chunkSize: 1, seed: 0))
        #expect(empty.size == 0)
        #expect(try await client.headObject(bucket: bucket, key: "empty")?.size == 0)
        #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
    }

    /// A stream that fails after a part was sent: the error comes through, the upload is aborted,
    /// and no object appears.
    @Test func failedUploadIsAbortedAndLeavesNothing() async throws {
        try await client.createBucket(bucket)
        let chunks = TestChunks(total: 20 * 1024 * 1024, chunkSize: 1024 * 1024, seed: 4, failAfter: 11 * 1024 * 1024)
        let uploader = try S3MultipartUploader(client: client, bucket: bucket, key: "broken", partSize: 5 * 1024 * 1024)
        await #expect(throws: TestChunks.StreamFailure.self) { try await uploader.upload(chunks) }
        #expect(try await client.headObject(bucket: bucket, key: "broken") == nil)
        #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
    }

    /// Cancelling the task that uploads aborts the upload too.
    @Test func cancelledUploadIsAborted() async throws {
        try await client.createBucket(bucket)
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let uploader = try S3MultipartUploader(client: client, bucket: bucket, key: "cancelled", partSize: 5 * 1024 * 1024)
        let task = Task { try await uploader.upload(stream) }
        var generator = TestBytes(seed: 5)
        continuation.yield(generator.next(6 * 1024 * 1024))
        // Wait until the upload exists (its first part is on its way), then cancel.
        var started = false
        for _ in 0..<200 where !started {
            started = try await !client.listMultipartUploads(bucket: bucket, prefix: "cancelled").isEmpty
            if !started { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(started)
        task.cancel()
        let outcome = await task.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        continuation.finish()
        #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        #expect(try await client.headObject(bucket: bucket, key: "cancelled") == nil)
    }

    /// The calls the uploader makes, by hand: parts out of order, an abort, S3's complaints.
    @Test func multipartStepByStep() async throws {
        try await client.createBucket(bucket)
        var generator = TestBytes(seed: 6)
        let part1 = generator.next(5 * 1024 * 1024)
        let part2 = generator.next(1000)

        let uploadID = try await client.createMultipartUpload(bucket: bucket, key: "manual", contentType: "application/x-tar")
        #expect(try await client.listMultipartUploads(bucket: bucket).map(\.uploadID) == [uploadID])
        // Parts may be sent in any order and again.
        let second = try await client.uploadPart(bucket: bucket, key: "manual", uploadID: uploadID, partNumber: 2, bytes: part2)
        _ = try await client.uploadPart(bucket: bucket, key: "manual", uploadID: uploadID, partNumber: 1, bytes: part2)
        let first = try await client.uploadPart(bucket: bucket, key: "manual", uploadID: uploadID, partNumber: 1, bytes: part1)
        #expect(second.partNumber == 2 && first.partNumber == 1)
        let eTag = try await client.completeMultipartUpload(bucket: bucket, key: "manual", uploadID: uploadID, parts: [second, first])
        #expect(eTag.hasSuffix("-2\""))
        var expected = part1
        expected.writeImmutableBuffer(part2)
        #expect(try await client.getObjectBytes(bucket: bucket, key: "manual", upTo: 6 * 1024 * 1024) == expected)
        #expect(try await client.headObject(bucket: bucket, key: "manual")?.contentType == "application/x-tar")

        // An aborted upload: no object, no upload, and its id is gone.
        let abortedID = try await client.createMultipartUpload(bucket: bucket, key: "aborted")
        _ = try await client.uploadPart(bucket: bucket, key: "aborted", uploadID: abortedID, partNumber: 1, bytes: part1)
        try await client.abortMultipartUpload(bucket: bucket, key: "aborted", uploadID: abortedID)
        try await client.abortMultipartUpload(bucket: bucket, key: "aborted", uploadID: abortedID)  // again: fine
        #expect(try await client.headObject(bucket: bucket, key: "aborted") == nil)
        #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        // (A part sent to it now is refused; moto says 500 InternalError where S3 says NoSuchUpload.)
        await #expect(throws: S3Error.self) {
            try await client.uploadPart(bucket: bucket, key: "aborted", uploadID: abortedID, partNumber: 1, bytes: part2)
        }

        // A small part that is not the last is refused on completion.
        let smallID = try await client.createMultipartUpload(bucket: bucket, key: "small-parts")
        let a = try await client.uploadPart(bucket: bucket, key: "small-parts", uploadID: smallID, partNumber: 1, bytes: part2)
        let b = try await client.uploadPart(bucket: bucket, key: "small-parts", uploadID: smallID, partNumber: 2, bytes: part2)
        let tooSmall = await s3Error {
            _ = try await client.completeMultipartUpload(bucket: bucket, key: "small-parts", uploadID: smallID, parts: [a, b])
        }
        #expect(tooSmall?.code == .entityTooSmall)
        #expect(tooSmall?.attempts == 1)
        try await client.abortMultipartUpload(bucket: bucket, key: "small-parts", uploadID: smallID)
    }
}
