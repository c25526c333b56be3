import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// The direct stream against the real broker (scripts/kafka.sh start): exact contents, offset ranges per
/// partition, rate bounds, starting offsets.
@Suite(.serialized) struct KafkaStreamTests {
    typealias Broker = KafkaTestBroker

    /// Values per Spate partition and offset ranges of every batch.
    struct Seen: Sendable {
        var values: [[String]]
        var ranges: [KafkaOffsetRange]
    }

    static func run(
        topic: String, group: String = "g-\(UUID().uuidString)", options: KafkaStreamOptions, batches: Int,
        between: @Sendable (Int) throws -> Void = { _ in }
    ) async throws -> BatchLog<Seen> {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let kafka = ssc.directKafkaStream(brokers: Broker.brokers, topics: [topic], groupID: group, options: options)
        let log = BatchLog<Seen>()
        kafka.foreachBatch { batch, ranges, time in
            log.record(Seen(values: batch.partitions.map { $0.map { $0.valueString ?? "" } }, ranges: ranges), at: time)
        }
        try await ssc.start()
        for i in 1...batches {
            try between(i)
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        return log
    }

    @Test func eachBatchReadsUpToTheLatestOffsetOfEveryPartition() async throws {
        let topic = try Broker.makeTopic("direct")
        try Broker.produce(topic, perPartition: 10)
        let log = try await Self.run(topic: topic, options: KafkaStreamOptions(startingOffsets: .earliest), batches: 3) { i in
            if i == 2 { try Broker.produce(topic, perPartition: 3, start: 10) }
        }
        let first = try #require(log[1000])
        #expect(first.values.count == 4)
        for p in 0..<4 {
            #expect(first.values[p] == Broker.expected(partition: p, 0..<10))
            #expect(first.ranges[p] == KafkaOffsetRange(topic: topic, partition: p, fromOffset: 0, untilOffset: 10))
        }
        let second = try #require(log[2000])
        for p in 0..<4 {
            #expect(second.values[p] == Broker.expected(partition: p, 10..<13))
            #expect(second.ranges[p] == KafkaOffsetRange(topic: topic, partition: p, fromOffset: 10, untilOffset: 13))
        }
        let third = try #require(log[3000])
        #expect(third.values.allSatisfy { $0.isEmpty })
        #expect(third.ranges.map(\.fromOffset) == [13, 13, 13, 13])
        #expect(third.ranges.map(\.untilOffset) == [13, 13, 13, 13])
    }

    @Test func maxRatePerPartitionBoundsEveryBatch() async throws {
        let topic = try Broker.makeTopic("rate")
        try Broker.produce(topic, perPartition: 10)
        let log = try await Self.run(
            topic: topic, options: KafkaStreamOptions(maxRatePerPartition: 3, startingOffsets: .earliest), batches: 5)
        var reassembled = [[String]](repeating: [], count: 4)
        for (k, t) in stride(from: 1000, through: 5000, by: 1000).enumerated() {
            let seen = try #require(log[t])
            let from = Int64(min(10, 3 * k)), until = Int64(min(10, 3 * k + 3))
            for p in 0..<4 {
                #expect(seen.ranges[p].fromOffset == from && seen.ranges[p].untilOffset == until, "batch \(t) partition \(p)")
                #expect(seen.values[p].count <= 3)
                reassembled[p] += seen.values[p]
            }
        }
        for p in 0..<4 { #expect(reassembled[p] == Broker.expected(partition: p, 0..<10)) }
    }

    @Test func batchInfoReportsEachPartitionsRangeAndLag() async throws {
        let topic = try Broker.makeTopic("lag")
        try Broker.produce(topic, perPartition: 10)
        final class Infos: StreamingListener {
            let infos = Mutex<[BatchInfo]>([])
            func batchCompleted(_ info: BatchInfo) { infos.withLock { $0.append(info) } }
        }
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let infos = Infos()
        ssc.addListener(infos)
        ssc.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: "lag",
                        options: KafkaStreamOptions(maxRatePerPartition: 4, startingOffsets: .earliest))
            .foreachBatch { _, _ in }
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        await ssc.stop()
        let described = infos.infos.withLock { $0 }.map { $0.streamIdToMetadata.values.first ?? [:] }
        #expect(described.count == 3)
        #expect(described[0]["\(topic)-0"] == "offsets 0..<4, lag 6")
        #expect(described[1]["\(topic)-1"] == "offsets 4..<8, lag 2")
        #expect(described[2]["\(topic)-3"] == "offsets 8..<10, lag 0")
        #expect(described.allSatisfy { $0.filter { $0.key != "bound" }.count == 4 })
        // The rate bound bit in the first two batches (lag left), not in the last.
        #expect(described.map { $0["bound"] != nil } == [true, true, false])
    }

    @Test func recordsCarryKeysOffsetsTimestampsAndHeaders() async throws {
        let topic = try Broker.makeTopic("fields", partitions: 1)
        let producer = try KafkaProducer(brokers: Broker.brokers)
        try producer.send([
            KafkaMessage("v0", key: "a", headers: [KafkaHeader(name: "h", string: "1")]),
            KafkaMessage(value: nil, key: Array("tomb".utf8)),
        ], to: topic)
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let log = BatchLog<[KafkaRecord]>()
        ssc.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: "fields",
                        options: KafkaStreamOptions(startingOffsets: .earliest))
            .foreachBatch { batch, time in log.record(batch.collect(), at: time) }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        let records = try #require(log[1000])
        try #require(records.count == 2)
        #expect(records[0].topic == topic && records[0].partition == 0 && records[0].offset == 0)
        #expect(records[0].keyString == "a" && records[0].valueString == "v0" && records[0].header("h") == "1")
        #expect(records[0].timestampMilliseconds != nil)
        #expect(records[1].offset == 1 && records[1].value == nil && records[1].keyString == "tomb")
    }

    @Test func startingOffsetsStoredByTheProgramResumeAfterThem() async throws {
        let topic = try Broker.makeTopic("specific")
        try Broker.produce(topic, perPartition: 6)
        let stored: [KafkaTopicPartition: Int64] = [
            KafkaTopicPartition(topic: topic, partition: 0): 4, KafkaTopicPartition(topic: topic, partition: 2): 6,
        ]
        let log = try await Self.run(topic: topic, options: KafkaStreamOptions(startingOffsets: .specific(stored)), batches: 1)
        let seen = try #require(log[1000])
        #expect(seen.values[0] == Broker.expected(partition: 0, 4..<6))
        #expect(seen.values[1] == Broker.expected(partition: 1, 0..<6))
        #expect(seen.values[2].isEmpty)
        #expect(seen.ranges[2].fromOffset == 6)
    }

    @Test func latestSkipsWhatWasWrittenBeforeStart() async throws {
        let topic = try Broker.makeTopic("latest")
        try Broker.produce(topic, perPartition: 5)
        let log = try await Self.run(topic: topic, options: KafkaStreamOptions(startingOffsets: .latest), batches: 1) { _ in
            try Broker.produce(topic, perPartition: 1, start: 5)
        }
        let seen = try #require(log[1000])
        for p in 0..<4 { #expect(seen.values[p] == ["p\(p)-5"]) }
    }

    @Test func startFailsWithTheFixWhenNoBrokerAnswers() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        ssc.kafkaStream(brokers: "127.0.0.1:1", topics: ["t"], groupID: "g",
                        options: KafkaStreamOptions(connectTimeout: .seconds(1)))
            .foreachBatch { _, _ in }
        do {
            try await ssc.start()
            Issue.record("start() should fail without a broker")
        } catch {
            #expect("\(error)".contains("127.0.0.1:1"))
            #expect("\(error)".contains("scripts/kafka.sh start"))
        }
        await ssc.stop()
    }

    @Test func startFailsOnAMissingTopic() async throws {
        _ = try Broker.makeTopic("exists")
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        ssc.kafkaStream(brokers: Broker.brokers, topics: ["no-such-topic-\(UUID().uuidString)"], groupID: "g")
            .foreachBatch { _, _ in }
        await #expect(throws: (any Error).self) { try await ssc.start() }
        await ssc.stop()
    }
}
