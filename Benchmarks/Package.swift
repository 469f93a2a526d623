// swift-tools-version:6.2
// Benchmarks for Graph API, kept out of the main package so CI does not build them.
// Run: cd Benchmarks && swift run -c release graph-api-benchmarks   (see README.md here)
import PackageDescription

let engineDirectory = Context.packageDirectory + "/../.engines"

let package = Package(
    name: "graph-api-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "graph-api", path: "..")
    ],
    targets: [
        .target(
            name: "EngineBaseline",
            cSettings: [.unsafeFlags(["-I\(engineDirectory)/include", "-O2"])],
            linkerSettings: [.unsafeFlags(["-L\(engineDirectory)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(engineDirectory)/lib", "-Xlinker", "--no-as-needed", "-lgraphapi_pystub", "-llbug_capi"])]
        ),
        .target(name: "BenchmarkSupport"),
        .executableTarget(
            name: "graph-api-benchmarks",
            dependencies: [
                "EngineBaseline",
                .product(name: "GraphEngine", package: "graph-api"),
            ]
        ),
        .executableTarget(
            name: "ingest-benchmark",
            dependencies: [
                "BenchmarkSupport",
                "EngineBaseline",
                .product(name: "Staging", package: "graph-api"),
            ]
        ),
        .executableTarget(
            name: "backup-benchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BackupArchive", package: "graph-api"),
                .product(name: "GraphJSON", package: "graph-api"),
                .product(name: "Staging", package: "graph-api"),
            ]
        ),
        .executableTarget(
            name: "json-benchmark",
            dependencies: [
                .product(name: "GraphEngine", package: "graph-api"),
                .product(name: "GraphJSON", package: "graph-api"),
            ]
        ),
        .executableTarget(
            name: "http-benchmark",
            dependencies: ["BenchmarkSupport", "EngineBaseline"]
        ),
        .executableTarget(
            name: "journal-benchmark",
            dependencies: ["BenchmarkSupport"]
        ),
        .executableTarget(
            name: "replica-benchmark",
            dependencies: ["BenchmarkSupport"]
        ),
    ]
)
