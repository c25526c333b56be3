// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "spate",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Spate", targets: ["Spate"]),
        .executable(name: "spate", targets: ["spate"]),
        .library(name: "SpateML", targets: ["SpateML"]),
        .library(name: "SpateDashboard", targets: ["SpateDashboard"]),
        .library(name: "SpateKafka", targets: ["SpateKafka"]),
        .library(name: "SpateSQL", targets: ["SpateSQL"]),
        .library(name: "SpateSQLite", targets: ["SpateSQLite"]),
        .library(name: "SpatePostgres", targets: ["SpatePostgres"]),
        .library(name: "SpateStreamSQL", targets: ["SpateStreamSQL"]),
        .library(name: "SpateTesting", targets: ["SpateTesting"]),
        .library(name: "SpateFormats", targets: ["SpateFormats"]),
        .library(name: "SpateKafkaFormats", targets: ["SpateKafkaFormats"]),
        .library(name: "SpateGraph", targets: ["SpateGraph"]),
        .library(name: "SpateKinesis", targets: ["SpateKinesis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        .target(
            name: "Spate",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "spate",
            dependencies: [
                "Spate",
                "SpateDashboard",
                "SpateML",
                "SpateSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "NetworkWordCount", dependencies: ["Spate"], path: "Examples/NetworkWordCount"),
        .executableTarget(name: "RecoveryProbe", dependencies: ["Spate"], path: "Tests/RecoveryProbe"),
        // Fault injection against the real services and file systems (tmpfs, strace, SIGKILL, pg_ctl).
        .executableTarget(name: "FaultProbe", dependencies: ["Spate"], path: "Tests/FaultProbe"),
        .testTarget(name: "FaultTests", dependencies: ["Spate", "SpatePostgres"]),
        .testTarget(name: "SpateTests", dependencies: ["Spate", "SpateTesting"]),
        // A source written against the public API only (no @testable import): what a connector author can do.
        .testTarget(name: "SourceAPITests", dependencies: ["Spate"]),
        // The test driver users write their programs' tests with (manual clock, inputs, outputs, crash/recover).
        .target(name: "SpateTesting", dependencies: ["Spate"]),
        .testTarget(name: "SpateTestingTests", dependencies: ["SpateTesting", "Spate"]),
        // An example's own tests, written with SpateTesting as a user would.
        .testTarget(
            name: "ExampleTests", dependencies: ["NetworkWordCount", "SQLWordCount", "spate", "SpateTesting", "Spate"]),
        .target(name: "SpateML", dependencies: ["Spate", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "SpateMLTests", dependencies: ["SpateML", "Spate"]),
        // Graph processing on streams of edges (GraphX's algorithms), on the public DStream API.
        .target(name: "SpateGraph", dependencies: ["Spate"]),
        .testTarget(name: "SpateGraphTests", dependencies: ["SpateGraph", "Spate"]),
        .executableTarget(
            name: "StreamingPageRank", dependencies: ["Spate", "SpateGraph", "SpateDashboard"],
            path: "Examples/StreamingPageRank"),
        .executableTarget(
            name: "StreamingKMeansExample", dependencies: ["Spate", "SpateML"],
            path: "Examples/StreamingKMeansExample"),
        .executableTarget(
            name: "StreamingLinearRegressionExample", dependencies: ["Spate", "SpateML"],
            path: "Examples/StreamingLinearRegressionExample"),
        .target(
            name: "SpateDashboard",
            dependencies: [
                "Spate",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SpateDashboardTests",
            dependencies: [
                "SpateDashboard", "Spate",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "LiveDashboardExample", dependencies: ["Spate", "SpateDashboard"],
            path: "Examples/LiveDashboardExample"),
        // Kafka over Debian's librdkafka (apt install librdkafka-dev; scripts/kafka.sh installs it).
        .systemLibrary(
            name: "CRdKafka", path: "Sources/CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .target(
            name: "SpateKafka",
            dependencies: [
                "Spate", "CRdKafka", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        .testTarget(name: "SpateKafkaTests", dependencies: ["SpateKafka", "Spate"]),
        .executableTarget(
            name: "KafkaWordCount", dependencies: ["Spate", "SpateKafka"], path: "Examples/KafkaWordCount"),
        // The table sinks' vocabulary (layouts, columns, values, write modes) and their SQL dialects; no C library.
        .target(name: "SpateSQL", dependencies: [
            "Spate", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .testTarget(name: "SpateSQLTests", dependencies: ["SpateSQL", "Spate"]),
        // SQLite sink over sqlite-nio (bundles SQLite; no system library).
        .target(
            name: "SpateSQLite",
            dependencies: ["Spate", "SpateSQL", .product(name: "SQLiteNIO", package: "sqlite-nio")]),
        .testTarget(
            name: "SpateSQLiteTests",
            dependencies: ["SpateSQLite", "Spate", .product(name: "SQLiteNIO", package: "sqlite-nio")]),
        // SQL queries on each batch (or window) of a stream, in an in-memory SQLite database (sqlite-nio's bundled
        // SQLite, called through its C module VaporCSQLite: a DStream's compute is synchronous).
        .target(
            name: "SpateStreamSQL",
            dependencies: ["Spate", "SpateSQL", .product(name: "SQLiteNIO", package: "sqlite-nio")]),
        .testTarget(name: "SpateStreamSQLTests", dependencies: ["SpateStreamSQL", "Spate", "SpateTesting"]),
        .executableTarget(
            name: "SQLWordCount", dependencies: ["Spate", "SpateStreamSQL"], path: "Examples/SQLWordCount"),
        // PostgreSQL sink over Debian's libpq (apt install libpq-dev; scripts/postgres.sh installs it).
        .systemLibrary(
            name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "SpatePostgres", dependencies: ["Spate", "SpateSQL", "CLibPQ"]),
        .testTarget(name: "SpatePostgresTests", dependencies: ["SpatePostgres", "Spate"]),
        .executableTarget(
            name: "KafkaCampaignCounts",
            dependencies: [
                "Spate", "SpateKafka", "SpatePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/KafkaCampaignCounts"),
        .testTarget(name: "ExactlyOnceTests", dependencies: ["SpateKafka", "SpatePostgres", "Spate"]),
        // The dead-letter pipeline ExactlyOnceTests kill with SIGKILL at chosen points.
        .executableTarget(
            name: "KafkaDeadLetterProbe", dependencies: ["Spate", "SpateKafka", "SpatePostgres"],
            path: "Tests/KafkaDeadLetterProbe"),
        .executableTarget(name: "KafkaMockCluster", dependencies: ["CRdKafka"], path: "Tests/KafkaMockCluster"),
        // The Kafka -> Kafka exactly-once pipeline ExactlyOnceTests kill with SIGKILL at seeded points.
        .executableTarget(
            name: "KafkaExactlyOnceProbe", dependencies: ["Spate", "SpateKafka"], path: "Tests/KafkaExactlyOnceProbe"),
        // Record formats (JSON, Avro, Protobuf) for every source and sink; the Kafka forms in their own module.
        .target(name: "SpateFormats", dependencies: ["Spate", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "SpateKafkaFormats", dependencies: ["Spate", "SpateFormats", "SpateKafka"]),
        .testTarget(
            name: "SpateFormatsTests",
            dependencies: [
                "SpateFormats", "SpateKafkaFormats", "SpateKafka", "Spate",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Fixtures"]),
        .executableTarget(
            name: "KafkaAvroCounts", dependencies: ["Spate", "SpateKafka", "SpateFormats", "SpateKafkaFormats"],
            path: "Examples/KafkaAvroCounts"),
        // Kinesis over its documented JSON API: HTTPS through Foundation's URLSession (libcurl), SigV4 signed with
        // swift-crypto's SHA-256 and HMAC.
        .target(
            name: "SpateKinesis",
            dependencies: [
                "Spate", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "SpateKinesisTests", dependencies: ["SpateKinesis", "Spate", "SpatePostgres"]),
        // The Kinesis -> PostgreSQL pipeline SpateKinesisTests kill with SIGKILL while the stream is resharded.
        .executableTarget(
            name: "KinesisProbe", dependencies: ["Spate", "SpateKinesis", "SpatePostgres"], path: "Tests/KinesisProbe"),
        .executableTarget(
            name: "KinesisWordCount", dependencies: ["Spate", "SpateKinesis"], path: "Examples/KinesisWordCount"),
    ],
    swiftLanguageModes: [.v6]
)
