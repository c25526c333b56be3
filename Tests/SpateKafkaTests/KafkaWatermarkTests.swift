import Foundation
import Spate
import SpateKafka
import Testing

/// Per-partition watermarks on the real broker (scripts/kafka.sh start): a 3-partition topic, records
/// produced out of order with explicit Kafka timestamps, partition 2 idle, then rejoining.
@Suite(.serialized) struct KafkaWatermarkTests {
    typealias Broker = KafkaTestBroker

    /// A whole number of 5 s windows since the epoch, so windows fall on round offsets from it.
    static let base: Int64 = 1_750_000_000_000

    /// What each batch (1 ... 9) brings, per partition: event times in ms after `base`, in production order.
    /// Partition 0 runs ahead, 1 lags with records out of order, 2 brings nothing until batch 8.
    static let plan: [Int: [Int: [Int64]]] = [
        1: [0: [5000, 3000, 6000], 1: [1000, 2500, 2000]],
        2: [0: [9000, 7000], 1: [3000, 2800]],
        3: [0: [12_000], 1: [4200, 3900]],
        4: [0: [13_000], 1: [4600]],
        5: [0: [14_000], 1: [5200, 4700]],
        6: [0: [15_000], 1: [6500]],
        7: [0: [16_000], 1: [4000]],
        8: [0: [17_000], 1: [12_000], 2: [2000]],
        9: [0: [18_000], 1: [13_000], 2: [11_000]],
    ]

    /// Each batch's records of `stream` (sorted strings), by batch number.
    final class Seen: Sendable {
        let log = BatchLog<[String]>()
        init<T: Sendable>(_ stream: DStream<T>, _ show: @escaping @Sendable (T) -> String) {
            stream.foreachBatch { [log] batch, time in log.record(batch.collect().map(show).sorted(), at: time) }
        }
        /// Batch `i`'s records (empty when the output saw none).
        subscript(_ i: Int) -> [String] { log[i * 1000] ?? [] }
    }

    @Test func windowsCloseWhenTheSlowestActivePartitionPassesAndAnIdleOneStopsHoldingAfterTheTimeout() async throws {
        let topic = try Broker.makeTopic("watermark", partitions: 3)
        let producer = try KafkaProducer(brokers: Broker.brokers)
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let kafka = ssc.directKafkaStream(
            brokers: Broker.brokers, topics: [topic], groupID: "g-\(UUID().uuidString)",
            options: KafkaStreamOptions(startingOffsets: .earliest))
        // No eventTime: the Kafka timestamps are the event times.
        let timed = try kafka.withWatermark(delay: .seconds(1), idleTimeout: .seconds(3))
        let byRecords = try kafka.records.withWatermark(delay: .seconds(1), idleTimeout: .seconds(3))
        let relative = { @Sendable (t: Int64) in t - Self.base }
        let windows = Seen(try timed.countByKeyAndWindow(key: { $0.partition }, length: .seconds(5))) {
            "p\($0.0.key)@\(relative($0.0.window.start))=\($0.1)"
        }
        let late = Seen(timed.late) { "p\($0.partition)@\(relative($0.timestampMilliseconds!))" }
        let marks = Seen(timed.watermarks) { "\(relative($0))" }
        let recordMarks = Seen(byRecords.watermarks) { "\(relative($0))" }
        let partitionMarks = Seen(timed.partitionWatermarks) { byPartition in
            byPartition.sorted { $0.key < $1.key }.map { "\($0.key.split(separator: "-").last!)=\(relative($0.value))" }
                .joined(separator: " ")
        }
        let stamps = Seen(kafka.records) { "p\($0.partition)@\($0.timestampMilliseconds.map(relative) ?? -1)" }
        try await ssc.start()
        for i in 1...9 {
            let messages = (Self.plan[i] ?? [:]).sorted { $0.key < $1.key }.flatMap { p, times in
                times.map { KafkaMessage("v", partition: p, timestampMilliseconds: Self.base + $0) }
            }
            try producer.send(messages, to: topic)
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()

        // The broker keeps the producer's timestamps and the stream reads them.
        #expect(stamps[1] == ["p0@3000", "p0@5000", "p0@6000", "p1@1000", "p1@2000", "p1@2500"])
        // Partition 2 is assigned but silent: it holds the watermark (none) for 3 s of batch time, then the
        // slowest active partition (1) sets it. It rejoins in batch 8 with a late record, holding W at 5.5 s
        // though 0 and 1 passed 12 s; in batch 9 it is at 11 s, so W = 10 s.
        #expect((1...9).map { marks[$0] } == [[], [], [], ["3600"], ["4200"], ["5500"], ["5500"], ["5500"], ["10000"]])
        #expect((1...9).map { partitionMarks[$0] } == [
            [], [], [], ["0=12000 1=3600"], ["0=13000 1=4200"], ["0=14000 1=5500"], ["0=15000 1=5500"],
            ["0=16000 1=11000 2=1000"], ["0=17000 1=12000 2=10000"],
        ])
        // The records-only form knows a partition by its records: 2 does not hold it back before it brings one.
        #expect((1...4).map { recordMarks[$0] } == [["1500"], ["2000"], ["3200"], ["3600"]])
        #expect(recordMarks[9] == ["10000"])
        // Partition 1's out-of-order records (4.7 s after 0 reached 14 s) are on time; only the records behind
        // the watermark in force are late.
        #expect((1...9).map { late[$0] } == [[], [], [], [], [], [], ["p1@4000"], ["p2@2000"], []])
        // [0, 5 s) closes only once partition 1 passed 6 s (W 5.5 s), [5 s, 10 s) only once 2 passed 11 s.
        #expect((1...9).map { windows[$0] } == [
            [], [], [], [], [], ["p0@0=1", "p1@0=9"], [], [], ["p0@5000=4", "p1@5000=2"],
        ])
    }

    /// A consumer-group member whose watermark (per partition, knowing its assignment) is recorded per batch.
    final class Member: Sendable {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let kafka: KafkaStream
        let marks: Seen

        init(topic: String, group: String) throws {
            kafka = ssc.directKafkaStream(
                brokers: Broker.brokers, topics: [topic], groupID: group,
                options: KafkaStreamOptions(startingOffsets: .committed, commitOffsets: .afterOutputs,
                                            assignment: .consumerGroup,
                                            settings: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]))
            // An idle timeout far beyond the test's batches: only the revocation can release a partition.
            let timed = try kafka.withWatermark(delay: .seconds(1), idleTimeout: .seconds(3600))
            marks = Seen(timed.watermarks) { "\($0 - KafkaWatermarkTests.base)" }
        }

        /// The watermark after the last batch that had one.
        var watermark: Int64? {
            marks.log.all.sorted { $0.key < $1.key }.last { !$0.value.isEmpty }.flatMap { Int64($0.value[0]) }
        }
    }

    @Test func aPartitionRevokedFromThisMemberLeavesTheMinimumAtOnce() async throws {
        let topic = try Broker.makeTopic("watermark-group", partitions: 2)
        let group = "g-\(UUID().uuidString)"
        let producer = try KafkaProducer(brokers: Broker.brokers)
        func produce(_ times: [Int: Int64]) throws {
            try producer.send(
                times.map { KafkaMessage("v", partition: $0.key, timestampMilliseconds: Self.base + $0.value) },
                              to: topic)
        }
        let a = try Member(topic: topic, group: group)
        try await a.ssc.start()
        try await Broker.advance([a.ssc]) { a.kafka.assignedPartitions.count == 2 }
        // Alone, a reads both: partition 1 lags, so it holds a's watermark at 5 s - 1 s.
        try produce([0: 20_000, 1: 5000])
        try await Broker.advance([a.ssc]) { a.watermark == 4000 }
        #expect(a.watermark == 4000)

        // b joins: each member keeps one partition. Both move on; a's revoked partition no longer holds it.
        let b = try Member(topic: topic, group: group)
        try await b.ssc.start()
        try await Broker.advance([a.ssc, b.ssc]) {
            a.kafka.assignedPartitions.count == 1 && b.kafka.assignedPartitions.count == 1
        }
        let kept = try #require(a.kafka.assignedPartitions.first).partition
        let newest: [Int: Int64] = [0: 30_000, 1: 31_000]
        try produce(newest)
        try await Broker.advance([a.ssc, b.ssc]) {
            a.watermark == newest[kept]! - 1000 && b.watermark == newest[1 - kept]! - 1000
        }
        #expect(a.watermark == newest[kept]! - 1000, "a keeps partition \(kept); the revoked one left its minimum")
        #expect(b.watermark == newest[1 - kept]! - 1000)
        await b.ssc.stop()
        await a.ssc.stop()
    }

    @Test func decodedEventsCarryTheirOwnTimeAndTheWatermarkIsPerPartition() async throws {
        struct NoTime: Error {}
        let topic = try Broker.makeTopic("watermark-decoded", partitions: 2)
        let producer = try KafkaProducer(brokers: Broker.brokers)
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let failed = SaveToKafkaTests.FailedCounts()
        ssc.addListener(failed)
        let kafka = ssc.directKafkaStream(
            brokers: Broker.brokers, topics: [topic], groupID: "g-\(UUID().uuidString)",
            options: KafkaStreamOptions(startingOffsets: .earliest))
        // The value "t=<ms>" holds the event time; the Kafka timestamps (far ahead) must not be used.
        let events = try kafka.decoded({ record -> (partition: Int, time: Int64) in
            guard let text = record.valueString, text.hasPrefix("t="), let t = Int64(text.dropFirst(2)) else {
                throw NoTime()
            }
            return (record.partition, t)
        }, eventTime: { $0.time }, delay: .zero, idleTimeout: .seconds(10))
        let marks = Seen(events.watermarks) { "\($0)" }
        let windows = Seen(try events.countByKeyAndWindow(key: { $0.partition }, length: .seconds(5))) {
            "p\($0.0.key)@\($0.0.window.start)=\($0.1)"
        }
        let plan: [[Int: [String]]] = [
            [0: ["t=8000", "bad"], 1: ["t=1000"]], [0: ["t=9000"], 1: ["t=4000", "t=3000"]],
            [0: ["t=12000"], 1: ["t=6000"]],
        ]
        try await ssc.start()
        for batch in plan {
            try producer.send(batch.flatMap { p, values in
                values.map { KafkaMessage($0, partition: p, timestampMilliseconds: Self.base) }
            }, to: topic)
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        // Partition 1 lags: W is its time (delay 0), and [0, 5 s) closes only when it reached 6 s.
        #expect((1...3).map { marks[$0] } == [["1000"], ["4000"], ["6000"]])
        #expect((1...3).map { windows[$0] } == [[], [], ["p1@0=3"]])
        #expect(failed.failed.withLock { $0 }.prefix(3) == [1, 0, 0])
    }
}
