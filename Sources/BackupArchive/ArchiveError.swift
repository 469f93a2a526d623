/// Why an archive could not be written, read or trusted. Each kind names the cause, so that a
/// failed restore or `graph-api backup verify` tells the user what is wrong with the file.
public struct BackupArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Not a Graph API backup archive (wrong magic bytes).
        case notAnArchive = "not_an_archive"
        /// An archive of a format version this build does not know.
        case unsupportedFormat = "unsupported_format"
        /// The file ends before the archive does (a cut download or an interrupted write).
        case truncated
        /// Bytes were changed, segments reordered or removed: an authentication tag, the
        /// archive's SHA-256 or a length does not match.
        case tampered
        /// The archive is encrypted with a key this server or tool does not have.
        case keyMissing = "key_missing"
        /// A key with the archive's key id is there, but it is not the key the archive was
        /// encrypted with.
        case wrongKey = "wrong_key"
        /// A segment would not decompress.
        case corrupt
        /// A file could not be read or written.
        case io
        /// The work was cancelled.
        case cancelled
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
