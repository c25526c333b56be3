// swift-tools-version: 6.1
import PackageDescription

// Spate's benchmarks: each engine benchmark sits beside a hand-written two-thread Swift loop doing the same
// work, so the figures say how much the engine costs over the best a program could do by hand.
// Run: `cd Benchmarks && swift package --allow-writing-to-package-directory benchmark`
let package = Package(
    name: "SpateBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "spate", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SpateBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Spate", package: "spate"),
                .product(name: "SpateML", package: "spate"),
                .product(name: "SpateDashboard", package: "spate"),
            ],
            path: "Benchmarks/SpateBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
