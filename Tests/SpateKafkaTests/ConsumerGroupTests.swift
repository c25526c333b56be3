import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// Consumer-group mode against the real broker: two streams of one group split the partitions, and when one
/// leaves the other takes them over from the committed offsets.
@Suite(.serialized) struct ConsumerGroupTests {
    typealias Broker = KafkaTestBroker

    /// A stream in consumer-group mode that records every value it reads.
    final class Member: Sendable {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let kafka: KafkaStream
        let read = ReadValues()

        init(topic: String, group: String) {
            kafka = ssc.directKafkaStream(
                brokers: Broker.brokers, topics: [topic], groupID: group,
                options: KafkaStreamOptions(startingOffsets: .committed, commitOffsets: .afterOutputs,
                                            assignment: .consumerGroup,
                                            settings: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]))
            let read = self.read
            kafka.records.foreachBatch { batch, _ in read.add(batch.collect().compactMap(\.valueString)) }
        }

        var values: [String] { read.values.withLock { $0 } }
    }

    final class ReadValues: Sendable {
        let values = Mutex<[String]>([])
        func add(_ more: [String]) { values.withLock { $0 += more } }
    }

    /// Advances every member by one batch until `done` holds (at most `batches` batches).
    static func advance(_ members: [Member], batches: Int = 40, until done: () -> Bool) async throws {
        try await Broker.advance(members.map(\.ssc), batches: batches, until: done)
    }

    @Test func twoMembersSplitThePartitionsAndOneTakesOverWhenTheOtherLeaves() async throws {
        let topic = try Broker.makeTopic("group", partitions: 4)
        let group = "g-\(UUID().uuidString)"
        let a = Member(topic: topic, group: group), b = Member(topic: topic, group: group)
        try await a.ssc.start()
        try await b.ssc.start()
        try await Self.advance([a, b]) {
            a.kafka.assignedPartitions.count == 2 && b.kafka.assignedPartitions.count == 2
        }
        #expect(a.kafka.assignedPartitions.count == 2)
        #expect(Set(a.kafka.assignedPartitions + b.kafka.assignedPartitions).count == 4)

        try Broker.produce(topic, perPartition: 20)
        let first = Set((0..<4).flatMap { Broker.expected(partition: $0, 0..<20) })
        try await Self.advance([a, b]) { Set(a.values + b.values) == first }
        let readA = a.values, readB = b.values
        #expect(Set(readA + readB) == first)
        #expect(readA.count + readB.count == 80, "each record read once")
        #expect(Set(readA).isDisjoint(with: Set(readB)))

        // b leaves the group: a is assigned all four partitions and goes on from b's committed offsets.
        await b.ssc.stop()
        try await Self.advance([a]) { a.kafka.assignedPartitions.count == 4 }
        #expect(a.kafka.assignedPartitions.count == 4)
        try Broker.produce(topic, perPartition: 5, start: 20)
        let second = Set((0..<4).flatMap { Broker.expected(partition: $0, 20..<25) })
        let before = a.values.count
        try await Self.advance([a]) { Set(a.values).isSuperset(of: second) }
        let after = Array(a.values[before...])
        #expect(Set(after) == second, "a reads only the new records: b's were committed")
        #expect(after.count == 20)
        await a.ssc.stop()
    }
}

/// Topic administration against the real broker.
@Suite struct KafkaAdminTests {
    @Test func aDeletedTopicIsGoneAndCanBeCreatedAgain() async throws {
        let topic = try KafkaTestBroker.makeTopic("deleted", partitions: 2)
        try KafkaTestBroker.produce(topic, partitions: 2, perPartition: 3)
        try KafkaAdmin.deleteTopic(topic, brokers: KafkaTestBroker.brokers)
        try KafkaAdmin.deleteTopic(topic, brokers: KafkaTestBroker.brokers)  // gone already: fine
        try KafkaAdmin.createTopic(topic, partitions: 3, brokers: KafkaTestBroker.brokers)
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let kafka = ssc.directKafkaStream(brokers: KafkaTestBroker.brokers, topics: [topic], groupID: "g-\(UUID().uuidString)",
                                          options: KafkaStreamOptions(startingOffsets: .earliest))
        let log = BatchLog<[KafkaOffsetRange]>()
        kafka.foreachBatch { _, ranges, time in log.record(ranges, at: time) }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        let ranges = try #require(log[1000])
        #expect(ranges.count == 3, "the new topic's three partitions")
        #expect(ranges.allSatisfy { $0.untilOffset == 0 }, "none of the deleted topic's records")
        try KafkaAdmin.deleteTopic(topic, brokers: KafkaTestBroker.brokers)
    }

    /// Values that used to trap (Int32 conversions, huge timeouts) are errors that say what to pass.
    @Test func outOfRangeArgumentsAreErrorsNotTraps() async throws {
        let brokers = KafkaTestBroker.brokers
        #expect(throws: KafkaError.self) { try KafkaAdmin.createTopic("bad-partitions", partitions: 0, brokers: brokers) }
        #expect(throws: KafkaError.self) {
            try KafkaAdmin.createTopic("bad-partitions", partitions: Int(Int32.max) + 1, brokers: brokers)
        }
        let topic = try KafkaTestBroker.makeTopic("partition-range", partitions: 1)
        let producer = try KafkaProducer(brokers: brokers)
        for partition in [Int.max, -1, Int(Int32.max) + 1] {
            do {
                try producer.send([KafkaMessage("x", partition: partition)], to: topic)
                Issue.record("partition \(partition) was accepted")
            } catch {
                #expect("\(error)".contains("partition count"), "\(error)")
            }
        }
        // A huge timeout is clamped to librdkafka's largest, not a trap.
        try producer.send([KafkaMessage("ok", partition: 0)], to: topic, timeout: .seconds(Int64.max / 2))
        try KafkaAdmin.deleteTopic(topic, brokers: brokers, timeout: .seconds(Int64.max / 2), settings: ["client.id": "spate-admin-test"])
    }
}
