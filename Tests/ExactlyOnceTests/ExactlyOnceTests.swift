import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Testing

/// Exactly-once from Kafka into PostgreSQL under crashes, with the KafkaCampaignCounts example as the pipeline.
@Suite(.serialized) struct ExactlyOnceTests {
    /// A producer writes a known set of events (and some malformed ones) while the pipeline is killed with
    /// SIGKILL at seeded random points, 12 times, and restarted; in the end the table holds exactly the
    /// expected counts and the stored offsets are the topic's end.
    @Test func killNineWhileProducingLosesAndDoublesNothing() async throws {
        try await Pipeline.prepareDatabase()
        let topic = Pipeline.unique("campaign-events").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 4, brokers: Pipeline.brokers, timeout: .seconds(5))
        let table = Pipeline.unique("campaign_counts")
        let group = Pipeline.unique("exactly-once")
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-eo"))
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)

        var random = SeededRandom(seed: 20261127)
        let chunks = (0..<40).map { _ in Pipeline.events(200, campaigns: 12, random: &random, malformedEvery: 50) }
        var expected: [String: Int64] = [:]
        for chunk in chunks { Pipeline.merge(&expected, chunk.counts) }
        let produced = chunks.reduce(0) { $0 + $1.messages.count }

        let arguments = ["--topic", topic, "--table", table, "--group", group, "--batch-ms", "200",
                         "--postgres", Pipeline.postgres]
        let producer = Task.detached {
            let kafka = try KafkaProducer(brokers: Pipeline.brokers)
            for chunk in chunks {
                try kafka.send(chunk.messages, to: topic)
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        var kills = 0
        for run in 0..<12 {
            let p = try Pipeline.launch(arguments, log: logs.appendingPathComponent("run-\(run).log"))
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1500, using: &random)))
            #expect(p.isRunning, "run \(run) exited early: see \(logs.path)/run-\(run).log")
            await Pipeline.kill9(p)
            kills += 1
        }
        try await producer.value
        #expect(kills >= 10)

        let final = try Pipeline.launch(arguments, log: logs.appendingPathComponent("final.log"))
        let table_ = await Pipeline.awaitTable(table, equals: expected, timeout: .seconds(90))
        await Pipeline.stop(final)
        #expect(Pipeline.sum(table_) == Pipeline.sum(expected), "logs: \(logs.path)")
        #expect(table_ == expected)

        let partitions = (0..<4).map { SourcePartition(topic: topic, partition: $0) }
        let stored = try PostgresOffsetStore(connection: Pipeline.postgres, table: table)
            .storedOffsets(group: group, partitions: partitions)
        #expect(stored.values.compactMap(\.int64Value).reduce(0, +) == Int64(produced), "every record, malformed ones included, is behind the stored offsets")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }
}
