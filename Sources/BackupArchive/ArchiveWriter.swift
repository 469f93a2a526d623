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

        let output = ArchiveOutput(try RawFile.create(path))
        var prefix = ArchiveFormat.magic
        withUnsafeBytes(of: UInt32(headerBytes.count).bigEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: headerBytes)
        try prefix.withUnsafeBytes { try output.emit($0) }

        // Two sets of jobs: while one set's segments are written (on `writer`, in order), the
        // next set is read and compressed, so that the writes and hashing overlap compression.
        let total = header.payloadSize
        let segmentCount = max(1, Int((total + Int64(segmentSize) - 1) / Int64(segmentSize)))
        let width = max(1, threads)
        let sets = (0..<2).map { _ in (0..<width).map { _ in WriteJob(segmentSize: segmentSize, compression: compression) } }
        let free = (0..<2).map { _ in DispatchSemaphore(value: 1) }
        let writer = DispatchQueue(label: "graph-api.archive-writer")
        var reader = PayloadReader(files: inputs)
        var index = 0
        var done: Int64 = 0
        var turn = 0
        func drain() {
            for semaphore in free {
                semaphore.wait()
                semaphore.signal()
            }
        }
        do {
            while index < segmentCount {
                if isCancelled() { throw BackupArchiveError(.cancelled, "the backup was cancelled") }
                try output.check()
                let jobs = sets[turn]
                let semaphore = free[turn]
                semaphore.wait()
                let batch = min(width, segmentCount - index)
                do {
                    for slot in 0..<batch {
                        let job = jobs[slot]
                        job.index = UInt64(index + slot)
                        job.isLast = index + slot == segmentCount - 1
                        job.plainLength = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: job.input[0..<segmentSize]))
                        job.error = nil
                    }
                } catch {
                    semaphore.signal()
                    throw error
                }
                let sealingKey = sealing
                DispatchQueue.concurrentPerform(iterations: batch) { slot in
                    jobs[slot].run(sealing: sealingKey, headerDigest: headerDigest)
                }
                if let error = jobs.prefix(batch).compactMap(\.error).first {
                    semaphore.signal()
                    throw error
                }
                let batchJobs = UncheckedJobs(jobs: Array(jobs.prefix(batch)))
                writer.async {
                    defer { semaphore.signal() }
                    output.write(batchJobs.jobs)
                }
                for job in jobs.prefix(batch) { done += Int64(job.plainLength) }
                index += batch
                turn = 1 - turn
                progress(done)
            }
            drain()
            try output.check()
        } catch {
            drain()
            throw error
        }
        guard done == total, try reader.atEnd() else {
            throw BackupArchiveError(.io, "a file changed size while it was archived")
        }
        return try output.finish(plainBytes: total, segments: segmentCount)
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

/// Jobs handed to the writer queue (each touched by one thread at a time: the semaphore of its
/// set is held until the writer is done with it).
struct UncheckedJobs: @unchecked Sendable {
    let jobs: [WriteJob]
}

/// The archive file being written, with the running SHA-256 of its bytes; used by one thread at
/// a time (the caller, then the writer queue in order), the first error kept.
final class ArchiveOutput: @unchecked Sendable {
    private let file: RawFile
    private var hash = SHA256()
    private var stored: Int64 = 0
    private let lock = NSLock()
    private var failure: (any Error)?

    init(_ file: RawFile) {
        self.file = file
    }

    func emit(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
        hash.update(bufferPointer: bytes)
        stored += Int64(bytes.count)
    }

    /// Writes each job's record and stored bytes, in order; keeps the first error.
    func write(_ jobs: [WriteJob]) {
        guard lock.withLock({ failure == nil }) else { return }
        do {
            for job in jobs {
                var record: [UInt8] = []
                withUnsafeBytes(of: UInt32(job.plainLength).bigEndian) { record.append(contentsOf: $0) }
                withUnsafeBytes(of: UInt32(job.storedLength).bigEndian) { record.append(contentsOf: $0) }
                record.append(job.isLast ? ArchiveFormat.lastSegmentFlag : 0)
                try record.withUnsafeBytes { try emit($0) }
                try job.withStored { try emit($0) }
            }
        } catch {
            lock.withLock { failure = error }
        }
    }

    /// Throws the writer's first error, if any.
    func check() throws {
        if let error = lock.withLock({ failure }) { throw error }
    }

    /// Appends the trailer (the digest of every byte so far), syncs and closes; the digest of the
    /// whole file is the running hash of those bytes continued over the trailer.
    func finish(plainBytes: Int64, segments: Int) throws -> ArchiveSummary {
        var whole = hash
        var trailer = ArchiveFormat.trailerMagic
        trailer.append(contentsOf: Array(hash.finalize()))
        try trailer.withUnsafeBytes { bytes in
            try file.write(bytes)
            whole.update(bufferPointer: bytes)
        }
        try file.sync()
        try file.close()
        return ArchiveSummary(
            plainBytes: plainBytes, storedBytes: stored + Int64(trailer.count), sha256: Array(whole.finalize()).hexString, segments: segments
        )
    }
}
