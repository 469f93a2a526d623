// swift-tools-version:6.2
import Foundation
import PackageDescription

// The engines are fetched and built by scripts/setup-engines.sh into a cache outside git;
// `.engines` in the package folder links to it (see README). Only the targets that call an
// engine carry these flags.
let engineLib = Context.packageDirectory + "/.engines/lib"
let engineLinkerSettings: [LinkerSetting] = [
    .unsafeFlags([
        "-L\(engineLib)",
        "-Xlinker", "-rpath", "-Xlinker", engineLib,
        // The wheels' engines reference CPython symbols; the stub must stay a dependency.
        "-Xlinker", "--no-as-needed", "-lgraphapi_pystub",
    ])
]

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "graph-api",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "graph-api", targets: ["graph-api"]),
        .library(name: "GraphEngine", targets: ["GraphEngine"]),
        .library(name: "Staging", targets: ["Staging"]),
        .library(name: "GraphService", targets: ["GraphService"]),
        .library(name: "GraphAPI", targets: ["GraphAPI"]),
        .library(name: "GraphAPIContract", targets: ["GraphAPIContract"]),
        .library(name: "GraphAPIClient", targets: ["GraphAPIClient"]),
        .library(name: "GraphJSON", targets: ["GraphJSON"]),
        .library(name: "BackupArchive", targets: ["BackupArchive"]),
        .library(name: "S3Client", targets: ["S3Client"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The client: generated calls (swift-openapi-generator's output is committed; the generator
        // itself is built only by scripts/generate-openapi.sh, from Tools/) over AsyncHTTPClient.
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // AES-256-GCM, HKDF and SHA-256 for backup archives; SHA-256 and HMAC for the S3
        // client's request signing (AWS Signature Version 4).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CLadybug", path: "Sources/CLadybug"),
        .systemLibrary(name: "CDuckDB", path: "Sources/CDuckDB"),
        // Debian's libzstd-dev and zlib1g-dev (scripts/setup-engines.sh installs them).
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // The backup archive format: segments compressed (zstd, gzip) and sealed (AES-256-GCM),
        // written and checked without an engine, so the CLI can verify and extract offline.
        .target(
            name: "BackupArchive",
            dependencies: [
                "CZstd",
                "CZlib",
                "GraphJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GraphEngine",
            dependencies: [
                "CLadybug",
                "GraphJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // Release builds skip the dynamic exclusivity checks in this module (debug builds, which
            // the tests use, keep them): in the JSON encoders' per-value loops they are mostly
            // checks of NIO's ByteBuffer storage inlined here, about a tenth of a large stream.
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))],
            linkerSettings: engineLinkerSettings
        ),
        .target(
            name: "Staging",
            dependencies: [
                "CDuckDB",
                "GraphEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: engineLinkerSettings
        ),
        // The service core: tenancy, queries, schema changes, staging and ingest, tasks. No HTTP.
        .target(
            name: "GraphService",
            dependencies: [
                "BackupArchive",
                "S3Client",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "GraphEngine",
                "GraphJSON",
                "Staging",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // One JSON value type and one parser (exact-digit numbers, ordered objects, a depth limit),
        // with no engine and no NIO dependency, for the client and the server.
        .target(
            name: "GraphJSON",
            swiftSettings: swiftSettings
        ),
        // The wire contract's types, generated from openapi/openapi.json by swift-openapi-generator
        // (committed; scripts/generate-openapi.sh): the request and answer bodies that the server's
        // HTTP layer and the client share.
        .target(
            name: "GraphAPIContract",
            dependencies: [
                "GraphJSON",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP layer: routing, authentication, admission, encoding and streaming.
        .target(
            name: "GraphAPI",
            dependencies: [
                "GraphAPIContract",
                "GraphEngine",
                "S3Client",
                "GraphService",
                "Staging",
                "GraphJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // A client of the HTTP API with no engine dependency: calls generated from
        // openapi/openapi.json (Sources/GraphAPIClient/Generated) over GraphAPIContract's types,
        // streams read directly, both over AsyncHTTPClient.
        .target(
            name: "GraphAPIClient",
            dependencies: [
                "GraphAPIContract",
                "GraphJSON",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // A small S3 client over AsyncHTTPClient (Signature Version 4, multipart upload, streamed
        // reads, retries), for backups of databases to S3 or an S3-compatible store. No engine.
        .target(
            name: "S3Client",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "graph-api",
            dependencies: [
                "BackupArchive",
                "GraphAPI",
                "GraphService",
                "GraphAPIClient",
                "GraphAPIContract",
                "GraphJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: the server started through the production builder (GraphAPIServer and its
        // one ServiceGroup) on port 0, a client, and a log capture. Only test targets depend on it.
        .target(
            name: "GraphAPITesting",
            dependencies: [
                "GraphAPI",
                "GraphEngine",
                "GraphService",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GraphEngineTests",
            dependencies: ["GraphEngine"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StagingTests",
            dependencies: ["Staging"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EngineSetupTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BackupArchiveTests",
            dependencies: ["BackupArchive", "GraphJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GraphJSONTests",
            dependencies: ["GraphJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GraphAPIClientTests",
            dependencies: [
                "BackupArchive",
                "GraphAPIClient",
                "GraphAPIContract",
                "GraphJSON",
                "GraphAPI",
                "GraphAPITesting",
                "GraphService",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // DuckDB, to write the Parquet files the staging and copy tests load.
                "Staging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GraphAPITests",
            dependencies: [
                "BackupArchive",
                "GraphAPIContract",
                "S3Client",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "GraphAPI",
                "GraphAPITesting",
                "GraphService",
                "GraphJSON",
                "Staging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Against the two local S3 servers that scripts/test.sh starts (moto), and for the
        // retries a closed port and a local server that only fails; no mock of S3.
        .testTarget(
            name: "S3ClientTests",
            dependencies: [
                "S3Client",
                "GraphAPITesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
