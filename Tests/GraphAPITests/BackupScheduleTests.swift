import Foundation
import GraphAPITesting
import HTTPTypes
import Logging
import NIOCore
import Testing

@testable import BackupArchive
@testable import GraphService

/// Backup schedules: their timing, the scheduler that runs them as tasks, retention, and a run
/// missed while the server was down.
@Suite struct BackupScheduleTests {
    static func date(_ text: String) -> Date { ISO8601Timestamp.date(from: text)! }

    @Test func cronExpressionsFindTheNextMinute() throws {
        let everySixHours = try CronExpression("0 */6 * * *")
        #expect(everySixHours.next(after: Self.date("2026-01-01T01:30:00Z")) == Self.date("2026-01-01T06:00:00Z"))
        #expect(everySixHours.next(after: Self.date("2026-01-01T18:00:00Z")) == Self.date("2026-01-02T00:00:00Z"))
        let mondays = try CronExpression("30 2 * * 1")  // 2026-01-05 is a Monday
        #expect(mondays.next(after: Self.date("2026-01-01T00:00:00Z")) == Self.date("2026-01-05T02:30:00Z"))
        let lists = try CronExpression("5,35 9-10 1 3 *")
        #expect(lists.next(after: Self.date("2026-01-01T00:00:00Z")) == Self.date("2026-03-01T09:05:00Z"))
        #expect(lists.next(after: Self.date("2026-03-01T09:05:00Z")) == Self.date("2026-03-01T09:35:00Z"))
        let sundays = try CronExpression("0 0 * * 7")
        #expect(sundays.next(after: Self.date("2026-01-01T00:00:00Z")) == Self.date("2026-01-04T00:00:00Z"))
        for bad in ["0 */6 * *", "61 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"] {
            #expect(throws: ServiceError.self, "\(bad)") { try CronExpression(bad) }
        }
    }

    @Test func intervalsAndRetentionAreChecked() throws {
        #expect(BackupSchedule.seconds(of: "90") == 90)
        #expect(BackupSchedule.seconds(of: "15m") == 900)
        #expect(BackupSchedule.seconds(of: "6h") == 21_600)
        #expect(BackupSchedule.seconds(of: "2d") == 172_800)
        #expect(BackupSchedule.seconds(of: "soon") == nil)
        #expect(throws: ServiceError.self) { try BackupSchedule(interval: "0s").validated() }
        #expect(throws: ServiceError.self) { try BackupSchedule(interval: "1h", cron: "0 * * * *").validated() }
        #expect(throws: ServiceError.self) { try BackupSchedule().validated() }
        #expect(throws: ServiceError.self) { try BackupSchedule(interval: "1h", retention: .init(keepLast: 0)).validated() }
        let valid = try BackupSchedule(interval: "1h").validated()
        #expect(valid.nextRun(after: Self.date("2026-01-01T00:00:00Z")) == Self.date("2026-01-01T01:00:00Z"))
    }

    @Test(.slow) func aScheduleRunsBackupsAndRetentionKeepsTheNewest() async throws {
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything], configure: { $0.backupSchedulerTick = .milliseconds(100) }) { server in
            let client = server.client
            #expect(try await client.send(.get, "/databases/g1/backup-schedule").errorCode == "backup_schedule_not_found")
            let manual = try #require(try await BackupRestoreTests.backup(client, "g1")["result"] as? [String: Any])
            let put = try await client.send(
                .put, "/databases/g1/backup-schedule", object: ["interval": "1s", "compression": "gzip", "retention": ["keep_last": 2]]
            )
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            let info = try put.object()
            #expect(info["origin"] as? String == "graph")
            #expect(info["next_run_at"] is String)
            // At least four scheduled runs, each a task with source `schedule`.
            #expect(try await eventually(seconds: 60) {
                let tasks = try await client.send(.get, "/tasks?task_type=backup&status=completed").object()["tasks"] as? [[String: Any]] ?? []
                return tasks.filter { ($0["metadata"] as? [String: Any])?["source"] as? String == "schedule" }.count >= 4
            })
            #expect(try await client.send(.delete, "/databases/g1/backup-schedule").status == .ok)
            #expect(try await client.send(.get, "/databases/g1/backup-schedule").status == .notFound)
            // Let a running scheduled backup end (and its retention run).
            #expect(try await eventually(seconds: 60) {
                let running = try await client.send(.get, "/tasks?task_type=backup&status=running").object()["total"] as? Int ?? 1
                let pending = try await client.send(.get, "/tasks?task_type=backup&status=pending").object()["total"] as? Int ?? 1
                return running + pending == 0
            })
            let backups = try #require(try await client.send(.get, "/databases/g1/backups").object()["backups"] as? [[String: Any]])
            let scheduled = backups.filter { $0["source"] as? String == "schedule" }
            #expect(scheduled.count == 2, "\(backups.map { "\($0["backup_id"] ?? "") \($0["source"] ?? "")" })")
            #expect(scheduled.allSatisfy { $0["compression"] as? String == "gzip" })
            // The request's backup is not the schedule's to delete.
            #expect(backups.contains { $0["backup_id"] as? String == manual["backup_id"] as? String })
            #expect(server.logs.audit("retention").count >= 2)
        }
    }

    @Test func badSchedulesAreRefused() async throws {
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything]) { server in
            let client = server.client
            let cases: [([String: Any], HTTPResponse.Status, String)] = [
                (["interval": "soon"], .badRequest, "invalid_schedule"),
                (["interval": "1h", "cron": "0 * * * *"], .badRequest, "invalid_schedule"),
                (["cron": "0 * *"], .badRequest, "invalid_schedule"),
                ([:], .badRequest, "invalid_schedule"),
                (["interval": "1h", "retention": ["keep_last": 0]], .badRequest, "invalid_schedule"),
                (["interval": "1h", "encryption": true], .badRequest, "backup_key_missing"),
                (["interval": "1h", "destination": "s3"], .badRequest, "backup_destination_unavailable"),
                (["interval": "1h", "every": "day"], .unprocessableContent, "validation_error"),
                (["interval": "1h", "compression": "lz4"], .unprocessableContent, "validation_error"),
            ]
            for (body, status, code) in cases {
                let answer = try await client.send(.put, "/databases/g1/backup-schedule", object: body)
                #expect(answer.status == status, "\(body): \(String(buffer: answer.body))")
                #expect(answer.errorCode == code, "\(body)")
            }
            #expect(try await client.send(.put, "/databases/nope/backup-schedule", object: ["interval": "1h"]).status == .notFound)
            #expect(try await client.send(.delete, "/databases/g1/backup-schedule").status == .notFound)
        }
    }

    /// The server was down when a backup was due: it runs once at start, not once per missed run.
    @Test(.slow) func aMissedRunRunsOnceAfterAStart() async throws {
        let directory = TestServer.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await TestServer.createGraphs([BackupRestoreTests.everything], in: directory)
        let folder = directory + "/databases/g1"
        try StoredSchedule(schedule: BackupSchedule(interval: "1h"), lastRunAt: Date().addingTimeInterval(-5 * 3600)).write(to: folder)
        try await TestServer.withServer(dataDirectory: directory, configure: { $0.backupSchedulerTick = .milliseconds(50) }) { server in
            #expect(try await eventually(seconds: 60) {
                try await server.client.send(.get, "/databases/g1/backups").object()["total"] as? Int == 1
            })
            // Many ticks later, still one: the next run is an hour away.
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await server.client.send(.get, "/databases/g1/backups").object()["total"] as? Int == 1)
            let info = try await server.client.send(.get, "/databases/g1/backup-schedule").object()
            let next = try #require(ISO8601Timestamp.date(from: info["next_run_at"] as? String ?? ""))
            #expect(next > Date().addingTimeInterval(3000))
        }
    }

    /// A read-only node backs nothing up: a schedule is refused, and its default runs nothing.
    @Test func aReadOnlyNodeSchedulesNothing() async throws {
        let logs = LogCapture()
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything], logs: logs, configure: { configuration in
            configuration.nodeType = .sharedReplica
            configuration.backupSchedule = BackupSchedule(interval: "1s")
            configuration.backupSchedulerTick = .milliseconds(50)
        }) { server in
            let refused = try await server.client.send(.put, "/databases/g1/backup-schedule", object: ["interval": "1h"])
            #expect(refused.status == .forbidden)
            #expect(refused.errorCode == "read_only_node")
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await server.client.send(.get, "/tasks?task_type=backup").object()["total"] as? Int == 0)
            #expect(!logs.records.contains { $0.message.contains("cannot start a scheduled backup") })
        }
    }

    /// The node's default schedule applies to graphs without their own.
    @Test func theNodeDefaultAppliesUntilAGraphHasItsOwn() async throws {
        try await TestServer.withServer(graphs: [BackupRestoreTests.everything], configure: { configuration in
            configuration.backupSchedule = BackupSchedule(cron: "0 3 * * *", retention: .init(keepDays: 7))
        }) { server in
            let client = server.client
            var info = try await client.send(.get, "/databases/g1/backup-schedule").object()
            #expect(info["origin"] as? String == "default")
            #expect((info["schedule"] as? [String: Any])?["cron"] as? String == "0 3 * * *")
            #expect((info["next_run_at"] as? String)?.hasSuffix("T03:00:00.000Z") == true, "\(info)")
            _ = try await client.send(.put, "/databases/g1/backup-schedule", object: ["interval": "12h"])
            info = try await client.send(.get, "/databases/g1/backup-schedule").object()
            #expect(info["origin"] as? String == "graph")
            #expect(try await client.send(.delete, "/databases/g1/backup-schedule").status == .ok)
            info = try await client.send(.get, "/databases/g1/backup-schedule").object()
            #expect(info["origin"] as? String == "default")
        }
    }
}
