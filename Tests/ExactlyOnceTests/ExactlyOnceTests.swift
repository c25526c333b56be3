import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Testing

/// Exactly-once from Kafka through event-time windows into PostgreSQL under crashes, with the
/// KafkaCampaignCounts example as the pipeline.
@Suite(.serialized) struct ExactlyOnceTests {
    /// A producer writes events with event times (out of order within the delay, some late, some malformed)
    /// while the pipeline is killed with SIGKILL at seeded random points, 12 times, and restarted from its
    /// checkpoint; in the end the table holds exactly the windows the watermark closed with their on-time counts
    /// (a window written twice would show doubled: the table adds), every late event is in the late topic
    /// (at-least-once: a batch re-run after a crash sends its late events again, with the same key, their
    /// origin), and the stored offsets are the topic's end.
    @Test func killNineWhileProducingLosesAndDoublesNothing() async throws {
        try await Pipeline.prepareDatabase()
        let topic = Pipeline.unique("campaign-events").replacingOccurrences(of: "_", with: "-")
        let partitions = 4
        try KafkaAdmin.createTopic(topic, partitions: partitions, brokers: Pipeline.brokers, timeout: .seconds(5))
        for side in ["late", "dlq"] {
            try KafkaAdmin.createTopic("\(topic)-\(side)", partitions: 1, brokers: Pipeline.brokers, timeout: .seconds(5))
        }
        let table = Pipeline.unique("campaign_counts")
        let group = Pipeline.unique("exactly-once")
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-eo"))
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let store = PostgresOffsetStore(connection: Pipeline.postgres, table: table)
        let partitionIDs = (0..<partitions).map { SourcePartition(topic: topic, partition: $0) }

        let arguments = ["--topic", topic, "--table", table, "--group", group, "--batch-ms", "200",
                         "--window-seconds", "\(EventTimeCampaigns.windowMs / 1000)",
                         "--delay-seconds", "\(EventTimeCampaigns.delayMs / 1000)",
                         // Checkpoints every 5th batch: most kills find rows written after the newest one.
                         "--checkpoint", logs.appendingPathComponent("checkpoint").path, "--checkpoint-every", "5",
                         "--postgres", Pipeline.postgres]
        let producer = Task.detached { () throws -> EventTimeCampaigns in
            var plan = EventTimeCampaigns(partitions: partitions, campaigns: 12, seed: 20261201)
            let kafka = try KafkaProducer(brokers: Pipeline.brokers)
            for _ in 0..<40 {
                // Late events only behind a watermark the stored offsets prove: see EventTimeCampaigns.
                let stored = try await BlockingIO.run { try store.storedOffsets(group: group, partitions: partitionIDs) }
                let committed = plan.committedChunk(stored: partitionIDs.map { stored[$0]?.int64Value ?? 0 })
                let messages = plan.chunk(200, lateCount: 5, committed: committed)
                try await BlockingIO.run { try kafka.send(messages, to: topic) }
                try await Task.sleep(for: .milliseconds(250))
            }
            return plan
        }
        var random = SeededRandom(seed: 20261127)
        var kills = 0
        let checkpoints = logs.appendingPathComponent("checkpoint")
        for run in 0..<12 {
            let p = try Pipeline.launch(arguments, log: logs.appendingPathComponent("run-\(run).log"))
            // Not before the first checkpoint: rows written before it leave the program nothing to resume from
            // (the example then refuses to start, saying so).
            let first = ContinuousClock.now + .seconds(30)
            while run == 0, ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? [])
                .allSatisfy({ !$0.hasSuffix(".spate") }), ContinuousClock.now < first {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1500, using: &random)))
            #expect(p.isRunning, "run \(run) exited early: see \(logs.path)/run-\(run).log")
            await Pipeline.kill9(p)
            kills += 1
        }
        let plan = try await producer.value
        #expect(kills >= 10)

        let expected = plan.expected
        let final = try Pipeline.launch(arguments, log: logs.appendingPathComponent("final.log"))
        func storedTotal() async -> Int64 {
            let stored = (try? await BlockingIO.run { try store.storedOffsets(group: group, partitions: partitionIDs) }) ?? [:]
            return stored.values.compactMap(\.int64Value).reduce(0, +)
        }
        let deadline = ContinuousClock.now + .seconds(90)
        while await storedTotal() < Int64(plan.messages), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let table_ = await Pipeline.awaitTable(table, equals: expected, timeout: .seconds(30))
        await Pipeline.stop(final)
        #expect(Pipeline.sum(table_) == Pipeline.sum(expected), "logs: \(logs.path)")
        #expect(table_ == expected, "missing or wrong: \(expected.filter { table_[$0.key] != $0.value }.sorted { $0.key < $1.key }.prefix(10)); extra: \(table_.keys.filter { expected[$0] == nil }.sorted().prefix(10))")
        #expect(expected.count >= 40 && plan.late.count >= 20, "the run closes windows and has late events")

        #expect(await storedTotal() == Int64(plan.messages), "every record, malformed and late ones included, is behind the stored offsets")

        let copies = try await DeadLetterCrashTests.readAll("\(topic)-late")
        let byValue = Dictionary(grouping: copies) { $0.valueString ?? "" }
        #expect(Set(byValue.keys) == Set(plan.late), "every late event in the late topic, and nothing else")
        for (value, same) in byValue {
            #expect(Set(same.map(\.keyString)).count == 1, "the copies of \(value) carry one origin key")
        }
        let logged = (try? FileManager.default.contentsOfDirectory(atPath: logs.path))?.contains { name in
            (try? String(contentsOf: logs.appendingPathComponent(name), encoding: .utf8))?
                .contains("late events sent to the late topic") ?? false
        } ?? false
        #expect(logged, "the late events are counted in the log")
        print("exactly-once event time: \(plan.onTime.count) on-time, \(plan.late.count) late events, \(expected.count) windows; \(copies.count - byValue.count) late events sent again after a crash")
        for side in ["", "-late", "-dlq"] { try? KafkaAdmin.deleteTopic("\(topic)\(side)", brokers: Pipeline.brokers) }
    }
}
