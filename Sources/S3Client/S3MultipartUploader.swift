import NIOCore

/// Uploads one object from a stream of buffers in parts, and never leaves a multipart upload
/// behind: it completes the upload, or aborts it when anything fails or the task is cancelled.
///
/// The buffers may be of any size: they are cut into parts of exactly ``partSize`` bytes (the
/// last part smaller), so a stream of 64 KiB reads works as well as one of ready-made parts.
/// Memory is bounded: the part being filled plus ``concurrentParts`` parts in flight. A stream
/// that ends before the first part is full (a small object, or none at all) is uploaded with a
/// single `PutObject` instead, and no multipart upload is started.
///
/// ```swift
/// let uploader = try S3MultipartUploader(client: s3, bucket: "backups", key: "graph-1.tar")
/// let result = try await uploader.upload(chunks)  // any AsyncSequence of ByteBuffer
/// ```
public struct S3MultipartUploader: Sendable {
    /// S3's smallest part but the last: 5 MiB.
    public static let minimumPartSize = 5 * 1024 * 1024
    /// S3's largest part: 5 GiB.
    public static let maximumPartSize = 5 * 1024 * 1024 * 1024
    /// S3's most parts in one upload: 10,000.
    public static let maximumPartCount = 10_000

    /// The client that sends the parts.
    public let client: S3Client
    /// The bucket.
    public let bucket: String
    /// The key of the object.
    public let key: String
    /// The content type the object is stored with.
    public let contentType: String?
    /// The size of every part but the last; the object may be at most 10,000 times this.
    public let partSize: Int
    /// How many parts are uploaded at once.
    public let concurrentParts: Int

    /// Creates an uploader.
    ///
    /// - Parameters:
    ///   - partSize: Bytes per part, 5 MiB to 5 GiB (16 MiB by default: objects up to 156 GiB).
    ///   - concurrentParts: Parts uploaded at once, at least 1; each holds a part in memory.
    /// - Throws: ``S3ClientError`` (``S3ClientError/Kind/invalidArgument``) for a part size or
    ///   concurrency out of range, or an empty key.
    public init(
        client: S3Client, bucket: String, key: String, contentType: String? = nil, partSize: Int = 16 * 1024 * 1024,
        concurrentParts: Int = 2
    ) throws(S3ClientError) {
        try S3Client.validate(bucket: bucket, key: key)
        guard (Self.minimumPartSize...Self.maximumPartSize).contains(partSize) else {
            throw S3ClientError(.invalidArgument, "the part size must be 5 MiB to 5 GiB, not \(partSize) bytes")
        }
        guard concurrentParts >= 1 else {
            throw S3ClientError(.invalidArgument, "at least one part must be uploaded at a time, not \(concurrentParts)")
        }
        self.client = client
        self.bucket = bucket
        self.key = key
        self.contentType = contentType
        self.partSize = partSize
        self.concurrentParts = concurrentParts
    }

    /// Uploads the bytes of `chunks` as the object and returns its ETag and size.
    ///
    /// On any failure (of S3, of the connection, or of `chunks` itself) and on cancellation, the
    /// parts in flight are cancelled and waited for, then the multipart upload is aborted, and
    /// the error is rethrown. The abort goes out even when the task is cancelled; its own failure
    /// is not thrown (the first error is the one that matters).
    public func upload<Chunks: AsyncSequence>(_ chunks: Chunks) async throws -> S3UploadResult
    where Chunks.Element == ByteBuffer {
        try await withThrowingTaskGroup(of: S3CompletedPart.self) { group in
            var uploadID: String?
            do {
                return try await uploadParts(chunks, group: &group, uploadID: &uploadID)
            } catch {
                // S3 may keep a part that was still arriving when the upload was aborted: the
                // parts in flight end first.
                group.cancelAll()
                while !group.isEmpty {
                    _ = try? await group.next()
                }
                if let uploadID {
                    // A task of its own: this one may be cancelled, and the abort must still go out.
                    let abort = Task { [client, bucket, key] in
                        try await client.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
                    }
                    _ = await abort.result
                }
                throw error
            }
        }
    }

    private func uploadParts<Chunks: AsyncSequence>(
        _ chunks: Chunks, group: inout ThrowingTaskGroup<S3CompletedPart, any Error>, uploadID: inout String?
    ) async throws -> S3UploadResult where Chunks.Element == ByteBuffer {
        var pending = ByteBuffer()
        var total: Int64 = 0
        var nextPartNumber = 1
        var inFlight = 0
        var completed: [S3CompletedPart] = []

        /// Starts uploading `part` (starting the upload first if need be), once a slot is free.
        func start(_ part: ByteBuffer) async throws {
            guard nextPartNumber <= Self.maximumPartCount else {
                throw S3ClientError(
                    .invalidArgument,
                    "\(S3Location.render(bucket: bucket, key: key)) needs more than \(Self.maximumPartCount) parts of "
                        + "\(partSize) bytes: use a larger part size")
            }
            if uploadID == nil {
                uploadID = try await client.createMultipartUpload(bucket: bucket, key: key, contentType: contentType)
            }
            if inFlight == concurrentParts, let done = try await group.next() {
                completed.append(done)
                inFlight -= 1
            }
            let request = (uploadID: uploadID!, partNumber: nextPartNumber)
            nextPartNumber += 1
            inFlight += 1
            group.addTask { [client, bucket, key] in
                try await client.uploadPart(
                    bucket: bucket, key: key, uploadID: request.uploadID, partNumber: request.partNumber, bytes: part)
            }
        }

        for try await chunk in chunks {
            try Task.checkCancellation()
            total += Int64(chunk.readableBytes)
            if pending.readableBytes == 0, chunk.readableBytes >= partSize {
                pending = chunk  // a part or more: sliced without a copy
            } else {
                if pending.capacity < partSize { pending.reserveCapacity(partSize) }
                pending.writeImmutableBuffer(chunk)
            }
            while pending.readableBytes >= partSize {
                try await start(pending.readSlice(length: partSize)!)
            }
            if pending.readableBytes == 0 {
                pending = ByteBuffer()
            } else if pending.readerIndex > 0 {
                // The rest goes into a buffer of its own, so that neither the caller's buffer
                // nor a part in flight is kept alive by it or copied when it grows.
                var rest = ByteBuffer()
                rest.reserveCapacity(partSize)
                rest.writeBuffer(&pending)
                pending = rest
            }
        }
        try Task.checkCancellation()

        guard uploadID != nil else {
            // Smaller than one part (or empty): a single PUT, and no upload to complete.
            let eTag = try await client.putObject(bucket: bucket, key: key, body: pending, contentType: contentType)
            return S3UploadResult(eTag: eTag, size: total, partCount: 0)
        }
        if pending.readableBytes > 0 {
            try await start(pending)
        }
        while let done = try await group.next() {
            completed.append(done)
        }
        let eTag = try await client.completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID!, parts: completed)
        return S3UploadResult(eTag: eTag, size: total, partCount: completed.count)
    }
}

/// What an upload made.
public struct S3UploadResult: Sendable, Hashable {
    /// The object's ETag, as S3 gives it (in quotes; a multipart ETag ends in `-<parts>`).
    public var eTag: String
    /// The object's size in bytes.
    public var size: Int64
    /// The number of parts; 0 when the object was small enough for a single `PutObject`.
    public var partCount: Int

    /// Creates a result.
    public init(eTag: String, size: Int64, partCount: Int) {
        self.eTag = eTag
        self.size = size
        self.partCount = partCount
    }
}
