// swift-tools-version: 6.1
// libFuzzer targets for the engine, in a package of their own so that the engine's `swift build` and
// `swift test` never see a sanitizer flag. Build and run them with scripts/fuzz.sh, which builds with
// `-sanitize=fuzzer,address` in .build-fuzz. Each target's main.swift hands its `LLVMFuzzerTestOneInput` to
// libFuzzer's driver (SwiftPM renames an executable's `main`, so libFuzzer's own is not linked). The targets `@testable import` the engine's
// modules to reach internal types (the line splitter, the dashboard's router): a debug build compiles every
// module with testing enabled, so this needs no change to the engine's access levels.
import PackageDescription

let package = Package(
    name: "spate-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "spate", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        .target(name: "FuzzerDriver", path: "FuzzerDriver"),
        // One executable a concern; the file named after its directory says what it checks.
        .executableTarget(
            name: "FuzzTextParsers", dependencies: ["FuzzerDriver", .product(name: "Spate", package: "spate")],
            path: "TextParsers"),
        .executableTarget(
            name: "FuzzLineSplitter", dependencies: ["FuzzerDriver", .product(name: "Spate", package: "spate")],
            path: "LineSplitter"),
        .executableTarget(
            name: "FuzzCheckpoint", dependencies: ["FuzzerDriver", .product(name: "Spate", package: "spate")],
            path: "Checkpoint"),
        .executableTarget(
            name: "FuzzWriteAheadLog", dependencies: ["FuzzerDriver", .product(name: "Spate", package: "spate")],
            path: "WriteAheadLog"),
        .executableTarget(
            name: "FuzzSparkText", dependencies: ["FuzzerDriver", .product(name: "SpateML", package: "spate")],
            path: "SparkText"),
        .executableTarget(
            name: "FuzzDashboardRoutes",
            dependencies: [
                "FuzzerDriver",
                .product(name: "Spate", package: "spate"),
                .product(name: "SpateDashboard", package: "spate"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "DashboardRoutes"),
        .executableTarget(
            name: "FuzzKafkaRecords",
            dependencies: [
                "FuzzerDriver", .product(name: "Spate", package: "spate"), .product(name: "SpateKafka", package: "spate"),
            ],
            path: "KafkaRecords"),
        .executableTarget(
            name: "FuzzFormats",
            dependencies: [
                "FuzzerDriver", .product(name: "SpateFormats", package: "spate"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Formats"),
    ],
    swiftLanguageModes: [.v6]
)
