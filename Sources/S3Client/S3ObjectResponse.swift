import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An object being read: what S3 said about it, and its bytes as they arrive.
public struct S3ObjectResponse: Sendable {
    /// The bytes in ``body``: the object's size, or the range's.
    public var contentLength: Int64?
    /// For a ranged read, the bytes of the object that ``body`` holds (both ends included);
    /// nil for a whole object.
    public var range: ClosedRange<Int64>?
    /// The whole object's size (from `Content-Range` for a ranged read).
    public var objectSize: Int64?
    /// The ETag, as S3 gives it (in quotes).
    public var eTag: String?
    /// When the object was last written.
    public var lastModified: Date?
    /// The content type it was stored with.
    public var contentType: String?
    /// The bytes, read as they arrive.
    public var body: S3ObjectBody

    init(_ response: HTTPClientResponse, requestedRange: ClosedRange<Int64>?, request: S3Request) throws(S3ClientError) {
        self = try S3ObjectResponse(
            ResponseHead(status: response.status, headers: response.headers), requestedRange: requestedRange, request: request)
        self.body = S3ObjectBody(base: response.body)
    }

    /// Reads the head, and checks that a ranged read got the range it asked for (a server that
    /// ignores `Range` answers 200 with the whole object, which must not pass for the range).
    init(_ head: ResponseHead, requestedRange: ClosedRange<Int64>?, request: S3Request) throws(S3ClientError) {
        let headers = head.headers
        contentLength = headers.first(name: "content-length").flatMap { Int64($0) }
        eTag = headers.first(name: "etag")
        lastModified = headers.first(name: "last-modified").flatMap(AmazonDate.parseHTTPDate)
        contentType = headers.first(name: "content-type")
        body = S3ObjectBody(base: nil)
        if let requestedRange {
            guard head.status == .partialContent, let contentRange = headers.first(name: "content-range"),
                let (served, total) = Self.parseContentRange(contentRange), served.lowerBound == requestedRange.lowerBound,
                served.upperBound <= requestedRange.upperBound
            else {
                throw S3ClientError(
                    .invalidResponse,
                    "S3 GetObject \(request.location): asked for bytes \(requestedRange), the answer is \(head.status.code) with "
                        + "Content-Range '\(headers.first(name: "content-range") ?? "")'")
            }
            range = served
            objectSize = total
        } else {
            range = nil
            objectSize = contentLength
        }
    }

    /// Parses `bytes 0-9/443` (the total may be `*`).
    static func parseContentRange(_ value: String) -> (ClosedRange<Int64>, Int64?)? {
        guard value.hasPrefix("bytes ") else { return nil }
        let parts = value.dropFirst(6).split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let bounds = parts[0].split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let lower = Int64(bounds[0]), let upper = Int64(bounds[1]), lower <= upper else { return nil }
        return (lower...upper, Int64(parts[1]))
    }
}

/// An object's bytes as they arrive from S3, in buffers of the connection's reads.
///
/// It can be iterated once. Stopping early, or dropping it unread, closes the connection. Pauses
/// are bounded by the `HTTPClient`'s read timeout, not the S3 client's request timeout.
public struct S3ObjectBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let base: HTTPClientResponse.Body?

    /// The iterator of a body.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator?

        /// The next buffer, or nil at the end.
        public mutating func next() async throws -> ByteBuffer? {
            try await base?.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base?.makeAsyncIterator())
    }

    /// Reads the whole body into one buffer, for small objects.
    ///
    /// - Throws: ``S3ClientError`` (``S3ClientError/Kind/bodyTooLarge``) past `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await chunk in self {
            guard collected.readableBytes + chunk.readableBytes <= maxBytes else {
                throw S3ClientError(.bodyTooLarge, "the object is longer than the limit of \(maxBytes) bytes")
            }
            var chunk = chunk
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}
