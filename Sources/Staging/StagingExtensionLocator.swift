#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the pinned httpfs extension file (DuckDB never downloads it here).
///
/// The order: the file named by the environment variable ``httpfsEnvironmentVariable`` (which must
/// then exist — a wrong setting is an error, not a reason to look elsewhere); otherwise
/// ``httpfsRelativePath`` below each search directory and each of its ancestors (so the package
/// folder is found from `.build/debug/…` or from a source file's path).
public struct StagingExtensionLocator: Sendable, Hashable {
    /// `GRAPH_API_HTTPFS_EXTENSION`: an absolute path of the httpfs extension file.
    public static let httpfsEnvironmentVariable = "GRAPH_API_HTTPFS_EXTENSION"
    /// Where the setup script puts the extension, relative to the package folder.
    public static let httpfsRelativePath = ".engines/extensions/httpfs.duckdb_extension"

    /// The value of ``httpfsEnvironmentVariable``, if set and not empty.
    public var environmentPath: String?
    /// Directories to search, with their ancestors, in order.
    public var searchDirectories: [String]

    /// A locator with explicit inputs (for tests and for configuration files).
    public init(environmentPath: String?, searchDirectories: [String]) {
        self.environmentPath = environmentPath
        self.searchDirectories = searchDirectories
    }

    /// A locator reading ``httpfsEnvironmentVariable`` from the process environment and searching
    /// `additionalDirectories`, the working directory and the running executable's folder.
    public static func processDefault(additionalDirectories: [String] = []) -> StagingExtensionLocator {
        let environmentPath = getenv(httpfsEnvironmentVariable).map { String(cString: $0) }
        var directories = additionalDirectories
        if let workingDirectory = currentDirectory() { directories.append(workingDirectory) }
        if let executable = executablePath() { directories.append(parent(of: executable)) }
        return StagingExtensionLocator(
            environmentPath: environmentPath?.isEmpty == false ? environmentPath : nil,
            searchDirectories: directories)
    }

    /// The absolute path of the httpfs extension file.
    public func httpfsPath() throws(StagingError) -> String {
        if let environmentPath {
            guard Self.isReadableFile(environmentPath), environmentPath.hasPrefix("/") else {
                throw StagingError(
                    kind: .extensionNotFound,
                    message: "\(Self.httpfsEnvironmentVariable)=\(environmentPath) is not a readable absolute file path")
            }
            return environmentPath
        }
        var tried: [String] = []
        for start in searchDirectories where start.hasPrefix("/") {
            var directory = start
            while true {
                let candidate = (directory == "/" ? "" : directory) + "/" + Self.httpfsRelativePath
                if Self.isReadableFile(candidate) { return candidate }
                tried.append(candidate)
                if directory == "/" { break }
                directory = Self.parent(of: directory)
            }
        }
        throw StagingError(
            kind: .extensionNotFound,
            message: "The httpfs extension was not found (set \(Self.httpfsEnvironmentVariable) or run "
                + "scripts/setup-engines.sh); looked at: \(tried.prefix(6).joined(separator: ", "))")
    }

    static func parent(of path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func isReadableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
    }

    private static func currentDirectory() -> String? {
        guard let pointer = getcwd(nil, 0) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private static func executablePath() -> String? {
        #if os(Linux)
        guard let pointer = realpath("/proc/self/exe", nil) else { return nil }
        #else
        guard let argument = CommandLine.arguments.first, let pointer = realpath(argument, nil) else { return nil }
        #endif
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
