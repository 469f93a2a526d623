import AsyncHTTPClient
import Crypto
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A small S3 client over AsyncHTTPClient: objects put, read (streamed, or a byte range), listed,
/// looked at and deleted, large objects uploaded in parts, every request signed with AWS
/// Signature Version 4 and retried with backoff when sending it again can help.
///
/// The `HTTPClient` is the caller's, who shuts it down. Nothing is held whole in memory but what
/// the caller passes in: a download is a stream of buffers, an upload of parts holds one part
/// (see ``S3MultipartUploader``). Failures are ``S3Error`` (S3 answered with an error),
/// ``S3TransportError`` (no answer), ``S3ClientError`` (detected here) or `CancellationError`.
///
/// Give the `HTTPClient` a connect timeout of a few seconds: AsyncHTTPClient tries a refused
/// connection again until its connect timeout ends (90 s for `HTTPClient.shared`), and that is one
/// attempt of this client's retry policy. Its read timeout bounds the pauses of a streamed body.
public struct S3Client: Sendable {
    /// The HTTP client requests go through; owned by the caller.
    public let httpClient: HTTPClient
    /// Region, key, endpoint, retries and timeout.
    public let configuration: Configuration
    let signer: SigV4Signer

    /// The largest error body read to find S3's code and message.
    static let errorBodyLimit = 64 * 1024
    /// The largest XML answer read (a page of 1,000 keys of 1,024 bytes, URL-encoded, fits).
    static let xmlBodyLimit = 16 * 1024 * 1024
    /// The `User-Agent` sent.
    static let userAgent = "graph-api-s3client/1"

    /// Creates a client that sends its requests through `httpClient`.
    public init(httpClient: HTTPClient, configuration: Configuration) {
        self.httpClient = httpClient
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
    }

    // MARK: - Objects

    /// Uploads `body` as the object `key`, in one request whose payload SHA-256 is signed (S3
    /// checks it against the bytes received). For objects over 5 GiB, or streamed from
    /// elsewhere, use ``S3MultipartUploader``.
    ///
    /// - Returns: The object's ETag, as S3 gives it (in quotes).
    @discardableResult
    public func putObject(bucket: String, key: String, body: ByteBuffer, contentType: String? = nil) async throws -> String {
        try Self.validate(bucket: bucket, key: key)
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("content-type", contentType)) }
        let request = S3Request(
            operation: "PutObject", method: .PUT, bucket: bucket, key: key, headers: headers, body: body, payloadHash: Self.sha256(body))
        let response = try await sendCollecting(request, limit: Self.errorBodyLimit)
        return try response.requiredHeader("etag", for: request)
    }

    /// Opens the object `key` for reading: the answer's head, with a body that arrives as it is
    /// read (an `AsyncSequence` of `ByteBuffer`).
    ///
    /// The request is retried until the head arrives; a failure while the body streams is
    /// thrown by the body's iterator and not retried (read the rest again with `range`). A body
    /// that is dropped unread closes its connection.
    ///
    /// - Parameter range: The bytes to read, both ends included (`0...9` is the first ten); nil
    ///   for the whole object. A range past the end is ``S3Error/Code/invalidRange``.
    public func getObject(bucket: String, key: String, range: ClosedRange<Int64>? = nil) async throws -> S3ObjectResponse {
        try Self.validate(bucket: bucket, key: key)
        var headers: [(name: String, value: String)] = []
        if let range {
            guard range.lowerBound >= 0 else { throw S3ClientError(.invalidArgument, "the range \(range) starts before byte 0") }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound)"))
        }
        let request = S3Request(operation: "GetObject", method: .GET, bucket: bucket, key: key, headers: headers)
        let response = try await sendStreaming(request)
        return try S3ObjectResponse(response, requestedRange: range, request: request)
    }

    /// Reads the object `key` (or `range` of it) whole, for small objects: at most `maxBytes`.
    /// The whole exchange is retried, so a connection broken mid-body is tried again.
    ///
    /// - Throws: ``S3ClientError`` (``S3ClientError/Kind/bodyTooLarge``) when the object is
    ///   longer than `maxBytes`, before its body is read if S3 gave its length.
    public func getObjectBytes(bucket: String, key: String, range: ClosedRange<Int64>? = nil, upTo maxBytes: Int) async throws -> ByteBuffer {
        try Self.validate(bucket: bucket, key: key)
        var headers: [(name: String, value: String)] = []
        if let range {
            guard range.lowerBound >= 0 else { throw S3ClientError(.invalidArgument, "the range \(range) starts before byte 0") }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound)"))
        }
        let request = S3Request(operation: "GetObject", method: .GET, bucket: bucket, key: key, headers: headers)
        let response = try await sendCollecting(request, limit: maxBytes)
        // Checks the status and Content-Range as a streamed read does.
        _ = try S3ObjectResponse(response.head, requestedRange: range, request: request)
        return response.body
    }

    /// The size, ETag and modification time of the object `key`, or nil when S3 answers 404 (no
    /// such key, or no such bucket: an answer to `HEAD` has no body to tell them apart).
    public func headObject(bucket: String, key: String) async throws -> S3ObjectMetadata? {
        try Self.validate(bucket: bucket, key: key)
        let request = S3Request(operation: "HeadObject", method: .HEAD, bucket: bucket, key: key)
        do {
            let response = try await sendCollecting(request, limit: Self.errorBodyLimit)
            let headers = response.head.headers
            guard let size = headers.first(name: "content-length").flatMap({ Int64($0) }) else {
                throw S3ClientError(.invalidResponse, "S3 HeadObject \(request.location): the answer has no Content-Length")
            }
            return S3ObjectMetadata(
                size: size, eTag: headers.first(name: "etag"), lastModified: headers.first(name: "last-modified").flatMap(AmazonDate.parseHTTPDate),
                contentType: headers.first(name: "content-type"))
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// Deletes the object `key`. Deleting a key that does not exist succeeds, as in S3 (and an
    /// S3-compatible store's `NoSuchKey` is taken as success too); a missing bucket is
    /// ``S3Error/Code/noSuchBucket``.
    public func deleteObject(bucket: String, key: String) async throws {
        try Self.validate(bucket: bucket, key: key)
        let request = S3Request(operation: "DeleteObject", method: .DELETE, bucket: bucket, key: key)
        do {
            _ = try await sendCollecting(request, limit: Self.errorBodyLimit)
        } catch let error as S3Error where error.code == .noSuchKey {
            return
        }
    }

    // MARK: - Listing

    /// One page of the keys under `prefix` (ListObjectsV2), in key order.
    ///
    /// - Parameters:
    ///   - continuationToken: The previous page's ``S3ListPage/nextContinuationToken``; nil for
    ///     the first page.
    ///   - maxKeys: Keys per page, 1 to 1,000 (S3 never sends more than 1,000).
    public func listObjectsPage(bucket: String, prefix: String = "", continuationToken: String? = nil, maxKeys: Int = 1000)
        async throws -> S3ListPage
    {
        try Self.validate(bucket: bucket)
        guard (1...1000).contains(maxKeys) else {
            throw S3ClientError(.invalidArgument, "maxKeys must be 1 to 1000, not \(maxKeys)")
        }
        // Keys come URL-encoded: XML 1.0 cannot carry every character a key may hold.
        var query: [(name: String, value: String)] = [("list-type", "2"), ("encoding-type", "url"), ("max-keys", String(maxKeys))]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let request = S3Request(operation: "ListObjectsV2", method: .GET, bucket: bucket, key: nil, query: query)
        let response = try await sendCollecting(request, limit: Self.xmlBodyLimit)
        let root = try Self.parseXML(response.body, expecting: "ListBucketResult", for: request)
        let urlEncoded = root.text(of: "EncodingType") == "url"
        func decoded(_ text: String) throws(S3ClientError) -> String {
            guard urlEncoded else { return text }
            guard let value = Self.formURLDecoded(text) else {
                throw S3ClientError(.invalidResponse, "S3 ListObjectsV2 \(request.location): the key '\(text)' is not URL-encoded")
            }
            return value
        }
        var objects: [S3ObjectSummary] = []
        for contents in root.children(named: "Contents") {
            guard let key = contents.text(of: "Key"), let size = contents.text(of: "Size").flatMap({ Int64($0) }) else {
                throw S3ClientError(.invalidResponse, "S3 ListObjectsV2 \(request.location): an entry has no Key or Size")
            }
            objects.append(
                S3ObjectSummary(
                    key: try decoded(key), size: size, lastModified: contents.text(of: "LastModified").flatMap(AmazonDate.parseISO8601),
                    eTag: contents.text(of: "ETag")))
        }
        var next: String?
        if root.text(of: "IsTruncated") == "true" {
            guard let token = root.text(of: "NextContinuationToken"), !token.isEmpty, token != continuationToken else {
                throw S3ClientError(
                    .invalidResponse, "S3 ListObjectsV2 \(request.location): a truncated page without a new continuation token")
            }
            next = token
        }
        return S3ListPage(objects: objects, nextContinuationToken: next)
    }

    /// Every key under `prefix`, in key order, fetched a page at a time as the sequence is read.
    ///
    /// - Parameter pageSize: Keys per request, 1 to 1,000.
    public func listObjects(bucket: String, prefix: String = "", pageSize: Int = 1000) -> S3ObjectListing {
        S3ObjectListing(client: self, bucket: bucket, prefix: prefix, pageSize: pageSize)
    }

    // MARK: - Buckets

    /// Creates `bucket` in the configured region (a bucket that is already yours is fine). For
    /// tests and set-up; backups expect their bucket to exist.
    public func createBucket(_ bucket: String) async throws {
        try Self.validate(bucket: bucket)
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(
                string: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(xmlEscaped(configuration.region))</LocationConstraint></CreateBucketConfiguration>")
        }
        let request = S3Request(
            operation: "CreateBucket", method: .PUT, bucket: bucket, key: nil, body: body,
            payloadHash: body.map(Self.sha256) ?? SigV4Signer.emptyPayloadHash)
        do {
            _ = try await sendCollecting(request, limit: Self.errorBodyLimit)
        } catch let error as S3Error where error.code == .bucketAlreadyOwnedByYou {
            return
        }
    }

    // MARK: - Multipart upload

    /// Starts a multipart upload of `key` and returns its upload id. Every upload started must be
    /// completed or aborted, or its parts are kept (and billed); ``S3MultipartUploader`` does
    /// this.
    ///
    /// Not idempotent (each call starts another upload), so retried only when S3 refused it
    /// (503, 429, `SlowDown`) or the connection was never opened.
    public func createMultipartUpload(bucket: String, key: String, contentType: String? = nil) async throws -> String {
        try Self.validate(bucket: bucket, key: key)
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("content-type", contentType)) }
        let request = S3Request(
            operation: "CreateMultipartUpload", method: .POST, bucket: bucket, key: key, query: [("uploads", "")], headers: headers,
            idempotent: false)
        let response = try await sendCollecting(request, limit: Self.xmlBodyLimit)
        let root = try Self.parseXML(response.body, expecting: "InitiateMultipartUploadResult", for: request)
        guard let uploadID = root.text(of: "UploadId"), !uploadID.isEmpty else {
            throw S3ClientError(.invalidResponse, "S3 CreateMultipartUpload \(request.location): the answer has no UploadId")
        }
        return uploadID
    }

    /// Uploads part `partNumber` (1 to 10,000) of an upload, its SHA-256 signed. Every part but
    /// the last must be at least 5 MiB (S3 says so on completion, ``S3Error/Code/entityTooSmall``);
    /// none over 5 GiB. Sending a part again replaces it, so parts are retried.
    ///
    /// - Returns: The part number and ETag that ``completeMultipartUpload(bucket:key:uploadID:parts:)``
    ///   needs.
    public func uploadPart(bucket: String, key: String, uploadID: String, partNumber: Int, bytes: ByteBuffer) async throws
        -> S3CompletedPart
    {
        try Self.validate(bucket: bucket, key: key)
        guard (1...S3MultipartUploader.maximumPartCount).contains(partNumber) else {
            throw S3ClientError(.invalidArgument, "part number \(partNumber) is not between 1 and \(S3MultipartUploader.maximumPartCount)")
        }
        guard bytes.readableBytes <= S3MultipartUploader.maximumPartSize else {
            throw S3ClientError(.invalidArgument, "part \(partNumber) has \(bytes.readableBytes) bytes; a part may have at most 5 GiB")
        }
        let request = S3Request(
            operation: "UploadPart", method: .PUT, bucket: bucket, key: key,
            query: [("partNumber", String(partNumber)), ("uploadId", uploadID)], body: bytes, payloadHash: Self.sha256(bytes))
        let response = try await sendCollecting(request, limit: Self.errorBodyLimit)
        return S3CompletedPart(partNumber: partNumber, eTag: try response.requiredHeader("etag", for: request))
    }

    /// Completes an upload from its parts (sorted here by number) and returns the object's ETag.
    ///
    /// S3 may answer `200` and still fail, with an error in the body; that is thrown as an
    /// ``S3Error`` with status 200 (and retried when its code says so).
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [S3CompletedPart]) async throws
        -> String
    {
        try Self.validate(bucket: bucket, key: key)
        guard !parts.isEmpty else { throw S3ClientError(.invalidArgument, "a multipart upload needs at least one part") }
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(xmlEscaped(part.eTag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = ByteBuffer(string: xml)
        let request = S3Request(
            operation: "CompleteMultipartUpload", method: .POST, bucket: bucket, key: key, query: [("uploadId", uploadID)],
            headers: [("content-type", "application/xml")], body: body, payloadHash: Self.sha256(body))
        let response = try await sendCollecting(request, limit: Self.xmlBodyLimit) { head, body in
            // An error inside a 200: thrown from within the attempt, so that it is retried.
            if let root = try? S3XMLElement.parse(body.readableBytesView), root.name == "Error" {
                throw Self.s3Error(for: request, status: Int(head.status.code), headers: head.headers, body: body)
            }
        }
        // S3 answers <CompleteMultipartUploadResult>; moto, <CompleteMultipartUploadResponse>.
        let root = try Self.parseXML(response.body, expecting: nil, for: request)
        guard let eTag = root.text(of: "ETag") else {
            throw S3ClientError(.invalidResponse, "S3 CompleteMultipartUpload \(request.location): the answer has no ETag")
        }
        return eTag
    }

    /// Aborts an upload: its parts are deleted and it can no longer be completed. An upload that
    /// no longer exists (aborted or completed already) is not an error.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        try Self.validate(bucket: bucket, key: key)
        let request = S3Request(
            operation: "AbortMultipartUpload", method: .DELETE, bucket: bucket, key: key, query: [("uploadId", uploadID)])
        do {
            _ = try await sendCollecting(request, limit: Self.errorBodyLimit)
        } catch let error as S3Error where error.code == .noSuchUpload {
            return
        }
    }

    /// The multipart uploads of `bucket` (under `prefix`) that were started and neither completed
    /// nor aborted, oldest key first: what a failed writer may have left behind, for a clean-up
    /// with ``abortMultipartUpload(bucket:key:uploadID:)``. Every page is fetched.
    public func listMultipartUploads(bucket: String, prefix: String = "") async throws -> [S3MultipartUploadSummary] {
        try Self.validate(bucket: bucket)
        var uploads: [S3MultipartUploadSummary] = []
        var markers: (key: String, uploadID: String)?
        while true {
            var query: [(name: String, value: String)] = [("uploads", ""), ("encoding-type", "url")]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let markers {
                query.append(("key-marker", markers.key))
                query.append(("upload-id-marker", markers.uploadID))
            }
            let request = S3Request(operation: "ListMultipartUploads", method: .GET, bucket: bucket, key: nil, query: query)
            let response = try await sendCollecting(request, limit: Self.xmlBodyLimit)
            let root = try Self.parseXML(response.body, expecting: "ListMultipartUploadsResult", for: request)
            let urlEncoded = root.text(of: "EncodingType") == "url"
            for upload in root.children(named: "Upload") {
                guard let rawKey = upload.text(of: "Key"), let key = urlEncoded ? Self.formURLDecoded(rawKey) : rawKey,
                    let uploadID = upload.text(of: "UploadId")
                else {
                    throw S3ClientError(.invalidResponse, "S3 ListMultipartUploads \(request.location): an upload has no Key or UploadId")
                }
                uploads.append(
                    S3MultipartUploadSummary(
                        key: key, uploadID: uploadID, initiated: upload.text(of: "Initiated").flatMap(AmazonDate.parseISO8601)))
            }
            guard root.text(of: "IsTruncated") == "true" else { return uploads }
            guard let nextKey = root.text(of: "NextKeyMarker"), let nextUploadID = root.text(of: "NextUploadIdMarker"),
                !nextKey.isEmpty, markers.map({ $0 != (nextKey, nextUploadID) }) ?? true
            else {
                throw S3ClientError(.invalidResponse, "S3 ListMultipartUploads \(request.location): a truncated page without new markers")
            }
            markers = (urlEncoded ? Self.formURLDecoded(nextKey) ?? nextKey : nextKey, nextUploadID)
        }
    }

    // MARK: - Helpers

    /// Hex SHA-256 of the readable bytes.
    static func sha256(_ buffer: ByteBuffer) -> String {
        var hasher = SHA256()
        buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().hex
    }

    /// Refuses what cannot make a request: an empty bucket or one with `/`, an empty key or one
    /// over S3's 1,024 bytes.
    static func validate(bucket: String, key: String? = nil) throws(S3ClientError) {
        guard !bucket.isEmpty, !bucket.contains("/") else {
            throw S3ClientError(.invalidArgument, "'\(bucket)' is not a bucket name")
        }
        if let key {
            guard !key.isEmpty else { throw S3ClientError(.invalidArgument, "an object key must not be empty") }
            guard key.utf8.count <= 1024 else {
                throw S3ClientError(.invalidArgument, "the key '\(key.prefix(64))…' is \(key.utf8.count) bytes long; S3 allows 1024")
            }
        }
    }

    /// Decodes `application/x-www-form-urlencoded`-style text as S3's `encoding-type=url` writes
    /// it: `%XX` bytes and `+` for a space. Nil for a broken escape or bytes that are not UTF-8.
    static func formURLDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        func hexValue(_ byte: UInt8?) -> UInt8? {
            guard let byte else { return nil }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = hexValue(iterator.next()), let low = hexValue(iterator.next()) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Parses an XML answer whose root must be `rootName` (any but `Error` if nil).
    static func parseXML(_ body: ByteBuffer, expecting rootName: String?, for request: S3Request) throws(S3ClientError) -> S3XMLElement {
        let root: S3XMLElement
        do {
            root = try S3XMLElement.parse(body.readableBytesView)
        } catch {
            throw S3ClientError(.invalidResponse, "S3 \(request.operation) \(request.location): the answer is not XML: \(error)")
        }
        guard rootName.map({ root.name == $0 }) ?? (root.name != "Error") else {
            throw S3ClientError(
                .invalidResponse,
                "S3 \(request.operation) \(request.location): expected <\(rootName ?? "a result")>, the answer is <\(root.name)>")
        }
        return root
    }
}

/// An object's size, ETag and modification time, from `HEAD`.
public struct S3ObjectMetadata: Sendable, Hashable {
    /// The object's size in bytes.
    public var size: Int64
    /// The ETag, as S3 gives it (in quotes).
    public var eTag: String?
    /// When the object was last written.
    public var lastModified: Date?
    /// The content type it was stored with.
    public var contentType: String?

    /// Creates metadata; the client makes these from S3's answers.
    public init(size: Int64, eTag: String? = nil, lastModified: Date? = nil, contentType: String? = nil) {
        self.size = size
        self.eTag = eTag
        self.lastModified = lastModified
        self.contentType = contentType
    }
}

/// One uploaded part: its number and the ETag S3 gave it.
public struct S3CompletedPart: Sendable, Hashable {
    /// The part number, 1 to 10,000.
    public var partNumber: Int
    /// The part's ETag, as S3 gave it (in quotes).
    public var eTag: String

    /// Creates a part record.
    public init(partNumber: Int, eTag: String) {
        self.partNumber = partNumber
        self.eTag = eTag
    }
}

/// A multipart upload that was started and is neither completed nor aborted.
public struct S3MultipartUploadSummary: Sendable, Hashable {
    /// The key it uploads.
    public var key: String
    /// Its upload id.
    public var uploadID: String
    /// When it was started.
    public var initiated: Date?

    /// Creates a summary; the client makes these from S3's answers.
    public init(key: String, uploadID: String, initiated: Date? = nil) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}
