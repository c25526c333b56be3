import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// Offsets kept in Spate's checkpoint and committed to the group: a recovered program reads exactly the
/// offset ranges it would have read, and a new group member resumes after the committed ones.
@Suite(.serialized) struct KafkaRecoveryTests {
    typealias Broker = KafkaTestBroker

    /// A program reading 2 records per partition per batch, with a 3-batch window (so recovery rebuilds
    /// completed batches from their checkpointed offset ranges) and every batch's ranges recorded.
    final class Program: Sendable {
        let ssc: StreamingContext
        let kafka: KafkaStream
        let windows = BatchLog<[String]>()
        let ranges = BatchLog<[KafkaOffsetRange]>()

        init(_ ssc: StreamingContext, topic: String) throws {
            self.ssc = ssc
            kafka = ssc.directKafkaStream(
                brokers: Broker.brokers, topics: [topic], groupID: "recovery-\(topic)",
                options: KafkaStreamOptions(maxRatePerPartition: 2, startingOffsets: .earliest))
            kafka.records.checkpoint(interval: .seconds(2))
            kafka.foreachBatch { [ranges] _, r, time in ranges.record(r, at: time) }
            try kafka.records.map { $0.valueString ?? "" }.window(length: .seconds(3), slide: .seconds(1))
                .foreachBatch { [windows] batch, time in windows.record(batch.collect().sorted(), at: time) }
        }
    }

    @Test func recoveryFromACheckpointReplaysTheSameOffsetRanges() async throws {
        let topic = try Broker.makeTopic("recover")
        try Broker.produce(topic, perPartition: 16)

        let reference = try Program(StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual), topic: topic)
        try await reference.ssc.start()
        try await reference.ssc.advance(by: .seconds(8))
        await reference.ssc.stop()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-kafka-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var first: Program?
        let ssc1 = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            first = try Program(ssc, topic: topic)
            return ssc
        }
        try await ssc1.start()
        try await ssc1.advance(by: .seconds(5))
        await ssc1.stop(graceful: false)   // the checkpoint of batch 4 is the newest: batch 5 runs again

        var second: Program?
        let ssc2 = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            second = try Program(ssc, topic: topic)
            return ssc
        }
        try await ssc2.start()
        try await ssc2.advance(by: .seconds(4))
        await ssc2.stop()

        let before = try #require(first), after = try #require(second)
        for t in stride(from: 1000, through: 4000, by: 1000) {
            #expect(before.ranges[t] == reference.ranges[t], "ranges at \(t)")
            #expect(before.windows[t] == reference.windows[t], "window at \(t)")
        }
        for t in stride(from: 5000, through: 8000, by: 1000) {
            #expect(after.ranges[t] == reference.ranges[t], "ranges at \(t)")
            #expect(after.windows[t] == reference.windows[t], "window at \(t)")
        }
        // The window of batch 5 holds batches 3 and 4, rebuilt from their checkpointed ranges.
        #expect(after.windows[5000]?.count == 3 * 2 * 4)
        #expect(after.ranges[5000]?.map(\.fromOffset) == [8, 8, 8, 8])
    }

    @Test func offsetsCommittedAfterOutputsLetANewGroupMemberResume() async throws {
        let topic = try Broker.makeTopic("commit")
        let group = "commit-\(UUID().uuidString)"
        try Broker.produce(topic, perPartition: 5)

        func run(batches: Int) async throws -> [String] {
            let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
            let seen = Mutex<[String]>([])
            ssc.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: group,
                            options: KafkaStreamOptions(startingOffsets: .committed, commitOffsets: .afterOutputs))
                .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect().compactMap(\.valueString) } }
            try await ssc.start()
            try await ssc.advance(by: .seconds(Int64(batches)))
            await ssc.stop()
            return seen.withLock { $0 }
        }

        #expect(try await run(batches: 2).count == 20)
        try Broker.produce(topic, perPartition: 2, start: 5)
        let resumed = try await run(batches: 1)
        #expect(resumed.sorted() == (0..<4).flatMap { Broker.expected(partition: $0, 5..<7) }.sorted())
    }

    @Test func aFailedOutputCommitsNothing() async throws {
        struct Boom: Error {}
        let topic = try Broker.makeTopic("nocommit")
        let group = "nocommit-\(UUID().uuidString)"
        try Broker.produce(topic, perPartition: 3)
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        ssc.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: group,
                        options: KafkaStreamOptions(commitOffsets: .afterOutputs))
            .foreachBatch { _, _ in throw Boom() }
        try await ssc.start()
        _ = try? await ssc.advance(by: .seconds(1))
        await ssc.stop(graceful: false)

        let again = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let count = Mutex(0)
        again.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: group)
            .foreachBatch { batch, _ in count.withLock { $0 += batch.count } }
        try await again.start()
        try await again.advance(by: .seconds(1))
        await again.stop()
        #expect(count.withLock { $0 } == 12)
    }
}
