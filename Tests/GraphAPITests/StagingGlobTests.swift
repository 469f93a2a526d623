import Foundation
import Testing

@testable import GraphAPI
@testable import GraphService

/// Local globs are expanded by the server (so each match can be checked), and read as DuckDB
/// reads them: `**` stands for any number of folders, none included.
@Suite struct StagingGlobTests {
    @Test func recursiveGlobsMatchAtEveryDepthAndLinksOutAreRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("graph-api-glob-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let imports = root + "/import"
        for folder in ["nested/sub/deeper", "other"] {
            try FileManager.default.createDirectory(atPath: imports + "/" + folder, withIntermediateDirectories: true)
        }
        for file in ["nested/top.csv", "nested/sub/a.csv", "nested/sub/deeper/b.csv", "nested/sub/skip.txt", "other/c.csv"] {
            try "identifier\nx\n".write(toFile: imports + "/" + file, atomically: true, encoding: .utf8)
        }
        let real = StagingSources.canonical(imports)
        let recursive = try StagingSources(["nested/**/*.csv"], format: nil, importDirectory: imports)
        #expect(recursive.files == ["nested/sub/a.csv", "nested/sub/deeper/b.csv", "nested/top.csv"].map { real + "/" + $0 })
        let everything = try StagingSources(["nested/**"], format: .csv, importDirectory: imports)
        #expect(everything.files.count == 4)
        let oneLevel = try StagingSources(["*/*.csv"], format: nil, importDirectory: imports)
        #expect(oneLevel.files == ["nested/top.csv", "other/c.csv"].map { real + "/" + $0 })

        // A link inside the import folder to a folder outside it: not entered by `**`, refused by name.
        try FileManager.default.createDirectory(atPath: root + "/secret", withIntermediateDirectories: true)
        try "identifier\nstolen\n".write(toFile: root + "/secret/s.csv", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: imports + "/nested/link", withDestinationPath: root + "/secret")
        #expect(try StagingSources(["nested/**/*.csv"], format: nil, importDirectory: imports).files.count == 3)
        #expect(throws: ServiceError.self) { try StagingSources(["nested/*/s.csv"], format: nil, importDirectory: imports) }
    }
}
