import Crypto
import Foundation
import GraphJSON

/// The layout of a Graph API backup archive (format 1), documented in the README:
///
///     "GAPIBK01"                      8 bytes, magic and format version
///     header length                   4 bytes, big-endian
///     header                          JSON (``ArchiveHeader``), readable without the key
///     segment × n                     each: plain length (4), stored length (4), flags (1), stored bytes
///     "GAPIEND1" + SHA-256            8 + 32 bytes: the digest of every byte before the trailer
///
/// The payload (the snapshot's files, one after the other, as the header lists them) is cut into
/// segments of `segment_size` bytes; each is compressed and then, when the archive is encrypted,
/// sealed with AES-256-GCM under a key derived for this archive (HKDF-SHA256 of the configured key
/// and the header's random salt), nonce = the header's random 8-byte prefix + the segment index.
/// The authenticated data of every segment binds the header's SHA-256, the segment index, its
/// flags (bit 0: last segment) and its plain length, so that a changed header, reordered, removed,
/// duplicated or cut segments, and changed bytes all fail a tag. The trailer's digest covers
/// unencrypted archives the same way, and lets a file be checked without its manifest.
public enum ArchiveFormat {
    static let magic = Array("GAPIBK01".utf8)
    static let trailerMagic = Array("GAPIEND1".utf8)
    static let segmentRecordSize = 9
    static let trailerSize = 8 + 32
    static let tagSize = 16
    static let lastSegmentFlag: UInt8 = 1
    /// The largest header accepted when reading (a header lists a handful of files).
    static let maxHeaderSize = 16 << 20
    /// The default payload bytes per segment.
    public static let defaultSegmentSize = 4 << 20
    static let hkdfInfo = Data("graph-api backup archive v1".utf8)
    static let keyCheckLabel = Data("graph-api backup key check".utf8)

    /// The additional authenticated data of one segment.
    static func authenticatedData(headerDigest: [UInt8], index: UInt64, flags: UInt8, plainLength: UInt32) -> [UInt8] {
        var bytes = headerDigest
        bytes.reserveCapacity(headerDigest.count + 13)
        withUnsafeBytes(of: index.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(flags)
        withUnsafeBytes(of: plainLength.bigEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    static func nonce(prefix: [UInt8], index: UInt64) throws -> AES.GCM.Nonce {
        guard index <= UInt64(UInt32.max) else { throw BackupArchiveError(.io, "too many segments for one archive") }
        var bytes = prefix
        withUnsafeBytes(of: UInt32(index).bigEndian) { bytes.append(contentsOf: $0) }
        return try AES.GCM.Nonce(data: bytes)
    }

    /// The key of one archive, and the value that tells a wrong key from a tampered archive.
    static func archiveKey(_ key: BackupKey, salt: [UInt8]) -> (key: SymmetricKey, check: [UInt8]) {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, salt: salt, info: hkdfInfo, outputByteCount: 32)
        let check = Array(HMAC<SHA256>.authenticationCode(for: keyCheckLabel, using: derived).prefix(16))
        return (derived, check)
    }
}

/// The header of an archive: what it holds and how it is sealed. Readable without the key.
public struct ArchiveHeader: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public var name: String
        public var size: Int64
    }

    public struct Encryption: Codable, Sendable, Equatable {
        public var algorithm: String
        public var keyID: String
        /// Base64 of the 32-byte HKDF salt.
        public var salt: String
        /// Base64 of the 8-byte nonce prefix.
        public var noncePrefix: String
        /// Base64 of 16 bytes that tell whether a key is the archive's key.
        public var keyCheck: String

        enum CodingKeys: String, CodingKey {
            case algorithm
            case keyID = "key_id"
            case salt
            case noncePrefix = "nonce_prefix"
            case keyCheck = "key_check"
        }
    }

    public var format: String
    public var version: Int
    public var compression: BackupCompression
    public var segmentSize: Int
    public var encryption: Encryption?
    public var files: [File]
    /// What the writer said about the contents (the backup's manifest, less what is known only
    /// once the archive is written).
    public var manifest: JSONValue

    public var payloadSize: Int64 { files.reduce(0) { $0 + $1.size } }

    enum CodingKeys: String, CodingKey {
        case format, version, compression
        case segmentSize = "segment_size"
        case encryption, files, manifest
    }

    static let formatName = "graph-api-backup"
}

/// What writing or reading an archive saw.
public struct ArchiveSummary: Sendable, Equatable {
    /// Payload bytes (the snapshot's files).
    public var plainBytes: Int64
    /// Bytes of the archive file.
    public var storedBytes: Int64
    /// Lowercase hex SHA-256 of the whole archive file.
    public var sha256: String
    public var segments: Int
}

/// One file to put into an archive.
public struct ArchiveSource: Sendable {
    /// The name it is stored and extracted under (no path separators).
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
