import Foundation
import GraphJSON
import GraphService
import Testing

@testable import GraphAPIClient

/// Every setting of `graph-api serve` (``ServerSetting``, the one list the configuration is read
/// through) appears in `serve --help`, in the README's settings table and in `/info`; and nothing
/// in those lists a setting that does not exist.
@Suite(.serialized) struct ServerSettingsTests {
    static let readme = GeneratedClientTests.repository.appendingPathComponent("README.md")

    /// Whether `name` occurs in `text` as a whole word (not inside a longer name:
    /// `GRAPH_API_KEY` is not found in `GRAPH_API_KEYS`, `--max-rows` not in `--max-rows-x`).
    static func mentions(_ text: String, _ name: String) -> Bool {
        let nameCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))
        var searchStart = text.startIndex
        while let range = text.range(of: name, range: searchStart..<text.endIndex) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            let bounded = { (character: Character?) in
                character.map { !$0.unicodeScalars.allSatisfy(nameCharacters.contains) } ?? true
            }
            if bounded(before), bounded(after) { return true }
            searchStart = range.upperBound
        }
        return false
    }

    @Test func everySettingIsInServeHelpAndEveryOptionOfServeIsASetting() async throws {
        let help = try await CLIProcess.run(["serve", "--help"])
        #expect(help.status == 0, "\(help)")
        for setting in ServerSetting.allCases {
            #expect(Self.mentions(help.stdout, setting.environmentVariable), "serve --help does not name \(setting.environmentVariable)")
            if let flag = setting.flag {
                #expect(Self.mentions(help.stdout, flag), "serve --help has no \(flag)")
            }
        }

        let dump = try await CLIProcess.run(["serve", "--experimental-dump-help"])
        #expect(dump.status == 0, "\(dump)")
        let flags = Set(ServerSetting.allCases.compactMap(\.flag))
        var options: [String] = []
        for argument in try #require(try JSONValue(parsing: dump.stdout)["command"]?["arguments"]?.arrayValue) {
            for name in argument["names"]?.arrayValue ?? [] where name["kind"] == "long" {
                if let text = name["name"]?.stringValue, !["help", "version"].contains(text) { options.append("--" + text) }
            }
        }
        #expect(options.count > 30, "\(dump.stdout.prefix(500))")
        for option in options {
            #expect(flags.contains(option), "serve \(option) is no ServerSetting: declare it there (it is then checked in the README and /info)")
        }
    }

    /// The rows of the README's table of server settings (the first table of "## Running").
    static func readmeRows() throws -> [String] {
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "\n## Running\n").dropFirst().first)
        let lines = section.components(separatedBy: "\n").drop { !$0.hasPrefix("| flag | environment |") }
        return Array(lines.dropFirst(2).prefix { $0.hasPrefix("|") })
    }

    @Test func everySettingHasARowInTheReadmeAndEveryRowIsASetting() throws {
        let rows = try Self.readmeRows()
        #expect(rows.count >= ServerSetting.allCases.count)
        for setting in ServerSetting.allCases {
            let matching = rows.filter { $0.contains("`\(setting.environmentVariable)`") }
            #expect(matching.count == 1, "the README's settings table has \(matching.count) rows for \(setting.environmentVariable)")
            if let row = matching.first {
                let flagCell = row.split(separator: "|", omittingEmptySubsequences: false)[1].trimmingCharacters(in: .whitespaces)
                #expect(flagCell == (setting.flag.map { "`\($0)`" } ?? ""), "README row of \(setting.environmentVariable): \(row)")
            }
        }
        let variables = Set(ServerSetting.allCases.map(\.environmentVariable))
        for row in rows {
            let cell = row.split(separator: "|", omittingEmptySubsequences: false)[2].trimmingCharacters(in: .whitespaces)
            #expect(variables.contains(cell.trimmingCharacters(in: CharacterSet(charactersIn: "`"))), "README row names no setting: \(row)")
        }
    }

    @Test func everySettingIsInInfoAndNoSecretIs() async throws {
        var settings = LiveServer.Settings()
        settings.backupKey = BackupCLITests.key
        try await LiveServer.with(settings) { url in
            let client = GraphAPIClient(configuration: try .init(url: url, apiKey: LiveServer.apiKey))
            let body = try await client.send(GraphAPIRequest(method: "GET", pathSegments: ["info"]))
            try await client.shutdown()
            let text = String(decoding: body, as: UTF8.self)
            let info = try JSONValue(parsing: text)
            for setting in ServerSetting.allCases {
                for path in setting.infoPaths {
                    var value: JSONValue? = info
                    var parent: JSONValue? = nil
                    var last = ""
                    for key in path.split(separator: ".").map(String.init) {
                        parent = value
                        last = key
                        value = value?[key]
                    }
                    // Present, even when null.
                    let present = parent?.objectValue?.members.contains { $0.key == last } ?? false
                    #expect(present, "/info has no \(path) for \(setting.environmentVariable)")
                }
            }
            #expect(!text.contains(LiveServer.apiKey) && !text.contains(LiveServer.readOnlyKey), "\(text)")
            #expect(!text.contains(BackupCLITests.key), "\(text)")
            #expect(info["configuration"]?["authentication"]?["api_keys_configured"] == 2, "\(text)")
            #expect(info["configuration"]?["backup"]?["key_ids"] == ["default"], "\(text)")
        }
    }
}
