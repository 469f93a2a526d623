/// A size in bytes for DuckDB settings such as `memory_limit`, given either as a byte count or as
/// DuckDB size text (`"512MiB"`, `"2GB"`).
public struct StagingSize: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The setting value as DuckDB parses it, e.g. `"268435456B"` or `"512MiB"`.
    public let duckDBText: String

    /// A size of `count` bytes.
    public static func bytes(_ count: Int) -> StagingSize { StagingSize(duckDBText: "\(count)B") }
    /// A size of `count` MiB (2^20 bytes).
    public static func mebibytes(_ count: Int) -> StagingSize { StagingSize(duckDBText: "\(count)MiB") }
    /// A size of `count` GiB (2^30 bytes).
    public static func gibibytes(_ count: Int) -> StagingSize { StagingSize(duckDBText: "\(count)GiB") }

    /// A size written the way DuckDB accepts it (`"512MiB"`, `"1.5GB"`); DuckDB validates it when
    /// the database is opened.
    public init(duckDBText: String) { self.duckDBText = duckDBText }

    /// A size of `value` bytes.
    public init(integerLiteral value: Int) { self = .bytes(value) }

    /// The DuckDB text of the size.
    public var description: String { duckDBText }
}

/// How a DuckDB instance is opened. `memoryLimit` and `threads` have no defaults on purpose:
/// DuckDB's own (80% of RAM, one thread per core, per instance) are wrong when many tenants'
/// instances share one process.
public struct StagingConfiguration: Sendable, Hashable {
    /// The instance's `memory_limit` (buffer pool; larger intermediates spill to `tempDirectory`).
    public var memoryLimit: StagingSize
    /// The instance's worker `threads` (at least 1).
    public var threads: Int
    /// Where the instance spills intermediates (`temp_directory`); `nil` keeps DuckDB's default
    /// (`<database file>.tmp`, or `.tmp` in the working directory for in-memory instances).
    public var tempDirectory: String?
    /// The most the instance may write to its temp directory (`max_temp_directory_size`).
    public var maxTempDirectorySize: StagingSize?
    /// Opens the database file read-only (`access_mode = READ_ONLY`).
    public var readOnly: Bool
    /// Whether DuckDB may load and install known extensions on its own when a query needs one.
    /// Off by default: autoinstall would try to download from the network, and extensions this
    /// project uses are loaded from pinned files (``StagingDatabase/loadExtension(at:)``).
    public var autoloadExtensions: Bool
    /// Whether results keep insertion order (`preserve_insertion_order`); turning it off lets
    /// large COPY and aggregate jobs use less memory.
    public var preserveInsertionOrder: Bool
    /// Further DuckDB options set at open, by name (applied after the ones above).
    public var additionalOptions: [String: String]

    /// A configuration with an explicit memory limit and thread count.
    public init(
        memoryLimit: StagingSize,
        threads: Int,
        tempDirectory: String? = nil,
        maxTempDirectorySize: StagingSize? = nil,
        readOnly: Bool = false,
        autoloadExtensions: Bool = false,
        preserveInsertionOrder: Bool = true,
        additionalOptions: [String: String] = [:]
    ) {
        self.memoryLimit = memoryLimit
        self.threads = threads
        self.tempDirectory = tempDirectory
        self.maxTempDirectorySize = maxTempDirectorySize
        self.readOnly = readOnly
        self.autoloadExtensions = autoloadExtensions
        self.preserveInsertionOrder = preserveInsertionOrder
        self.additionalOptions = additionalOptions
    }

    /// The options passed to `duckdb_set_config`, in order.
    var options: [(name: String, value: String)] {
        var options: [(name: String, value: String)] = [
            ("memory_limit", memoryLimit.duckDBText),
            ("threads", String(threads)),
            ("autoload_known_extensions", String(autoloadExtensions)),
            ("autoinstall_known_extensions", String(autoloadExtensions)),
            ("preserve_insertion_order", String(preserveInsertionOrder)),
        ]
        if let tempDirectory { options.append(("temp_directory", tempDirectory)) }
        if let maxTempDirectorySize { options.append(("max_temp_directory_size", maxTempDirectorySize.duckDBText)) }
        if readOnly { options.append(("access_mode", "READ_ONLY")) }
        for name in additionalOptions.keys.sorted() { options.append((name, additionalOptions[name]!)) }
        return options
    }
}
