import Crypto
import Foundation
import GraphJSON

/// One 256-bit backup key and the id archives name it by.
public struct BackupKey: Sendable {
    public let id: String
    let key: SymmetricKey

    /// - Throws: when `base64` is not the base64 of exactly 32 bytes, or `id` is empty or longer
    ///   than 64 characters.
    public init(id: String, base64: String) throws {
        guard !id.isEmpty, id.count <= 64 else { throw BackupKeyError("a backup key id must be 1 to 64 characters, not '\(id)'") }
        guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw BackupKeyError("backup key '\(id)' is not the base64 of 32 bytes (make one with `openssl rand -base64 32`)")
        }
        self.id = id
        self.key = SymmetricKey(data: bytes)
    }
}

/// A backup key could not be read.
public struct BackupKeyError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The backup keys a node or tool has: the first one encrypts new archives, all of them decrypt
/// (so that a key can be rotated while older archives stay readable).
public struct BackupKeyRing: Sendable {
    public let keys: [BackupKey]

    public init(_ keys: [BackupKey]) {
        self.keys = keys
    }

    /// No keys: archives are written unencrypted, encrypted ones cannot be read.
    public static let empty = BackupKeyRing([])

    /// The key new archives are encrypted with.
    public var encryptionKey: BackupKey? { keys.first }

    public func key(id: String) -> BackupKey? { keys.first { $0.id == id } }

    /// Reads a key file: a JSON object `{"<key_id>": "<base64 of 32 bytes>", ...}`, in order (the
    /// first one encrypts).
    public static func parse(keyFile text: String) throws -> BackupKeyRing {
        guard let value = try? JSONValue(parsing: text), case .object(let object) = value else {
            throw BackupKeyError("a backup key file holds a JSON object {\"<key_id>\": \"<base64 key>\", ...}")
        }
        var keys: [BackupKey] = []
        for member in object.members {
            guard case .string(let base64) = member.value else {
                throw BackupKeyError("backup key '\(member.key)' must be a string (base64 of 32 bytes)")
            }
            if keys.contains(where: { $0.id == member.key }) { throw BackupKeyError("backup key id '\(member.key)' appears twice") }
            keys.append(try BackupKey(id: member.key, base64: base64))
        }
        guard !keys.isEmpty else { throw BackupKeyError("the backup key file holds no key") }
        return BackupKeyRing(keys)
    }

    /// The keys of a configuration: the file at `keyFile` when given, else `GRAPH_API_BACKUP_KEY`
    /// (key id `default`), else none.
    public static func load(keyFile: String?, environmentKey: String?) throws -> BackupKeyRing {
        if let keyFile {
            let text: String
            do {
                text = try String(contentsOfFile: keyFile, encoding: .utf8)
            } catch {
                throw BackupKeyError("cannot read the backup key file '\(keyFile)': \(error.localizedDescription)")
            }
            return try parse(keyFile: text)
        }
        if let environmentKey, !environmentKey.isEmpty {
            return BackupKeyRing([try BackupKey(id: "default", base64: environmentKey)])
        }
        return .empty
    }
}
