import Crypto
import Dispatch
import Foundation
import GraphJSON

/// Writes an archive (see ``ArchiveFormat``) from files that do not change while it runs.
///
/// Blocking: call it from a thread of your own (it uses up to `threads` more for compression and
/// encryption). Memory stays at about `2 × threads × segmentSize` whatever the files' size.
public enum ArchiveWriter {
    /// Writes `files` and `manifest` into a new file at `path` and syncs it.
    ///
    /// - Parameters:
    ///   - key: encrypts the archive when given.
    ///   - progress: called after each batch of segments with the payload bytes done so far.
    ///   - isCancelled: polled between batches; when it answers `true` the write stops with a
    ///     `cancelled` error (the caller removes the partial file).
    public static func write(
        files: [ArchiveSource], manifest: JSONValue, to path: String, compression: BackupCompression, key: BackupKey?,
        segmentSize: Int = ArchiveFormat.defaultSegmentSize, threads: Int = 2,
        progress: (Int64) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> ArchiveSummary {
        precondition(segmentSize > 0 && segmentSize <= Int(UInt32.max) / 2)
        let inputs = try files.map { try RawFile.openForReading($0.path) }
        var header = ArchiveHeader(
            format: ArchiveHeader.formatName, version: 1, compression: compression, segmentSize: segmentSize, encryption: nil,
            files: try zip(files, inputs).map { ArchiveHeader.File(name: $0.name, size: try $1.size) }, manifest: manifest
        )
        var sealing: (key: SymmetricKey, prefix: [UInt8])?
        if let key {
            let salt = randomBytes(32)
            let prefix = randomBytes(8)
            let derived = ArchiveFormat.archiveKey(key, salt: salt)
            header.encryption = ArchiveHeader.Encryption(
                algorithm: "AES-256-GCM", keyID: key.id, salt: Data(salt).base64EncodedString(), noncePrefix: Data(prefix).base64EncodedString(),
                keyCheck: Data(derived.check).base64EncodedString()
            )
            sealing = (derived.key, prefix)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let headerBytes = Array(try encoder.encode(header))
        let headerDigest = Array(SHA256.hash(data: headerBytes))

        let output = try RawFile.create(path)
        var body = SHA256()
        var whole = SHA256()
        var stored: Int64 = 0
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            try output.write(bytes)
            body.update(bufferPointer: bytes)
            whole.update(bufferPointer: bytes)
            stored += Int64(bytes.count)
        }
        var prefix = ArchiveFormat.magic
        withUnsafeBytes(of: UInt32(headerBytes.count).bigEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: headerBytes)
        try prefix.withUnsafeBytes { try emit($0) }

        let total = header.payloadSize
        let segmentCount = max(1, Int((total + Int64(segmentSize) - 1) / Int64(segmentSize)))
        let jobs = (0..<max(1, threads)).map { _ in WriteJob(segmentSize: segmentSize, compression: compression) }
        var reader = PayloadReader(files: inputs)
        var index = 0
        var done: Int64 = 0
        while index < segmentCount {
            if isCancelled() { throw BackupArchiveError(.cancelled, "the backup was cancelled") }
            let batch = min(jobs.count, segmentCount - index)
            for slot in 0..<batch {
                let job = jobs[slot]
                job.index = UInt64(index + slot)
                job.isLast = index + slot == segmentCount - 1
                job.plainLength = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: job.input[0..<segmentSize]))
                job.error = nil
            }
            let sealingKey = sealing
            DispatchQueue.concurrentPerform(iterations: batch) { slot in
                jobs[slot].run(sealing: sealingKey, headerDigest: headerDigest)
            }
            for slot in 0..<batch {
                let job = jobs[slot]
                if let error = job.error { throw error }
                var record: [UInt8] = []
                withUnsafeBytes(of: UInt32(job.plainLength).bigEndian) { record.append(contentsOf: $0) }
                withUnsafeBytes(of: UInt32(job.storedLength).bigEndian) { record.append(contentsOf: $0) }
                record.append(job.isLast ? ArchiveFormat.lastSegmentFlag : 0)
                try record.withUnsafeBytes { try emit($0) }
                try job.withStored { try emit($0) }
                done += Int64(job.plainLength)
            }
            index += batch
            progress(done)
        }
        guard done == total, try reader.atEnd() else {
            throw BackupArchiveError(.io, "a file changed size while it was archived")
        }
        var trailer = ArchiveFormat.trailerMagic
        trailer.append(contentsOf: Array(body.finalize()))
        try trailer.withUnsafeBytes { bytes in
            try output.write(bytes)
            whole.update(bufferPointer: bytes)
            stored += Int64(bytes.count)
        }
        try output.sync()
        try output.close()
        return ArchiveSummary(plainBytes: total, storedBytes: stored, sha256: Array(whole.finalize()).hexString, segments: segmentCount)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// Reads the files one after the other as one stream.
struct PayloadReader {
    let files: [RawFile]
    private var current = 0

    init(files: [RawFile]) {
        self.files = files
    }

    /// Fills `buffer` from the files in order; fewer bytes only at the end of the last one.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count, current < files.count {
            let n = try files[current].readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            done += n
            if done < buffer.count { current += 1 }
        }
        return done
    }

    mutating func atEnd() throws -> Bool {
        var probe: UInt8 = 0
        return try withUnsafeMutableBytes(of: &probe) { try read(into: $0) } == 0
    }
}

/// One segment's work, done on one of the writer's threads (each job is touched by one thread
/// at a time: filled by the writer, then run by one iteration of `concurrentPerform`).
final class WriteJob: @unchecked Sendable {
    let input: UnsafeMutableRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    let codec: SegmentCodec
    var index: UInt64 = 0
    var isLast = false
    var plainLength = 0
    var compressedLength = 0
    var sealed: Data?
    var error: (any Error)?

    init(segmentSize: Int, compression: BackupCompression) {
        codec = SegmentCodec(compression)
        input = .allocate(byteCount: segmentSize, alignment: 16)
        output = .allocate(byteCount: codec.bound(segmentSize), alignment: 16)
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    var storedLength: Int { sealed?.count ?? compressedLength }

    func withStored<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let sealed { return try sealed.withUnsafeBytes(body) }
        return try body(UnsafeRawBufferPointer(rebasing: output[0..<compressedLength]))
    }

    func run(sealing: (key: SymmetricKey, prefix: [UInt8])?, headerDigest: [UInt8]) {
        do {
            sealed = nil
            compressedLength = try codec.compress(UnsafeRawBufferPointer(rebasing: input[0..<plainLength]), into: output)
            guard let sealing else { return }
            let aad = ArchiveFormat.authenticatedData(
                headerDigest: headerDigest, index: index, flags: isLast ? ArchiveFormat.lastSegmentFlag : 0, plainLength: UInt32(plainLength)
            )
            let box = try AES.GCM.seal(
                UnsafeRawBufferPointer(rebasing: output[0..<compressedLength]), using: sealing.key,
                nonce: try ArchiveFormat.nonce(prefix: sealing.prefix, index: index), authenticating: aad
            )
            var bytes = box.ciphertext
            bytes.append(box.tag)
            sealed = bytes
        } catch {
            self.error = error
        }
    }
}
