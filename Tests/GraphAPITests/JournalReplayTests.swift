import Foundation
import GraphAPITesting
import GraphEngine
import Logging
import Testing

@testable import GraphService

/// The journal on the engine itself, where the cases the API cannot force are made on purpose: a
/// checkpoint a reader pins (the engine keeps the log and appends its checkpoint record to it), a
/// commit that reached the log but not the journal (a process killed in between), a segment whose
/// last record was torn by a crash.
@Suite struct JournalReplayTests {
    struct Graph {
        let folder: String
        let path: String
        let journal: GraphJournal
        let database: Database
        let connection: Connection

        static let configuration = DatabaseConfiguration(bufferPoolSize: 64 * DatabaseConfiguration.mebibyte, autoCheckpoint: false)

        init(_ folder: String, retention: Duration = .seconds(3600), minimumRebaseBytes: UInt64 = 64 << 20) throws {
            self.folder = folder
            path = folder + "/graph.lbug"
            journal = try GraphJournal(
                folder: folder + "/journal", databasePath: path, retention: retention, minimumRebaseBytes: minimumRebaseBytes,
                logger: Logger(label: "test")
            )
            journal.reconcileBeforeOpen()
            database = try Database(path: path, configuration: Self.configuration, journal: journal)
            connection = try database.connect()
            try journal.afterOpen(connection)
        }

        /// A write as the server runs one: through ``Connection/writing(_:)``.
        func write(_ cypher: String) throws {
            _ = try connection.writing { try $0.query(cypher).close() }
        }

        func close() {
            connection.close()
            database.close()
        }
    }

    /// Runs `body` on a new graph in a temporary folder (removed afterwards), with tables P and K.
    static func withGraph(
        _ name: String, retention: Duration = .seconds(3600), minimumRebaseBytes: UInt64 = 64 << 20, _ body: (Graph, String) throws -> Void
    ) throws {
        let folder = TestServer.temporaryPath(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let graph = try Graph(folder, retention: retention, minimumRebaseBytes: minimumRebaseBytes)
        defer { graph.close() }
        try graph.write("CREATE NODE TABLE P(id INT64 PRIMARY KEY, name STRING, r DOUBLE)")
        try graph.write("CREATE REL TABLE K(FROM P TO P, w DOUBLE)")
        try body(graph, folder)
    }

    /// Every row of P and K, with internal ids.
    static func dump(_ connection: Connection) throws -> String {
        let nodes = try connection.query("MATCH (p:P) RETURN id(p), p.id, p.name, p.r ORDER BY offset(id(p))").allRows()
        let links = try connection.query("MATCH (a:P)-[k:K]->(b:P) RETURN id(k), a.id, b.id, k.w ORDER BY offset(id(k))").allRows()
        return "\(nodes)\n\(links)"
    }

    /// The graph rebuilt from the journal at `position`, dumped.
    static func replayed(_ journal: GraphJournal, to position: UInt64) throws -> String {
        let folder = TestServer.temporaryPath("journal-replay")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let replay = JournalReplay(journal)
        let plan = try replay.plan(.position(position))
        #expect(plan.position == position)
        try replay.materialize(plan, into: folder, configuration: Graph.configuration, isCancelled: { false })
        var readOnly = Graph.configuration
        readOnly.readOnly = true
        let database = try Database(path: folder + "/graph.lbug", configuration: readOnly)
        defer { database.close() }
        let connection = try database.connect()
        defer { connection.close() }
        return try dump(connection)
    }

    @Test func aPinnedCheckpointReplaysExactly() throws {
        try Self.withGraph("journal-pinned") { graph, _ in
            try graph.write("UNWIND range(1, 500) AS x CREATE (:P {id: x, name: 'p' + string(x), r: random()})")
            var snapshots: [(UInt64, String)] = [(graph.journal.lastPosition, try Self.dump(graph.connection))]

            let reader = try graph.database.connect()
            defer { reader.close() }
            try reader.query("BEGIN TRANSACTION READ ONLY").close()
            try reader.query("MATCH (p:P) RETURN count(p)").close()
            try graph.write("MATCH (a:P), (b:P) WHERE b.id = a.id + 1 AND a.id < 100 CREATE (a)-[:K {w: random()}]->(b)")
            try graph.connection.checkpoint()
            let logPath = WriteAheadLog.path(of: graph.path)
            #expect(GraphJournal.fileSize(logPath) > 0, "the reader should pin the checkpoint, leaving the log")
            snapshots.append((graph.journal.lastPosition, try Self.dump(graph.connection)))
            try graph.write("MATCH (p:P) WHERE p.id % 3 = 0 DETACH DELETE p")
            snapshots.append((graph.journal.lastPosition, try Self.dump(graph.connection)))
            try reader.query("COMMIT").close()
            try graph.write("MATCH (p:P) WHERE p.id % 5 = 1 SET p.name = 'five', p.r = random()")
            snapshots.append((graph.journal.lastPosition, try Self.dump(graph.connection)))
            try graph.connection.checkpoint()
            try graph.write("CREATE (:P {id: 9000, name: 'last', r: random()})")
            snapshots.append((graph.journal.lastPosition, try Self.dump(graph.connection)))

            #expect(Set(snapshots.map(\.1)).count == snapshots.count)
            for (position, expected) in snapshots {
                #expect(try Self.replayed(graph.journal, to: position) == expected, "position \(position)")
            }
        }
    }

    /// A commit in the log that the journal missed (the process died between the two) becomes an
    /// entry when the graph opens again; a torn record at the end of a segment is cut off.
    @Test func aCommitTheJournalMissedIsJournaledAtTheNextOpen() throws {
        let folder = TestServer.temporaryPath("journal-crash")
        let copy = folder + "-copy"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: copy)
        }
        let graph = try Graph(folder)
        try graph.write("CREATE NODE TABLE P(id INT64 PRIMARY KEY, name STRING, r DOUBLE)")
        try graph.write("CREATE REL TABLE K(FROM P TO P, w DOUBLE)")
        try graph.write("UNWIND range(1, 50) AS x CREATE (:P {id: x, name: 'p', r: random()})")
        let journaled = graph.journal.lastPosition
        // Committed, not journaled: what a kill between the two leaves.
        try graph.connection.query("CREATE (:P {id: 777, name: 'unjournaled', r: 0.5})").close()
        let expected = try Self.dump(graph.connection)
        // The files as the kill left them (the database is still open: nothing checkpointed).
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        graph.close()
        // And a torn record at the end of the last segment.
        let segment = copy + "/journal/" + (try GraphJournal.segmentFiles(in: copy + "/journal")).last!
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: JournalRecord(kind: .commit, continuous: false, position: 99, time: 0, logOffset: 0, payload: [1, 2, 3]).encoded().dropLast(2))
        try handle.close()

        let reopened = try Graph(copy)
        defer { reopened.close() }
        #expect(reopened.journal.lastPosition == journaled + 1)
        // An entry on the same base, not a new base after a gap.
        #expect(try JournalReplay(reopened.journal).plan(.position(journaled + 1)).basePosition == 1)
        #expect(try Self.dump(reopened.connection) == expected)
        #expect(try Self.replayed(reopened.journal, to: journaled + 1) == expected)
    }

    /// A write the journal could not record is refused before it commits: the chain is broken and
    /// no new base can be taken (here the journal's folder is a file). Once it can, the next
    /// write starts a new chain with a base, and restores reach it.
    @Test func aWriteTheJournalCannotRecordIsRefusedBeforeItCommits() throws {
        try Self.withGraph("journal-refuse") { graph, folder in
            try graph.write("CREATE (:P {id: 1, name: 'kept', r: 0.5})")
            let before = try Self.dump(graph.connection)
            graph.journal.breakChain("test")
            let journalFolder = folder + "/journal"
            try FileManager.default.moveItem(atPath: journalFolder, toPath: folder + "/journal-aside")
            try Data("not a folder".utf8).write(to: URL(fileURLWithPath: journalFolder))
            #expect(throws: ServiceError.self) { try graph.write("CREATE (:P {id: 2, name: 'refused', r: 0.5})") }
            #expect(try Self.dump(graph.connection) == before, "nothing was written")

            try FileManager.default.removeItem(atPath: journalFolder)
            try FileManager.default.moveItem(atPath: folder + "/journal-aside", toPath: journalFolder)
            try graph.write("CREATE (:P {id: 3, name: 'after', r: 0.5})")
            let after = try Self.dump(graph.connection)
            #expect(after != before)
            #expect(try Self.replayed(graph.journal, to: graph.journal.lastPosition) == after)
        }
    }

    /// The journal takes a new base once it grew past the data file's size, and removes the
    /// bases and segments that only entries older than ``GraphJournal/retention`` need: the disk
    /// it takes stays bounded, and restores inside the window still work.
    @Test func aGrownJournalTakesANewBaseAndPrunesWhatIsPastRetention() throws {
        try Self.withGraph("journal-prune", retention: .seconds(0), minimumRebaseBytes: 0) { graph, folder in
            let firstBase = try #require(graph.journal.window?.earliest.position)
            let early = graph.journal.lastPosition
            var written = 0
            while graph.journal.window?.earliest.position == firstBase, written < 5_000 {
                written += 1
                try graph.write("UNWIND range(1, 50) AS x CREATE (:P {id: \(written) * 100 + x, name: 'padding padding padding', r: random()})")
            }
            let window = try #require(graph.journal.window)
            #expect(window.earliest.position > firstBase, "a new base after \(written) writes")
            let journalFiles = try FileManager.default.contentsOfDirectory(atPath: folder + "/journal")
            #expect(!journalFiles.contains(GraphJournal.baseName(firstBase)), "\(journalFiles)")
            #expect(throws: ServiceError.self) { try JournalReplay(graph.journal).plan(.position(early)) }
            try graph.write("CREATE (:P {id: -1, name: 'last', r: 0.5})")
            #expect(try Self.replayed(graph.journal, to: graph.journal.lastPosition) == (try Self.dump(graph.connection)))
        }
    }

    /// A checkpoint the journal was not told of (not through ``Connection/checkpoint()``) empties
    /// the log under the descriptor the journal keeps open on it: the next write finds the log
    /// shorter than its entries say, and starts a new base that holds that write.
    @Test func aCheckpointTheJournalMissedStartsANewBaseWithTheNextWrite() throws {
        try Self.withGraph("journal-missed-checkpoint") { graph, _ in
            try graph.write("UNWIND range(1, 200) AS x CREATE (:P {id: x, name: 'padding padding padding', r: random()})")
            let before = graph.journal.lastPosition
            try graph.connection.query("CHECKPOINT").close()
            try graph.write("CREATE (:P {id: -1, name: 'after the checkpoint', r: 0.5})")
            #expect(graph.journal.lastPosition == before + 1)
            #expect(try Self.replayed(graph.journal, to: graph.journal.lastPosition) == (try Self.dump(graph.connection)))
        }
    }

    /// A COPY that announced a change of the data file and failed before the journal's base (its
    /// closing checkpoint threw) must not leave the journal waiting for that base: the next write
    /// takes it, and is journaled.
    @Test func aCopyThatFailedHalfWayLeavesNoGapBehind() throws {
        try Self.withGraph("journal-copy-failed") { graph, _ in
            try graph.journal.dataFileWillChange(graph.database)
            try graph.write("CREATE (:P {id: 1, name: 'after the failed copy', r: 0.5})")
            try graph.write("CREATE (:P {id: 2, name: 'and one more', r: 0.25})")
            #expect(try Self.replayed(graph.journal, to: graph.journal.lastPosition) == (try Self.dump(graph.connection)))
        }
    }
}
