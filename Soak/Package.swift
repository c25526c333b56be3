// swift-tools-version: 6.1
// The soak program of scripts/soak.sh: a long run of small batches through a receiver with its write-ahead log,
// mapWithState with timeouts over churning keys, an incremental window, checkpoints and the live dashboard.
// A package of its own (as Fuzz/ and Benchmarks/) so that the engine's `swift build` and CI's test run never
// build it; scripts/soak.sh builds it in release.
import PackageDescription

let package = Package(
    name: "spate-soak",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "spate", path: "..")],
    targets: [
        .executableTarget(
            name: "SpateSoak",
            dependencies: [
                .product(name: "Spate", package: "spate"),
                .product(name: "SpateDashboard", package: "spate"),
            ],
            path: "SpateSoak"),
    ],
    swiftLanguageModes: [.v6]
)
