import Crypto
import Dispatch
import Foundation
import GraphJSON

/// Reads and checks archives (see ``ArchiveFormat``).
///
/// Blocking: call it from a thread of your own. Every byte is checked before it is trusted: the
/// header's shape, each segment's lengths, flags and tag (encrypted) or the trailer's digest,
/// the order and count of segments, and the files' sizes.
public enum ArchiveReader {
    /// Reads the header alone (no key needed).
    public static func header(of path: String) throws -> ArchiveHeader {
        let file = try RawFile.openForReading(path)
        return try readHeader(file).header
    }

    /// Checks the whole archive and, when `folder` is given, writes its files there (the folder
    /// must exist; files are created new and synced). Stops at the first fault with an error that
    /// names it. Returns what it read.
    public static func extract(
        _ path: String, to folder: String?, keys: BackupKeyRing, threads: Int = 2,
        progress: (Int64) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> ArchiveSummary {
        let file = try RawFile.openForReading(path)
        let fileSize = try file.size
        let (header, headerBytes) = try readHeader(file)
        let headerDigest = Array(SHA256.hash(data: headerBytes))
        // The running digest of every byte before the trailer; the whole file's digest continues it.
        var body = SHA256()
        var prefix = ArchiveFormat.magic
        withUnsafeBytes(of: UInt32(headerBytes.count).bigEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: headerBytes)
        body.update(data: prefix)
        var position = Int64(prefix.count)

        var opening: (key: SymmetricKey, prefix: [UInt8])?
        if let encryption = header.encryption {
            guard encryption.algorithm == "AES-256-GCM" else {
                throw BackupArchiveError(.unsupportedFormat, "the archive is encrypted with '\(encryption.algorithm)', which this build cannot read")
            }
            guard let key = keys.key(id: encryption.keyID) else {
                throw BackupArchiveError(
                    .keyMissing,
                    keys.keys.isEmpty
                        ? "the archive is encrypted (key id '\(encryption.keyID)') and no backup key is configured"
                        : "the archive is encrypted with key id '\(encryption.keyID)', which is not among the configured keys (\(keys.keys.map(\.id).joined(separator: ", ")))"
                )
            }
            guard let salt = Data(base64Encoded: encryption.salt), salt.count == 32,
                let noncePrefix = Data(base64Encoded: encryption.noncePrefix), noncePrefix.count == 8,
                let check = Data(base64Encoded: encryption.keyCheck)
            else {
                throw BackupArchiveError(.tampered, "the archive's encryption header is malformed")
            }
            let derived = ArchiveFormat.archiveKey(key, salt: Array(salt))
            guard derived.check == Array(check) else {
                throw BackupArchiveError(
                    .wrongKey, "the configured key '\(encryption.keyID)' is not the key this archive was encrypted with (wrong key, or the header was changed)"
                )
            }
            opening = (derived.key, Array(noncePrefix))
        }

        var writer = try folder.map { try PayloadWriter(folder: $0, files: header.files) }
        let total = header.payloadSize
        let segmentSize = header.segmentSize
        let expectedSegments = max(1, Int((total + Int64(segmentSize) - 1) / Int64(segmentSize)))
        let codecBound = SegmentCodec(header.compression).bound(segmentSize)
        let maxStored = codecBound + (opening == nil ? 0 : ArchiveFormat.tagSize)
        let jobs = (0..<max(1, threads)).map { _ in ReadJob(segmentSize: segmentSize, storedCapacity: maxStored, compression: header.compression) }
        var index = 0
        var done: Int64 = 0
        var sawLast = false
        while !sawLast {
            if isCancelled() { throw BackupArchiveError(.cancelled, "cancelled") }
            var batch = 0
            while batch < jobs.count, !sawLast {
                let job = jobs[batch]
                var record = [UInt8](repeating: 0, count: ArchiveFormat.segmentRecordSize)
                let n = try record.withUnsafeMutableBytes { try file.readFully(into: $0) }
                guard n == record.count else {
                    throw BackupArchiveError(.truncated, "the archive ends after \(position + Int64(n)) of its bytes, inside segment \(index + batch)")
                }
                let plain = Int(UInt32(bigEndian: record.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self) }))
                let stored = Int(UInt32(bigEndian: record.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }))
                let flags = record[8]
                guard plain <= segmentSize, stored <= maxStored, flags & ~ArchiveFormat.lastSegmentFlag == 0 else {
                    throw BackupArchiveError(.tampered, "segment \(index + batch) has impossible lengths or flags: the archive was changed")
                }
                body.update(data: record)
                job.storedLength = stored
                let got = try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: job.stored[0..<stored]))
                guard got == stored else {
                    throw BackupArchiveError(.truncated, "the archive ends inside segment \(index + batch)")
                }
                body.update(bufferPointer: UnsafeRawBufferPointer(rebasing: job.stored[0..<stored]))
                position += Int64(record.count + stored)
                job.index = UInt64(index + batch)
                job.flags = flags
                job.plainLength = plain
                job.error = nil
                sawLast = flags & ArchiveFormat.lastSegmentFlag != 0
                batch += 1
            }
            let openingKey = opening
            DispatchQueue.concurrentPerform(iterations: batch) { slot in
                jobs[slot].run(opening: openingKey, headerDigest: headerDigest)
            }
            for slot in 0..<batch {
                let job = jobs[slot]
                if let error = job.error { throw error }
                let isLastOfArchive = Int(job.index) == expectedSegments - 1
                // Segments are full but the last; the last is flagged and no other is.
                guard (job.flags & ArchiveFormat.lastSegmentFlag != 0) == isLastOfArchive,
                    isLastOfArchive || job.plainLength == segmentSize, Int(job.index) < expectedSegments
                else {
                    throw BackupArchiveError(
                        .tampered,
                        "segment \(job.index) is out of place (\(expectedSegments) segments expected): the archive was changed or cut"
                    )
                }
                try writer?.write(job.plain)
                done += Int64(job.plainLength)
            }
            index += batch
            progress(done)
        }
        guard done == total else {
            throw BackupArchiveError(.tampered, "the archive holds \(done) payload bytes, its header says \(total)")
        }
        var trailer = [UInt8](repeating: 0, count: ArchiveFormat.trailerSize)
        let n = try trailer.withUnsafeMutableBytes { try file.readFully(into: $0) }
        guard n == trailer.count else { throw BackupArchiveError(.truncated, "the archive ends before its trailer (\(position + Int64(n)) bytes)") }
        var whole = body
        guard Array(trailer[0..<8]) == ArchiveFormat.trailerMagic, Array(trailer[8...]) == Array(body.finalize()) else {
            throw BackupArchiveError(.tampered, "the archive's SHA-256 trailer does not match its contents: the archive was changed")
        }
        whole.update(data: trailer)
        position += Int64(trailer.count)
        guard position == fileSize else {
            throw BackupArchiveError(.tampered, "the archive has \(fileSize - position) bytes after its end")
        }
        try writer?.finish()
        return ArchiveSummary(plainBytes: total, storedBytes: position, sha256: Array(whole.finalize()).hexString, segments: index)
    }

    /// The SHA-256 of a file, as lowercase hex.
    public static func sha256(ofFile path: String) throws -> String {
        let file = try RawFile.openForReading(path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            let n = try file.readFully(into: buffer)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return Array(hasher.finalize()).hexString
    }

    static func readHeader(_ file: RawFile) throws -> (header: ArchiveHeader, bytes: [UInt8]) {
        var start = [UInt8](repeating: 0, count: 12)
        let n = try start.withUnsafeMutableBytes { try file.readFully(into: $0) }
        guard n >= 8, Array(start[0..<6]) == Array(ArchiveFormat.magic[0..<6]) else {
            throw BackupArchiveError(.notAnArchive, "'\(file.path)' is not a Graph API backup archive")
        }
        guard Array(start[0..<8]) == ArchiveFormat.magic else {
            throw BackupArchiveError(
                .unsupportedFormat, "'\(file.path)' is a backup archive of format \(String(decoding: start[6..<8], as: UTF8.self)), which this build cannot read (it reads 01)"
            )
        }
        guard n == 12 else { throw BackupArchiveError(.truncated, "the archive ends inside its header") }
        let length = Int(UInt32(bigEndian: start.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }))
        guard length <= ArchiveFormat.maxHeaderSize else { throw BackupArchiveError(.tampered, "the archive's header length is impossible") }
        var bytes = [UInt8](repeating: 0, count: length)
        let got = try bytes.withUnsafeMutableBytes { try file.readFully(into: $0) }
        guard got == length else { throw BackupArchiveError(.truncated, "the archive ends inside its header") }
        let header: ArchiveHeader
        do {
            header = try JSONDecoder().decode(ArchiveHeader.self, from: Data(bytes))
        } catch {
            throw BackupArchiveError(.tampered, "the archive's header is not readable: \(error)")
        }
        guard header.format == ArchiveHeader.formatName, header.version == 1 else {
            throw BackupArchiveError(.unsupportedFormat, "the archive's header is of format '\(header.format)' version \(header.version)")
        }
        guard header.segmentSize > 0, header.segmentSize <= 256 << 20, header.files.allSatisfy({ $0.size >= 0 && Self.isPlainName($0.name) }) else {
            throw BackupArchiveError(.tampered, "the archive's header lists impossible files or sizes")
        }
        return (header, bytes)
    }

    /// A file name that stays inside the folder it is extracted to.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0") && name.utf8.count <= 255
    }
}

/// Writes the payload stream into the header's files, one after the other.
struct PayloadWriter {
    let folder: String
    let files: [ArchiveHeader.File]
    private var current = -1
    private var remaining: Int64 = 0
    private var output: RawFile?

    init(folder: String, files: [ArchiveHeader.File]) throws {
        self.folder = folder
        self.files = files
        guard Set(files.map(\.name)).count == files.count else { throw BackupArchiveError(.tampered, "the archive lists a file twice") }
        try advance()
    }

    private mutating func advance() throws {
        while remaining == 0 {
            if let output {
                try output.sync()
                try output.close()
                self.output = nil
            }
            current += 1
            guard current < files.count else { return }
            output = try RawFile.create(folder + "/" + files[current].name)
            remaining = files[current].size
        }
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            guard let output else { throw BackupArchiveError(.tampered, "the archive holds more bytes than its files") }
            let n = Int(min(Int64(bytes.count - offset), remaining))
            try output.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
            remaining -= Int64(n)
            try advance()
        }
    }

    mutating func finish() throws {
        try advance()
        guard current >= files.count else { throw BackupArchiveError(.tampered, "the archive holds fewer bytes than its files") }
        RawFile.syncDirectory(folder)
    }
}

/// One segment's checks and decoding, done on one of the reader's threads.
final class ReadJob: @unchecked Sendable {
    let stored: UnsafeMutableRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    let codec: SegmentCodec
    var storedLength = 0
    var index: UInt64 = 0
    var flags: UInt8 = 0
    var plainLength = 0
    var error: (any Error)?

    init(segmentSize: Int, storedCapacity: Int, compression: BackupCompression) {
        codec = SegmentCodec(compression)
        stored = .allocate(byteCount: max(1, storedCapacity), alignment: 16)
        output = .allocate(byteCount: max(1, segmentSize), alignment: 16)
    }

    deinit {
        stored.deallocate()
        output.deallocate()
    }

    var plain: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: output[0..<plainLength]) }

    func run(opening: (key: SymmetricKey, prefix: [UInt8])?, headerDigest: [UInt8]) {
        do {
            let destination = UnsafeMutableRawBufferPointer(rebasing: output[0..<plainLength])
            guard let opening else {
                try codec.decompress(UnsafeRawBufferPointer(rebasing: stored[0..<storedLength]), into: destination)
                return
            }
            guard storedLength >= ArchiveFormat.tagSize else {
                throw BackupArchiveError(.tampered, "segment \(index) is too short to be sealed: the archive was changed")
            }
            let cut = storedLength - ArchiveFormat.tagSize
            let aad = ArchiveFormat.authenticatedData(headerDigest: headerDigest, index: index, flags: flags, plainLength: UInt32(plainLength))
            let compressed: Data
            do {
                let box = try AES.GCM.SealedBox(
                    nonce: try ArchiveFormat.nonce(prefix: opening.prefix, index: index),
                    ciphertext: UnsafeRawBufferPointer(rebasing: stored[0..<cut]),
                    tag: UnsafeRawBufferPointer(rebasing: stored[cut..<storedLength])
                )
                compressed = try AES.GCM.open(box, using: opening.key, authenticating: aad)
            } catch {
                throw BackupArchiveError(
                    .tampered, "segment \(index) fails its authentication tag: the archive was changed, cut or its segments reordered"
                )
            }
            try compressed.withUnsafeBytes { try codec.decompress($0, into: destination) }
        } catch {
            self.error = error
        }
    }
}
