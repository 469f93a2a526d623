import BackupArchive
import Foundation
import GraphJSON
import Testing

/// Every way an archive can be damaged is found, and named.
@Suite struct ArchiveTamperTests {
    /// An archive of 4 segments; `encrypted` picks the key.
    func makeArchive(_ scratch: borrowing Scratch, encrypted: Bool, compression: BackupCompression = .zstd) throws -> String {
        let file = try scratch.file("graph.lbug", count: 4 * 8192 - 100, seed: 7)
        let archive = scratch.path + "/a-\(UUID().uuidString).gbak"
        _ = try ArchiveWriter.write(
            files: [file], manifest: ["graph_id": "g"], to: archive, compression: compression, key: encrypted ? testKey : nil, segmentSize: 8192
        )
        return archive
    }

    /// The byte ranges of the archive's segment records (record header + stored bytes).
    func segments(_ data: Data) -> [Range<Int>] {
        let bytes = [UInt8](data)
        let headerLength = Int(bytes[8]) << 24 | Int(bytes[9]) << 16 | Int(bytes[10]) << 8 | Int(bytes[11])
        var offset = 12 + headerLength
        var ranges: [Range<Int>] = []
        while offset < bytes.count - 40 {
            let stored = Int(bytes[offset + 4]) << 24 | Int(bytes[offset + 5]) << 16 | Int(bytes[offset + 6]) << 8 | Int(bytes[offset + 7])
            ranges.append(offset..<(offset + 9 + stored))
            offset += 9 + stored
        }
        return ranges
    }

    func failure(_ archive: String, keys: BackupKeyRing = BackupKeyRing([testKey])) -> BackupArchiveError? {
        do {
            _ = try ArchiveReader.extract(archive, to: nil, keys: keys)
            return nil
        } catch {
            return error as? BackupArchiveError
        }
    }

    func rewrite(_ archive: String, _ change: (inout Data) -> Void) throws {
        var data = try contents(archive)
        change(&data)
        try data.write(to: URL(fileURLWithPath: archive))
    }

    @Test(arguments: [true, false])
    func aChangedPayloadByteIsTampering(encrypted: Bool) throws {
        let scratch = try Scratch()
        let archive = try makeArchive(scratch, encrypted: encrypted, compression: .none)
        #expect(failure(archive) == nil)
        try rewrite(archive) { data in
            let second = segments(data)[1]
            data[second.lowerBound + 20] ^= 0x01
        }
        #expect(failure(archive)?.kind == .tampered)
    }

    @Test(arguments: [true, false])
    func reorderedSegmentsAreTampering(encrypted: Bool) throws {
        let scratch = try Scratch()
        let archive = try makeArchive(scratch, encrypted: encrypted)
        try rewrite(archive) { data in
            let ranges = segments(data)
            let (a, b) = (data[ranges[0]], data[ranges[1]])
            data.replaceSubrange(ranges[0].lowerBound..<ranges[1].upperBound, with: b + a)
        }
        #expect(failure(archive)?.kind == .tampered)
    }

    @Test(arguments: [true, false])
    func aRemovedSegmentIsTampering(encrypted: Bool) throws {
        let scratch = try Scratch()
        let archive = try makeArchive(scratch, encrypted: encrypted)
        try rewrite(archive) { data in data.removeSubrange(segments(data)[2]) }
        #expect(failure(archive)?.kind == .tampered)
    }

    @Test(arguments: [true, false])
    func aCutArchiveIsTruncated(encrypted: Bool) throws {
        let scratch = try Scratch()
        let archive = try makeArchive(scratch, encrypted: encrypted)
        let full = try contents(archive)
        let ranges = segments(full)
        // Inside the header, inside a segment, at a segment boundary, inside the trailer.
        for cut in [20, ranges[1].lowerBound + 30, ranges[2].lowerBound, full.count - 10] {
            try full.prefix(cut).write(to: URL(fileURLWithPath: archive))
            let kind = failure(archive)?.kind
            #expect(kind == .truncated, "cut at \(cut) of \(full.count): \(String(describing: kind))")
        }
    }

    @Test(arguments: [true, false])
    func aChangedHeaderIsTampering(encrypted: Bool) throws {
        let scratch = try Scratch()
        let archive = try makeArchive(scratch, encrypted: encrypted)
        try rewrite(archive) { data in
            let range = data.range(of: Data("\"graph_id\":\"g\"".utf8))!
            data[range.lowerBound + 12] = UInt8(ascii: "h")  // "g" -> "h": same length, still valid JSON
        }
        #expect(failure(archive)?.kind == .tampered)
    }

    @Test func bytesAfterTheEndAreTampering() throws {
        let scratch = try Scratch()
        let archive = try makeArchive(scratch, encrypted: true)
        try rewrite(archive) { $0.append(contentsOf: [1, 2, 3]) }
        #expect(failure(archive)?.kind == .tampered)
    }

    @Test func aWrongKeyAndAMissingKeyAreSaidSo() throws {
        let scratch = try Scratch()
        let archive = try makeArchive(scratch, encrypted: true)
        let wrong = failure(archive, keys: BackupKeyRing([otherKey]))
        #expect(wrong?.kind == .wrongKey)
        let missing = failure(archive, keys: .empty)
        #expect(missing?.kind == .keyMissing)
        #expect(missing?.message.contains("no backup key is configured") == true)
        let otherID = failure(archive, keys: BackupKeyRing([try BackupKey(id: "k2", base64: Data(repeating: 9, count: 32).base64EncodedString())]))
        #expect(otherID?.kind == .keyMissing)
        #expect(otherID?.message.contains("'k1'") == true)
    }

    @Test func notAnArchiveAndANewerFormatAreSaidSo() throws {
        let scratch = try Scratch()
        let path = scratch.path + "/x"
        try Data("hello, this is no archive".utf8).write(to: URL(fileURLWithPath: path))
        #expect(failure(path)?.kind == .notAnArchive)
        let archive = try makeArchive(scratch, encrypted: false)
        try rewrite(archive) { $0[7] = UInt8(ascii: "2") }
        #expect(failure(archive)?.kind == .unsupportedFormat)
    }

    @Test func extractionNeverWritesOutsideItsFolder() throws {
        let scratch = try Scratch()
        let file = try scratch.file("graph.lbug", count: 100, seed: 1)
        let archive = scratch.path + "/evil.gbak"
        #expect(throws: BackupArchiveError.self) {
            _ = try ArchiveWriter.write(files: [ArchiveSource(name: "../evil", path: file.path)], manifest: [:], to: archive, compression: .none, key: nil)
            _ = try ArchiveReader.extract(archive, to: try scratch.folder("out"), keys: .empty)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/evil"))
    }
}
