import BackupArchive
import Foundation

/// When a graph is backed up on its own, and how many of those backups are kept: the body of
/// `PUT /databases/{graph_id}/backup-schedule`, stored as `backup-schedule.json` in the graph's
/// folder (it goes with the graph), or the node's default (`--backup-schedule`).
public struct BackupSchedule: Codable, Sendable, Equatable {
    /// Every so often (`"30m"`, `"6h"`, `"1d"`, or seconds), counted from the last scheduled run.
    public var interval: String?
    /// A five-field cron expression in UTC (`minute hour day-of-month month day-of-week`).
    public var cron: String?
    public var destination: BackupDestination?
    public var compression: BackupCompression?
    public var encryption: Bool?
    public var retention: Retention?
    public var enabled: Bool

    /// Which scheduled backups are kept after each scheduled run: the newest `keepLast`, and those
    /// younger than `keepDays` days; the graph's newest backup is never deleted. Backups taken by
    /// request or by the server before a restore are not counted or deleted.
    public struct Retention: Codable, Sendable, Equatable {
        public var keepLast: Int?
        public var keepDays: Double?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case keepLast = "keep_last"
            case keepDays = "keep_days"
        }

        public init(keepLast: Int? = nil, keepDays: Double? = nil) {
            self.keepLast = keepLast
            self.keepDays = keepDays
        }
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case interval, cron, destination, compression, encryption, retention, enabled
    }

    public init(
        interval: String? = nil, cron: String? = nil, destination: BackupDestination? = nil, compression: BackupCompression? = nil,
        encryption: Bool? = nil, retention: Retention? = nil, enabled: Bool = true
    ) {
        self.interval = interval
        self.cron = cron
        self.destination = destination
        self.compression = compression
        self.encryption = encryption
        self.retention = retention
        self.enabled = enabled
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        interval = try container.decodeIfPresent(String.self, forKey: .interval)
        cron = try container.decodeIfPresent(String.self, forKey: .cron)
        destination = try container.decodeIfPresent(BackupDestination.self, forKey: .destination)
        if container.contains(.compression), try !container.decodeNil(forKey: .compression) {
            compression = try BackupCompression(decoding: try container.superDecoder(forKey: .compression))
        }
        encryption = try container.decodeIfPresent(Bool.self, forKey: .encryption)
        retention = try container.decodeIfPresent(Retention.self, forKey: .retention)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
    }

    /// Checks the timing and the retention; `400` naming what is wrong.
    func validated() throws -> ValidSchedule {
        let timing: ValidSchedule.Timing
        switch (interval, cron) {
        case (let text?, nil):
            guard let seconds = Self.seconds(of: text), seconds >= 1, seconds <= 366 * 86_400 else {
                throw ServiceError(.invalidSchedule, "interval '\(text.prefix(40))' is not a duration such as '30m', '6h', '1d' or a number of seconds (1 s to 366 days)")
            }
            timing = .interval(seconds)
        case (nil, let text?):
            timing = .cron(try CronExpression(text))
        case (nil, nil):
            throw ServiceError(.invalidSchedule, "a schedule needs 'interval' (e.g. '6h') or 'cron' (e.g. '0 */6 * * *')")
        case (_?, _?):
            throw ServiceError(.invalidSchedule, "give 'interval' or 'cron', not both")
        }
        if let keep = retention?.keepLast, keep < 1 {
            throw ServiceError(.invalidSchedule, "retention.keep_last must be at least 1 (the newest backup is always kept)")
        }
        if let days = retention?.keepDays, !(days > 0) {
            throw ServiceError(.invalidSchedule, "retention.keep_days must be more than 0")
        }
        return ValidSchedule(schedule: self, timing: timing)
    }

    /// `"90"`, `"90s"`, `"15m"`, `"6h"`, `"2d"`, `"1w"` in seconds.
    static func seconds(of text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let unit = units[last] { return Double(trimmed.dropLast()).map { $0 * unit } }
        return Double(trimmed)
    }

    static let fileName = "backup-schedule.json"
}

/// A schedule whose timing was checked.
struct ValidSchedule: Sendable {
    enum Timing: Sendable {
        case interval(Double)
        case cron(CronExpression)
    }

    let schedule: BackupSchedule
    let timing: Timing

    /// The first run after `last` (or, never run, after `created`).
    func nextRun(after last: Date) -> Date {
        switch timing {
        case .interval(let seconds): return last.addingTimeInterval(seconds)
        case .cron(let expression): return expression.next(after: last) ?? .distantFuture
        }
    }
}

/// A five-field cron expression (minute, hour, day of month, month, day of week; UTC): `*`,
/// numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`. Day of week 0–7 (0 and 7 are
/// Sunday). When both day fields are restricted, a day matching either runs (as cron does).
struct CronExpression: Sendable, Equatable {
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    init(_ text: String) throws {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw ServiceError(.invalidSchedule, "cron '\(text.prefix(60))' must have 5 fields: minute hour day-of-month month day-of-week")
        }
        func parse(_ field: String, _ range: ClosedRange<Int>, _ name: String) throws -> Set<Int> {
            var values: Set<Int> = []
            for part in field.split(separator: ",") {
                let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
                guard pieces.count <= 2 else { throw ServiceError(.invalidSchedule, "cron \(name) '\(field)' is malformed") }
                var step = 1
                if pieces.count == 2 {
                    guard let value = Int(pieces[1]), value >= 1 else { throw ServiceError(.invalidSchedule, "cron \(name) '\(field)' has a bad step") }
                    step = value
                }
                var low = range.lowerBound
                var high = range.upperBound
                if pieces[0] != "*" {
                    let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                    guard (1...2).contains(bounds.count), let a = Int(bounds[0]), let b = Int(bounds.last!), range.contains(a), range.contains(b), a <= b else {
                        throw ServiceError(.invalidSchedule, "cron \(name) '\(field)' is outside \(range.lowerBound)-\(range.upperBound)")
                    }
                    low = a
                    high = bounds.count == 2 || pieces.count == 2 ? b : a
                    if bounds.count == 1, pieces.count == 2 { high = range.upperBound }
                }
                values.formUnion(stride(from: low, through: high, by: step))
            }
            return values
        }
        minutes = try parse(fields[0], 0...59, "minute")
        hours = try parse(fields[1], 0...23, "hour")
        days = try parse(fields[2], 1...31, "day of month")
        months = try parse(fields[3], 1...12, "month")
        weekdays = Set(try parse(fields[4], 0...7, "day of week").map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    /// The first whole minute after `date` that matches (within 5 years), UTC.
    func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        var minute = calendar.date(bySetting: .second, value: 0, of: date.addingTimeInterval(60)) ?? date
        if minute <= date { minute = minute.addingTimeInterval(60) }
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while minute < limit {
            let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: minute)
            guard let month = parts.month, months.contains(month) else {
                // Skip to the first minute of the next month.
                minute = calendar.date(from: calendar.dateComponents([.year, .month], from: minute)).flatMap {
                    calendar.date(byAdding: .month, value: 1, to: $0)
                } ?? limit
                continue
            }
            let day = parts.day ?? 0
            let weekday = (parts.weekday ?? 1) - 1
            let dayMatches: Bool
            switch (daysRestricted, weekdaysRestricted) {
            case (true, true): dayMatches = days.contains(day) || weekdays.contains(weekday)
            case (true, false): dayMatches = days.contains(day)
            case (false, true): dayMatches = weekdays.contains(weekday)
            case (false, false): dayMatches = true
            }
            guard dayMatches else {
                minute = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: minute)) ?? limit
                continue
            }
            guard let hour = parts.hour, hours.contains(hour) else {
                minute = calendar.date(bySettingHour: parts.hour ?? 0, minute: 0, second: 0, of: minute).map { $0.addingTimeInterval(3600) } ?? limit
                continue
            }
            if let value = parts.minute, minutes.contains(value) { return minute }
            minute = minute.addingTimeInterval(60)
        }
        return nil
    }
}
