#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One key of a listing: its size, modification time and ETag.
public struct S3ObjectSummary: Sendable, Hashable {
    /// The key.
    public var key: String
    /// The size in bytes.
    public var size: Int64
    /// When the object was last written.
    public var lastModified: Date?
    /// The ETag, as S3 gives it (in quotes).
    public var eTag: String?

    /// Creates a summary; the client makes these from S3's answers.
    public init(key: String, size: Int64, lastModified: Date? = nil, eTag: String? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.eTag = eTag
    }
}

/// One page of a listing.
public struct S3ListPage: Sendable, Hashable {
    /// The keys of this page, in key order.
    public var objects: [S3ObjectSummary]
    /// The token that asks for the next page; nil on the last page.
    public var nextContinuationToken: String?

    /// Creates a page.
    public init(objects: [S3ObjectSummary], nextContinuationToken: String?) {
        self.objects = objects
        self.nextContinuationToken = nextContinuationToken
    }
}

/// Every key under a prefix, in key order, one ListObjectsV2 page fetched whenever the previous
/// one has been read (so at most one page is held). Each iteration starts from the first page.
public struct S3ObjectListing: AsyncSequence, Sendable {
    public typealias Element = S3ObjectSummary

    let client: S3Client
    let bucket: String
    let prefix: String
    let pageSize: Int

    /// The iterator of a listing.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let listing: S3ObjectListing
        var page: [S3ObjectSummary] = []
        var index = 0
        var continuationToken: String?
        var finished = false

        /// The next key, fetching the next page when this one is read.
        public mutating func next() async throws -> S3ObjectSummary? {
            while index == page.count {
                guard !finished else { return nil }
                let next = try await listing.client.listObjectsPage(
                    bucket: listing.bucket, prefix: listing.prefix, continuationToken: continuationToken, maxKeys: listing.pageSize)
                page = next.objects
                index = 0
                continuationToken = next.nextContinuationToken
                finished = continuationToken == nil
            }
            defer { index += 1 }
            return page[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(listing: self)
    }
}
