import Foundation
import Logging
import Testing

@testable import GraphService

/// A swap of a graph's engine files (restore, rebuild) killed half-way is finished at the next
/// start, whichever rename it stopped at: the graph never holds a mix of old and new files.
@Suite struct SwapIntentTests {
    func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
    func read(_ path: String) -> String? { (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) } }

    /// Lays out a swap of `old` files for `new` ones, applies the first `steps` renames of it
    /// (old files to the trash, then new files in), and leaves the intent as a crash would.
    func interruptedSwap(after steps: Int) throws -> (databases: String, live: String) {
        let databases = FileManager.default.temporaryDirectory.path + "/swap-intent-\(UUID().uuidString)"
        let live = databases + "/g"
        let replacement = databases + "/.restore-g-1"
        let trash = databases + "/.replaced-g-1"
        for folder in [live, replacement, trash] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try write("old data", live + "/graph.lbug")
        try write("old wal", live + "/graph.lbug.wal")
        try write("metadata", live + "/metadata.json")
        try write("new data", replacement + "/graph.lbug")
        try write("new wal", replacement + "/graph.lbug.wal")
        try write("new marker", replacement + "/graph.lbug.pinned.tmp")
        let intent = SwapIntent(
            live: live, replacement: replacement, trash: trash, old: ["graph.lbug", "graph.lbug.wal"],
            new: ["graph.lbug", "graph.lbug.pinned.tmp", "graph.lbug.wal"]
        )
        try intent.write(to: databases + "/.swap-g.json")
        var renames: [(String, String)] = intent.old.map { (live + "/" + $0, trash + "/" + $0) }
        renames += intent.new.map { (replacement + "/" + $0, live + "/" + $0) }
        for (from, to) in renames.prefix(steps) { try FileManager.default.moveItem(atPath: from, toPath: to) }
        return (databases, live)
    }

    @Test(arguments: 0...5)
    func aSwapStoppedAfterAnyRenameIsFinished(steps: Int) throws {
        let (databases, live) = try interruptedSwap(after: steps)
        defer { try? FileManager.default.removeItem(atPath: databases) }
        GraphRegistry.finishInterruptedSwaps(in: databases, logger: Logger(label: "test"))
        #expect(read(live + "/graph.lbug") == "new data")
        #expect(read(live + "/graph.lbug.wal") == "new wal")
        #expect(read(live + "/graph.lbug.pinned.tmp") == "new marker")
        #expect(read(live + "/metadata.json") == "metadata")
        #expect(try FileManager.default.contentsOfDirectory(atPath: databases).sorted() == ["g"])
    }
}
