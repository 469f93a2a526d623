import Foundation
import GraphAPITesting
import HTTPTypes
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
}
