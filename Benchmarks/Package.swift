// swift-tools-version: 6.1
import PackageDescription

// Spate's benchmarks: each engine benchmark sits beside a hand-written two-thread Swift loop doing the same
// work, so the figures say how much the engine costs over the best a program could do by hand.
// Run: `cd Benchmarks && swift package --allow-writing-to-package-directory benchmark`
// End to end (Kafka -> windowed counts -> PostgreSQL; needs `scripts/services.sh start`):
// `cd Benchmarks && swift run -c release KafkaPostgresEndToEnd`
// From real sources (socket, directory, Kafka; a writer process offers the load):
// `cd Benchmarks && swift run -c release RealSourceBenchmarks`
let package = Package(
    name: "SpateBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "spate", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
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
        // Kafka -> windowed campaign counts -> PostgreSQL, end to end: records/s and produce-to-visible latency.
        // A plain executable (not an ordo-one benchmark): it needs the broker and the database running. It lives
        // under EndToEnd/ because the benchmark plugin runs every executable whose folder sits in a "Benchmarks" one.
        // Its CampaignEvent.swift is a symbolic link to the example's (Examples/KafkaCampaignCounts), so both
        // compile the same event parsing.
        .executableTarget(
            name: "KafkaPostgresEndToEnd",
            dependencies: [
                .product(name: "Spate", package: "spate"),
                .product(name: "SpateKafka", package: "spate"),
                .product(name: "SpatePostgres", package: "spate"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "EndToEnd/KafkaPostgresEndToEnd"
        ),
        // Word count from a socket, a directory and a Kafka topic, and W2's shape at small batch intervals, with
        // the load offered by a separate writer process (its own `writer` subcommand). Needs the broker for Kafka.
        .executableTarget(
            name: "RealSourceBenchmarks",
            dependencies: [
                .product(name: "Spate", package: "spate"),
                .product(name: "SpateKafka", package: "spate"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "EndToEnd/RealSourceBenchmarks"
        ),
        // Decode throughput per record format (JSON, Avro, Protobuf) beside hand-written decoders of the same
        // record and Foundation's JSONDecoder: `swift run -c release FormatDecoding`. Click.swift and
        // click.pb.swift are symbolic links to the format tests' record.
        .executableTarget(
            name: "FormatDecoding",
            dependencies: [
                .product(name: "SpateFormats", package: "spate"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Throughput/FormatDecoding"
        ),
        // SpateGraph's algorithms on the R-MAT graph beside hand-written loops on flat arrays, and
        // incremental connected components over a stream of 10M edges: `swift run -c release GraphBenchmarks`.
        // graphx.scala runs GraphX on the same edges (`--write-edges FILE`) for the side-by-side figures.
        .executableTarget(
            name: "GraphBenchmarks",
            dependencies: [.product(name: "Spate", package: "spate"), .product(name: "SpateGraph", package: "spate")],
            path: "EndToEnd/GraphBenchmarks",
            exclude: ["graphx.scala"]
        ),
        // The SQL word count beside reduceByKey, a hand loop and sqlite-nio's query API (rows/s).
        .executableTarget(
            name: "SQLWordCountBenchmark",
            dependencies: [
                .product(name: "Spate", package: "spate"), .product(name: "SpateStreamSQL", package: "spate"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            path: "EndToEnd/SQLWordCountBenchmark"
        ),
    ],
    swiftLanguageModes: [.v6]
)
