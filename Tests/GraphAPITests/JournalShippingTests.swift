import Foundation
import GraphAPITesting
import HTTPTypes
import Logging
import NIOCore
import Testing

@testable import GraphService

/// The shipper's files at the destination, on an in-process node whose own rounds are an hour
/// apart (the test ships by hand).
@Suite(.serialized) struct JournalShippingTests {
    static func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test func basesAndShipmentsPastRetentionArePrunedButNotWhatAKeptBackupNeeds() async throws {
        try await TestServer.withServer(
            graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE P(id INT64 PRIMARY KEY)"])],
            configure: { $0.journalShipSeconds = 3600 }
        ) { server in
            let shipper = try #require(server.node.shipper)
            let id = try GraphID(validating: "g")
            func write(_ ids: ClosedRange<Int>) async throws {
                for n in ids {
                    let response = try await server.client.execute(
                        uri: "/databases/g/query", method: .post, body: .init(string: #"{"cypher":"CREATE (:P {id: \#(n)})"}"#))
                    #expect(response.status == .ok)
                }
            }
            try await write(1...3)
            try await shipper.ship(id)  // the first base, and a shipment
            try await write(4...6)
            try await shipper.ship(id)
            let backup = try await BackupRestoreTests.backup(server.client, "g")
            let backupPosition = try #require((backup["result"] as? [String: Any])?["journal_position"] as? Int)
            try await write(7...9)
            try await shipper.ship(id)
            let journal = try #require(try server.registry.journal(of: id))
            let newest = try await shipper.publishBase(of: id, journal: journal, cursor: journal.endCursor)
            try await write(10...12)
            try await shipper.ship(id)

            let folder = server.configuration.backupDirectory + "/g/journal"
            let shipmentsFolder = folder + "/" + journal.id
            let shipments = Self.names(shipmentsFolder).filter { $0.hasSuffix(".jrn") }
            let bases = Self.names(folder + "/bases").filter { $0.hasSuffix(".manifest.json") }
            #expect(bases.count == 2 && shipments.count >= 4, "\(bases) \(shipments)")
            // Within retention nothing goes.
            await shipper.prune(id, journalID: journal.id)
            #expect(Self.names(shipmentsFolder).filter { $0.hasSuffix(".jrn") } == shipments)
            #expect(Self.names(folder + "/bases").filter { $0.hasSuffix(".manifest.json") } == bases)

            // A day later: the older base goes; the shipments go up to the kept backup's position.
            await shipper.prune(id, journalID: journal.id, now: Date().addingTimeInterval(25 * 3600))
            let kept = Self.names(folder + "/bases").filter { $0.hasSuffix(".manifest.json") }
            #expect(kept.count == 1, "\(kept)")
            let manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/bases/" + kept[0])))
            #expect(manifest.journalPosition.map(UInt64.init) == newest.basePosition, "the newest base stays")
            #expect(Self.names(folder + "/bases").count == 2, "the newest base's archive and manifest")
            let needed = min(UInt64(backupPosition), newest.basePosition)
            for name in shipments {
                let range = try #require(PublishedStore.shipmentRange(name))
                let present = FileManager.default.fileExists(atPath: shipmentsFolder + "/" + name)
                #expect(present == (range.last >= needed), "\(name) (needed from \(needed))")
            }
            #expect(shipments.contains { PublishedStore.shipmentRange($0)!.last < needed }, "something should have been old enough to go")
        }
    }

    /// A graph deleted and made again publishes a new journal: the earlier journal's bases go at
    /// the new journal's first base, and its shipments go too but for those a kept backup of it
    /// still needs; once that backup is deleted, the rest go with their folder.
    @Test func anEarlierJournalsBasesAndShipmentsGoButNotWhatAKeptBackupNeeds() async throws {
        try await TestServer.withServer(
            graphs: [TestGraph(id: "g", ddl: ["CREATE NODE TABLE P(id INT64 PRIMARY KEY)"])],
            configure: { $0.journalShipSeconds = 3600 }
        ) { server in
            let shipper = try #require(server.node.shipper)
            let id = try GraphID(validating: "g")
            let folder = server.configuration.backupDirectory + "/g/journal"
            func write(_ ids: ClosedRange<Int>) async throws {
                for n in ids {
                    let response = try await server.client.send(.post, "/databases/g/query", json: #"{"cypher":"CREATE (:P {id: \#(n)})"}"#)
                    #expect(response.status == .ok)
                }
            }
            func bases() -> [String] { Self.names(folder + "/bases").filter { $0.hasSuffix(".manifest.json") } }

            try await write(1...3)
            try await shipper.ship(id)
            let first = try #require(try server.registry.journal(of: id)).id
            try await write(4...6)
            try await shipper.ship(id)
            let backup = try await BackupRestoreTests.backup(server.client, "g")
            let backupID = try #require((backup["result"] as? [String: Any])?["backup_id"] as? String)
            let backupPosition = try #require((backup["result"] as? [String: Any])?["journal_position"] as? Int)
            try await write(7...9)
            try await shipper.ship(id)
            let earlierShipments = Self.names(folder + "/" + first).filter { $0.hasSuffix(".jrn") }
            #expect(earlierShipments.count >= 3 && bases().count == 1, "\(earlierShipments) \(bases())")
            #expect(earlierShipments.contains { PublishedStore.shipmentRange($0)!.last < UInt64(backupPosition) }, "one should be old enough to go")
            #expect(earlierShipments.contains { PublishedStore.shipmentRange($0)!.last >= UInt64(backupPosition) }, "one should be kept")

            #expect(try await server.client.send(.delete, "/databases/g").status == .ok)
            let created = try await server.client.send(
                .post, "/databases", json: #"{"graph_id": "g", "schema_type": "custom", "custom_schema_ddl": "CREATE NODE TABLE P(id INT64 PRIMARY KEY)"}"#
            )
            #expect(created.status == .created)
            try await write(1...2)
            try await shipper.ship(id)  // the new journal's first base, which prunes the earlier journal
            let second = try #require(try server.registry.journal(of: id)).id
            #expect(second != first)
            let kept = bases()
            #expect(kept.count == 1, "only the new journal's base: \(kept)")
            let manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/bases/" + kept[0])))
            #expect(manifest.journalID == second)
            for name in earlierShipments {
                let range = try #require(PublishedStore.shipmentRange(name))
                let present = FileManager.default.fileExists(atPath: folder + "/" + first + "/" + name)
                #expect(present == (range.last >= UInt64(backupPosition)), "\(name) (the kept backup is at \(backupPosition))")
            }
            #expect(!Self.names(folder + "/" + second).isEmpty)

            // The backup deleted, nothing of the earlier journal is left.
            #expect(try await server.client.send(.delete, "/databases/g/backups/\(backupID)").status == .ok)
            await shipper.prune(id, journalID: second)
            #expect(!FileManager.default.fileExists(atPath: folder + "/" + first), "\(Self.names(folder + "/" + first))")
            #expect(bases() == kept && !Self.names(folder + "/" + second).isEmpty)
        }
    }

    /// What a shipper killed in the middle of a write leaves in a local destination (its
    /// temporary files) is removed when the node starts; published files stay.
    @Test func temporaryFilesOfAnInterruptedShipmentAreRemovedAtStart() throws {
        let root = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let journal = root + "/g/journal"
        try FileManager.default.createDirectory(atPath: journal + "/j1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: journal + "/bases", withIntermediateDirectories: true)
        for path in ["/head.json", "/.tmp-head.json", "/j1/1-2.jrn", "/j1/.tmp-3-4.jrn", "/bases/.tmp-b.manifest.json"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: journal + path))
        }
        let store = LocalBackupStore(root: root)
        store.removeLeftovers(logger: Logger(label: "test"))
        store.journalBases.removeLeftovers(logger: Logger(label: "test"))
        #expect(Self.names(journal) == ["bases", "head.json", "j1"])
        #expect(Self.names(journal + "/j1") == ["1-2.jrn"])
        #expect(Self.names(journal + "/bases") == [])
    }
}
