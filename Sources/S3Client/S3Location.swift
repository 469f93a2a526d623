/// A bucket and a key prefix, from `s3://bucket/prefix`: where backups go.
///
/// The bucket name is checked against S3's rules for new buckets (3 to 63 characters of lower-case
/// letters, digits, `.` and `-`, starting and ending with a letter or digit, not an IP address).
/// The prefix is kept as written except that leading slashes are dropped, so `s3://b/x`,
/// `s3://b//x` and `S3Location(bucket: "b", prefix: "/x")` are the same place; it may be empty.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// The bucket.
    public let bucket: String
    /// The key prefix without leading slash; empty for the whole bucket.
    public let prefix: String

    /// Parses `s3://bucket`, `s3://bucket/` or `s3://bucket/prefix…`.
    ///
    /// - Throws: ``S3ClientError`` (``S3ClientError/Kind/invalidArgument``) naming what is wrong:
    ///   another scheme, no bucket, or a bucket name S3 does not allow.
    public init(_ url: String) throws(S3ClientError) {
        guard url.hasPrefix("s3://") else {
            throw S3ClientError(.invalidArgument, "'\(url)' is not an S3 location: expected s3://bucket/prefix")
        }
        let rest = url.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        try self.init(bucket: String(bucket), prefix: String(rest.dropFirst(bucket.count)))
    }

    /// A location from its parts; `prefix` loses its leading slashes.
    ///
    /// - Throws: ``S3ClientError`` (``S3ClientError/Kind/invalidArgument``) for a bucket name S3
    ///   does not allow.
    public init(bucket: String, prefix: String = "") throws(S3ClientError) {
        if let problem = Self.bucketNameProblem(bucket) {
            throw S3ClientError(.invalidArgument, "'\(bucket)' is not a valid S3 bucket name: \(problem)")
        }
        self.bucket = bucket
        self.prefix = String(prefix.drop { $0 == "/" })
    }

    /// The key of `name` under the prefix: `prefix/name`, with one slash between them whether or
    /// not the prefix ends with one (and the name's leading slashes dropped); `name` alone when
    /// the prefix is empty.
    public func key(_ name: String) -> String {
        let name = name.drop { $0 == "/" }
        if prefix.isEmpty { return String(name) }
        if prefix.hasSuffix("/") { return prefix + name }
        return prefix + "/" + name
    }

    /// The location one level down: `s3://bucket/prefix/name`.
    public func appending(_ name: String) -> S3Location {
        // The bucket was checked already.
        S3Location(checkedBucket: bucket, prefix: key(name))
    }

    /// `s3://bucket/prefix` (or `s3://bucket` for an empty prefix).
    public var description: String { Self.render(bucket: bucket, key: prefix) }

    /// Why `name` is not a valid bucket name, or nil when it is.
    public static func bucketNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "it is empty" }
        guard (3...63).contains(bytes.count) else { return "it must be 3 to 63 characters long" }
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard bytes.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "only lower-case letters, digits, '.' and '-' are allowed"
        }
        guard isLowerAlphanumeric(bytes.first!), isLowerAlphanumeric(bytes.last!) else {
            return "it must start and end with a letter or digit"
        }
        if name.contains("..") || name.contains(".-") || name.contains("-.") {
            return "a '.' must not be next to another '.' or a '-'"
        }
        let labels = name.split(separator: ".")
        if labels.count == 4, labels.allSatisfy({ $0.allSatisfy(\.isNumber) && UInt16($0).map { $0 <= 255 } == true }) {
            return "it must not look like an IP address"
        }
        if name.hasPrefix("xn--") || name.hasPrefix("sthree-") { return "the prefixes 'xn--' and 'sthree-' are reserved" }
        if name.hasSuffix("-s3alias") || name.hasSuffix("--ol-s3") { return "the suffixes '-s3alias' and '--ol-s3' are reserved" }
        return nil
    }

    /// `s3://bucket/key`, for messages.
    static func render(bucket: String, key: String) -> String {
        key.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(key)"
    }

    private init(checkedBucket: String, prefix: String) {
        self.bucket = checkedBucket
        self.prefix = prefix
    }
}
