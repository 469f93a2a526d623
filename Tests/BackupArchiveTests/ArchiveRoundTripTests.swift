import BackupArchive
import Foundation
import GraphJSON
import Testing

/// A temporary folder with files of known contents, removed afterwards.
struct Scratch: ~Copyable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/backup-archive-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `count` bytes that compress somewhat (like an engine file: runs and noise).
    func file(_ name: String, count: Int, seed: UInt64) throws -> ArchiveSource {
        var generator = SplitMix(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            let run = Int(generator.next() % 64) + 1
            let value = UInt8(truncatingIfNeeded: generator.next())
            let noisy = generator.next() % 2 == 0
            for j in i..<min(count, i + run) { bytes[j] = noisy ? UInt8(truncatingIfNeeded: generator.next()) : value }
            i += run
        }
        let path = self.path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return ArchiveSource(name: name, path: path)
    }

    func folder(_ name: String) throws -> String {
        let folder = path + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let testKey = try! BackupKey(id: "k1", base64: Data((0..<32).map { UInt8($0) }).base64EncodedString())
let otherKey = try! BackupKey(id: "k1", base64: Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString())

func contents(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

@Suite struct ArchiveRoundTripTests {
    @Test(arguments: BackupCompression.allCases, [true, false])
    func filesComeBackByteForByte(compression: BackupCompression, encrypted: Bool) throws {
        let scratch = try Scratch()
        let files = [
            try scratch.file("graph.lbug", count: 300_000, seed: 1),
            try scratch.file("graph.lbug.wal", count: 0, seed: 2),
            try scratch.file("graph.lbug.pinned.tmp", count: 4096 * 3, seed: 3),
        ]
        let archive = scratch.path + "/a.gbak"
        let manifest: JSONValue = ["graph_id": "g1", "tables": ["Person": 3]]
        let written = try ArchiveWriter.write(
            files: files, manifest: manifest, to: archive, compression: compression, key: encrypted ? testKey : nil, segmentSize: 64 * 1024
        )
        #expect(written.plainBytes == 300_000 + 12_288)
        #expect(written.storedBytes == Int64(try contents(archive).count))
        #expect(written.sha256 == (try ArchiveReader.sha256(ofFile: archive)))
        #expect(written.segments == 5)

        let header = try ArchiveReader.header(of: archive)
        #expect(header.manifest == manifest)
        #expect(header.compression == compression)
        #expect(header.encryption?.keyID == (encrypted ? "k1" : nil))
        #expect(header.files.map(\.name) == ["graph.lbug", "graph.lbug.wal", "graph.lbug.pinned.tmp"])

        let out = try scratch.folder("out")
        let read = try ArchiveReader.extract(archive, to: out, keys: BackupKeyRing([testKey]))
        #expect(read == written)
        for file in files {
            #expect(try contents(out + "/" + file.name) == (try contents(file.path)))
        }
    }

    @Test func anEmptyPayloadIsOneLastSegment() throws {
        let scratch = try Scratch()
        let archive = scratch.path + "/a.gbak"
        let written = try ArchiveWriter.write(files: [], manifest: [:], to: archive, compression: .zstd, key: testKey)
        #expect(written.segments == 1)
        #expect(try ArchiveReader.extract(archive, to: nil, keys: BackupKeyRing([testKey])).plainBytes == 0)
    }

    @Test func anEncryptedArchiveDoesNotHoldThePlainBytes() throws {
        let scratch = try Scratch()
        let text = String(repeating: "a secret that must not be readable in the archive; ", count: 2000)
        let path = scratch.path + "/graph.lbug"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let plain = scratch.path + "/plain.gbak"
        let sealed = scratch.path + "/sealed.gbak"
        _ = try ArchiveWriter.write(files: [ArchiveSource(name: "graph.lbug", path: path)], manifest: [:], to: plain, compression: .none, key: nil)
        _ = try ArchiveWriter.write(files: [ArchiveSource(name: "graph.lbug", path: path)], manifest: [:], to: sealed, compression: .none, key: testKey)
        let needle = Data("a secret that must not".utf8)
        #expect(try contents(plain).range(of: needle) != nil)
        #expect(try contents(sealed).range(of: needle) == nil)
    }

    @Test func keyFilesKeepTheirOrderAndRefuseBadKeys() throws {
        let a = Data(repeating: 1, count: 32).base64EncodedString()
        let b = Data(repeating: 2, count: 32).base64EncodedString()
        let ring = try BackupKeyRing.parse(keyFile: "{\"new\": \"\(b)\", \"old\": \"\(a)\"}")
        #expect(ring.keys.map(\.id) == ["new", "old"])
        #expect(ring.encryptionKey?.id == "new")
        #expect(throws: BackupKeyError.self) { try BackupKeyRing.parse(keyFile: "{\"k\": \"c2hvcnQ=\"}") }
        #expect(throws: BackupKeyError.self) { try BackupKeyRing.parse(keyFile: "[]") }
        #expect(throws: BackupKeyError.self) { try BackupKeyRing.parse(keyFile: "{}") }
        #expect(try BackupKeyRing.load(keyFile: nil, environmentKey: a).encryptionKey?.id == "default")
        #expect(try BackupKeyRing.load(keyFile: nil, environmentKey: nil).keys.isEmpty)
    }
}
