import Foundation
import Spate
import Synchronization
import Testing
@testable import SpateKafka

/// What a batch takes and what it never reads, against the real broker: a backlog larger than the per-batch
/// bound is read in several bounded batches (the bound reported in `BatchInfo`), records of aborted
/// transactions are never read (`read_committed`), and the stream's librdkafka clients are closed when the
/// context stops.
@Suite(.serialized) struct KafkaBatchLimitsTests {
    typealias Broker = KafkaTestBroker

    final class Metadata: StreamingListener {
        let batches = Mutex<[[String: String]]>([])
        func batchCompleted(_ info: BatchInfo) { batches.withLock { $0.append(info.streamIdToMetadata.values.first ?? [:]) } }
    }

    @Test func aBacklogLargerThanTheBoundIsReadInBoundedBatches() async throws {
        #expect(KafkaStreamOptions().maxRecordsPerPartition == 100_000, "a batch is bounded by default")
        let topic = try Broker.makeTopic("backlog", partitions: 2)
        try Broker.produce(topic, partitions: 2, perPartition: 25)
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let metadata = Metadata()
        ssc.addListener(metadata)
        let sizes = Mutex<[[Int]]>([])
        let values = Mutex<[String]>([])
        ssc.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: "backlog-\(UUID().uuidString)",
                        options: KafkaStreamOptions(maxRecordsPerPartition: 10, startingOffsets: .earliest))
            .foreachBatch { batch, _ in
                sizes.withLock { $0.append(batch.partitions.map(\.count)) }
                values.withLock { $0 += batch.collect().compactMap(\.valueString) }
            }
        try await ssc.start()
        try await ssc.advance(by: .seconds(4))
        await ssc.stop()

        #expect(sizes.withLock { $0 } == [[10, 10], [10, 10], [5, 5], [0, 0]])
        let expected = (0..<2).flatMap { Broker.expected(partition: $0, 0..<25) }
        #expect(values.withLock { $0 }.sorted() == expected.sorted(), "every record once")
        let bounds = metadata.batches.withLock { $0 }.map { $0["bound"] }
        #expect(bounds[0]?.contains("maxRecordsPerPartition 10") == true, "\(bounds)")
        #expect(bounds[1] != nil && bounds[2] == nil && bounds[3] == nil, "reported only when it bites: \(bounds)")
    }

    @Test func recordsOfAnAbortedTransactionAreNotRead() async throws {
        let topic = try Broker.makeTopic("txn", partitions: 1)
        let producer = try RdKafkaProducer(brokers: Broker.brokers, settings: ["transactional.id": "spate-\(topic)"])
        try await BlockingIO.run {
            try producer.initTransactions(timeoutMs: 10_000)
            let tracker = DeliveryTracker()
            for (values, commit) in [(["a1", "a2"], false), (["c1", "c2"], true), (["a3"], false), (["c3"], true)] {
                try producer.beginTransaction()
                for v in values { try producer.send(ProducerRecord(topic: topic, value: Array(v.utf8)), tracker: tracker) }
                // In the log before the end (an abort would otherwise drop records librdkafka has not sent yet).
                try producer.flush(timeoutMs: 10_000)
                try producer.endTransaction(commit: commit, timeoutMs: 10_000)
            }
            producer.close(timeoutMs: 5_000)
        }
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[String]>([])
        ssc.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: "txn-\(UUID().uuidString)",
                        options: KafkaStreamOptions(startingOffsets: .earliest))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect().compactMap(\.valueString) } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        #expect(seen.withLock { $0 } == ["c1", "c2", "c3"])
    }

    @Test func stoppingTheContextClosesTheStreamsClients() async throws {
        let topic = try Broker.makeTopic("close", partitions: 1)
        let dlq = try Broker.makeTopic("close-dlq", partitions: 1)
        try Broker.produce(topic, partitions: 1, perPartition: 3)
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let kafka = ssc.directKafkaStream(brokers: Broker.brokers, topics: [topic], groupID: "close-\(UUID().uuidString)",
                                          options: KafkaStreamOptions(startingOffsets: .earliest, deadLetterTopic: dlq))
        kafka.decoded { record -> Int in
            guard record.offset > 0 else { throw KafkaError.client(operation: "decode", reason: "rejected") }
            return 1
        }.foreachBatch { _, _ in }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        #expect(try !kafka.source.consumer.isClosed)
        await ssc.stop()
        #expect(try kafka.source.consumer.isClosed, "the consumer is closed by the stop, not by a deinit")
        #expect(kafka.deadLetters?.hasProducer == false, "the dead-letter producer was flushed and freed")
        let letters = try await SaveToKafkaTests.readAll(dlq)
        #expect(letters.map(\.offset) == [0] && letters.first?.keyString == "\(topic)/0/0")
    }
}
