// swift-tools-version:6.2
// Tools that generate checked-in sources; never built by the main package, its tests or CI.
// `scripts/generate-openapi.sh` builds the OpenAPI generator from here with
// `--scratch-path .build-tools` (git ignored) and runs it on `openapi/openapi.json`.
import PackageDescription

let package = Package(
    name: "graph-api-tools",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator.git", exact: "1.14.3")
    ],
    targets: []
)
