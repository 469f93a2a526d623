import Logging
import Foundation
import Staging

/// File formats staging and COPY read.
package enum StagingFileFormat: String, Sendable, CaseIterable {
    case parquet
    case csv

    /// The format a path's extension names, if any.
    static func inferred(from path: String) -> StagingFileFormat? {
        let lowercased = path.lowercased()
        if lowercased.hasSuffix(".parquet") || lowercased.hasSuffix(".pq") { return .parquet }
        for suffix in [".csv", ".csv.gz", ".csv.zst", ".tsv", ".tsv.gz"] where lowercased.hasSuffix(suffix) { return .csv }
        return nil
    }
}

/// The sources of one load, checked: every local path lies below the import directory (after
/// resolving `..` and symbolic links), every remote one is an `s3://bucket/...` URL, and they all
/// have one format.
struct StagingSources: Sendable, Equatable {
    /// Absolute local paths (globs allowed in their file names) and `s3://` URLs, in request order.
    let paths: [String]
    /// What is read: `paths` with every local glob replaced by the files it matches now, each of
    /// them checked to lie below the import directory after resolving symbolic links (a link
    /// inside the import directory that points out of it is refused, whatever the format).
    /// `s3://` URLs stay as given.
    let files: [String]
    let format: StagingFileFormat
    /// Whether any source is an `s3://` URL (the load then needs httpfs and network access).
    var hasRemote: Bool { paths.contains { $0.hasPrefix("s3://") } }
    /// Whether every source is one local file without glob characters.
    var areLocalFiles: Bool { files.allSatisfy { $0.hasPrefix("/") } }

    /// Checks `sources` (as the request gave them) against `importDirectory`.
    ///
    /// - Throws: `400` `invalid_source` naming the offending source, `source_outside_import_dir`
    ///   for a local path that leaves the import directory, `unknown_format` when neither the
    ///   request nor the extension says Parquet or CSV, `source_not_found` for a missing local file.
    init(_ sources: [String], format requested: StagingFileFormat?, importDirectory: String) throws(ServiceError) {
        guard !sources.isEmpty else {
            throw ServiceError(.invalidSource, "give at least one source (s3_pattern or source)")
        }
        guard sources.count <= 1_000 else {
            throw ServiceError(.invalidSource, "at most 1000 sources per request, got \(sources.count)")
        }
        let importRoot = Self.canonical(importDirectory)
        var paths: [String] = []
        var files: [String] = []
        for source in sources {
            let trimmed = source.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.contains("\0"), !trimmed.contains("\n"), trimmed.utf8.count <= 4_096 else {
                throw ServiceError(.invalidSource, "invalid source '\(source)'")
            }
            if trimmed.hasPrefix("s3://") {
                let rest = trimmed.dropFirst(5)
                guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
                    throw ServiceError(.invalidSource, "an S3 source must look like s3://bucket/key, got '\(source)'")
                }
                paths.append(trimmed)
                files.append(trimmed)
                continue
            }
            if let colon = trimmed.range(of: "://") {
                throw ServiceError(.invalidSource, "unsupported source scheme '\(trimmed[..<colon.lowerBound])://' in '\(source)': use s3:// or a path below the import directory")
            }
            let absolute = trimmed.hasPrefix("/") ? trimmed : importRoot + "/" + trimmed
            let standardized = URL(fileURLWithPath: absolute).standardizedFileURL.path
            guard standardized.hasPrefix(importRoot + "/") else {
                throw ServiceError(.sourceOutsideImportDir, "local sources must lie below the import directory; '\(source)' does not")
            }
            // Resolve symbolic links in the part before any glob character, so a link inside
            // the import directory cannot lead out of it.
            let components = standardized.split(separator: "/", omittingEmptySubsequences: true)
            let fixedCount = components.firstIndex { Self.hasGlob(String($0)) } ?? components.count
            let fixed = "/" + components[..<fixedCount].joined(separator: "/")
            if FileManager.default.fileExists(atPath: fixed) {
                let real = Self.canonical(fixed)
                guard real == importRoot || real.hasPrefix(importRoot + "/") else {
                    throw ServiceError(.sourceOutsideImportDir, "local sources must lie below the import directory; '\(source)' leads out of it")
                }
            } else if fixedCount == components.count {
                throw ServiceError(.sourceNotFound, "source '\(source)' does not exist in the import directory")
            }
            paths.append(standardized)
            if fixedCount == components.count {
                files.append(standardized)
            } else {
                let matches = Self.expand(standardized)
                guard !matches.isEmpty else {
                    throw ServiceError(.sourceNotFound, "source '\(source)' matches no file in the import directory")
                }
                for match in matches {
                    let real = Self.canonical(match)
                    guard real.hasPrefix(importRoot + "/") else {
                        throw ServiceError(.sourceOutsideImportDir, "local sources must lie below the import directory; '\(match)' (matched by '\(source)') leads out of it")
                    }
                }
                files.append(contentsOf: matches)
            }
            guard files.count <= Self.maxFiles else {
                throw ServiceError(.invalidSource, "the sources match more than \(Self.maxFiles) files")
            }
        }
        let inferred = Set(paths.compactMap { StagingFileFormat.inferred(from: $0) })
        if let requested {
            format = requested
        } else if inferred.count == 1, let only = inferred.first {
            format = only
        } else if inferred.count > 1 {
            throw ServiceError(.unknownFormat, "the sources mix Parquet and CSV files: load them separately or set format")
        } else {
            throw ServiceError(.unknownFormat, "cannot tell the format from the sources' names: set format to \"parquet\" or \"csv\"")
        }
        self.paths = paths
        self.files = files
    }

    /// The most files one load reads.
    static let maxFiles = 100_000

    /// The files `pattern` matches now, sorted, as DuckDB reads a pattern: `*`, `?` and `[…]`
    /// within one name (glob(3), no `~` or brace expansion), and a `**` name for any number of
    /// folders, none included (folders reached through a symbolic link are not entered).
    static func expand(_ pattern: String) -> [String] {
        let components = pattern.split(separator: "/").map(String.init)
        guard let recursive = components.firstIndex(of: "**") else { return glob(pattern, directories: false) }
        let head = "/" + components[..<recursive].joined(separator: "/")
        let tail = components[(recursive + 1)...].joined(separator: "/")
        var found = Set<String>()
        for base in hasGlob(head) ? glob(head, directories: true) : [head] {
            let below = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? []).map { base + "/" + $0 }
            for folder in [base] + below where isFolder(folder) {
                found.formUnion(tail.isEmpty ? glob(folder + "/*", directories: false) : expand(folder + "/" + tail))
            }
        }
        return found.sorted()
    }

    /// What glob(3) matches for `pattern`: folders, or files (anything else), sorted.
    private static func glob(_ pattern: String, directories: Bool) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var matches: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            guard let pointer = result.gl_pathv[index] else { continue }
            let path = String(cString: pointer)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue == directories {
                matches.append(path)
            }
        }
        return matches.sorted()
    }

    /// Whether `path` is a folder itself (not a symbolic link to one).
    private static func isFolder(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory
    }

    /// The DuckDB table function reading every source, with each row's source file in the
    /// column `fileColumn` when one is named.
    func readFunctionSQL(fileColumn: String? = nil) -> String {
        let list = StagingSQL.literalList(files)
        let filename = fileColumn.map { ", filename = \(StagingSQL.literal($0))" } ?? ""
        switch format {
        case .parquet: return "read_parquet(\(list)\(filename), union_by_name = true)"
        case .csv: return "read_csv(\(list)\(filename), union_by_name = true, header = true)"
        }
    }

    static func hasGlob(_ text: String) -> Bool { text.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "{" } }

    /// `path` with symbolic links resolved (the path itself if it does not exist).
    static func canonical(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let resolved = realpath(absolute, nil) else { return absolute }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
