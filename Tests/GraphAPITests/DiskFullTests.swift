import Foundation
import GraphAPITesting
import GraphService
import HTTPTypes
import NIOCore
import Testing

@testable import GraphAPI

/// A small tmpfs mounted for one test (root only; the suite is skipped elsewhere).
struct SmallFileSystem {
    let path: String

    static let canMount: Bool = {
        guard getuid() == 0, let probe = try? SmallFileSystem(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.run(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]) else {
            try? FileManager.default.removeItem(atPath: path)
            throw SmallFileSystemError()
        }
    }

    /// Gives the file system `megabytes` in all, keeping what it holds.
    func resize(megabytes: Int) -> Bool {
        Self.run(["mount", "-o", "remount,size=\(megabytes)m", path])
    }

    func unmount() {
        _ = Self.run(["umount", "-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

struct SmallFileSystemError: Error {}

/// Issue 14: a full disk was 500 `engine_error` (or "unhandled error" with Foundation's text).
/// Now every write that fails for lack of space is `507 disk_full` saying so, reads go on, and
/// once space returns the graph, its staging, the tasks and the list of graphs are consistent,
/// also after a restart.
@Suite(.serialized, .slow, .enabled(if: SmallFileSystem.canMount, "needs root to mount a small tmpfs"))
struct DiskFullTests {
    @Test func aFullDiskIs507AndEverythingIsConsistentOnceSpaceReturns() async throws {
        let disk = try SmallFileSystem(megabytes: 24)
        defer { disk.unmount() }
        let imports = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-imports-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: imports, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: imports) }
        try ("id,name\n" + (0..<20_000).map { "n\($0),name number \($0) of many" }.joined(separator: "\n") + "\n")
            .write(toFile: imports + "/people.csv", atomically: true, encoding: .utf8)
        let create = #"{"graph_id":"g","schema_type":"custom","custom_schema_ddl":"CREATE NODE TABLE P(id INT64 PRIMARY KEY, s STRING)"}"#
        let fill = "UNWIND range($a, $b) AS i CREATE (:P {id: i, s: $pad + string(i)})"
        let count = "MATCH (p:P) RETURN count(p) AS n"
        var acknowledged = 0

        try await TestServer.withServer(dataDirectory: disk.path, configure: { $0.importDirectory = imports }) { server in
            let client = server.client
            #expect(try await client.send(.post, "/databases", json: create).status == .created)
            var refused: TestServer.Response?
            for _ in 0..<200 {
                let answer = try await client.send(
                    .post, "/databases/g/query",
                    object: ["cypher": fill, "parameters": ["a": acknowledged, "b": acknowledged + 4_999, "pad": String(repeating: "y", count: 300)]]
                )
                if answer.status != .ok { refused = answer; break }
                acknowledged += 5_000
            }
            let full = try #require(refused, "24 MiB never filled")
            #expect(full.status.code == 507, "\(String(buffer: full.body))")
            #expect(full.errorCode == "disk_full")
            #expect(full.errorDetail.contains("disk is full"), "\(full.errorDetail)")

            // Reads go on; every write is 507 disk_full, never 500.
            let read = try await client.cypher("g", count)
            #expect(read.status == .ok && read.body.contains("\"n\":\(acknowledged)"), "\(read.body)")
            let small = try await client.cypher("g", "CREATE (:P {id: -1, s: 'z'})")
            #expect(small.status.code == 507 && small.code == "disk_full", "\(small.body)")
            let other = try await client.send(.post, "/databases", json: #"{"graph_id":"other","schema_type":"entity"}"#)
            #expect(other.status.code == 507 && other.errorCode == "disk_full", "\(String(buffer: other.body))")
            let schema = try await client.send(.post, "/databases/g/schema", json: #"{"ddl":"CREATE NODE TABLE Q(id INT64 PRIMARY KEY)"}"#)
            #expect(schema.status.code == 507 && schema.errorCode == "disk_full", "\(String(buffer: schema.body))")
            let staged = try await client.send(.post, "/databases/g/tables", json: #"{"table_name":"people","source":"people.csv"}"#)
            #expect(staged.status.code == 507 && staged.errorCode == "disk_full", "\(String(buffer: staged.body))")
            let listed = try await client.send(.get, "/databases")
            #expect(listed.status == .ok)
            #expect(try listed.object()["total_databases"] as? Int == 1, "\(String(buffer: listed.body))")

            // Space returns: the same requests succeed, and nothing refused left a trace.
            #expect(disk.resize(megabytes: 160))
            #expect(try await client.cypher("g", "CREATE (:P {id: -1, s: 'z'})").status == .ok)
            #expect(try await client.send(.post, "/databases", json: #"{"graph_id":"other","schema_type":"entity"}"#).status == .created)
            #expect(try await client.send(.post, "/databases/g/schema", json: #"{"ddl":"CREATE NODE TABLE Q(id INT64 PRIMARY KEY)"}"#).status == .ok)
            let stagedAgain = try await client.send(.post, "/databases/g/tables", json: #"{"table_name":"people","source":"people.csv"}"#)
            #expect(stagedAgain.status == .created, "\(String(buffer: stagedAgain.body))")
            let afterward = try await client.cypher("g", count)
            #expect(afterward.body.contains("\"n\":\(acknowledged + 1)"), "\(afterward.body)")
        }
        // After a restart: the same graphs, rows and staged table.
        try await TestServer.withServer(dataDirectory: disk.path, configure: { $0.importDirectory = imports }) { server in
            let client = server.client
            let listed = try await client.send(.get, "/databases")
            #expect(try listed.object()["total_databases"] as? Int == 2, "\(String(buffer: listed.body))")
            let rows = try await client.cypher("g", count)
            #expect(rows.body.contains("\"n\":\(acknowledged + 1)"), "\(rows.body)")
            let tables = try await client.send(.get, "/databases/g/tables")
            #expect(String(buffer: tables.body).contains("\"row_count\":20000"), "\(String(buffer: tables.body))")
        }
    }
}

/// Foundation's and POSIX's ways of saying the disk is full are all `disk_full`; nothing else is.
@Suite struct DiskFullErrorTests {
    @Test func fileSystemErrorsThatSayTheDiskIsFullAreDiskFull() {
        let posix = NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))
        let quota = NSError(domain: NSPOSIXErrorDomain, code: Int(EDQUOT))
        let cocoa = CocoaError(.fileWriteOutOfSpace)
        let wrapped = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue, userInfo: [NSUnderlyingErrorKey: posix])
        for error in [posix, quota, cocoa as NSError, wrapped] {
            #expect(ServiceError.diskFull(from: error)?.code == .diskFull, "\(error)")
            #expect(APIError.answering(error)?.status.code == 507, "\(error)")
        }
        let other = NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))
        #expect(ServiceError.diskFull(from: other) == nil)
        #expect(ServiceError.diskFull(from: CocoaError(.fileNoSuchFile)) == nil)
        #expect(APIError.answering(other) == nil)
    }
}
