import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// saveToKafka and dead letters, read back from the real broker.
@Suite(.serialized) struct SaveToKafkaTests {
    typealias Broker = KafkaTestBroker

    /// Everything in `topic` from the start, read with a direct stream in one batch.
    static func readAll(_ topic: String) async throws -> [KafkaRecord] {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[KafkaRecord]>([])
        ssc.kafkaStream(brokers: Broker.brokers, topics: [topic], groupID: "reader-\(UUID().uuidString)",
                        options: KafkaStreamOptions(startingOffsets: .earliest))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect() } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        return seen.withLock { $0 }
    }

    @Test func savedBatchesAreInTheTopicWhenTheOutputCompletes() async throws {
        let topic = try Broker.makeTopic("save")
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let words = ssc.queueStream([["a", "b", "a"], ["c"]])
        words.map { ($0, 1) }.reduceByKey(+)
            .saveToKafka(topic: topic, brokers: Broker.brokers) { word, n in KafkaMessage("\(n)", key: word) }
        words.saveToKafka(topic: topic, brokers: Broker.brokers)
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        let records = try await Self.readAll(topic)
        let keyed = records.filter { $0.key != nil }.map { "\($0.keyString!)=\($0.valueString!)" }.sorted()
        #expect(keyed == ["a=2", "b=1", "c=1"])
        #expect(records.filter { $0.key == nil }.compactMap(\.valueString).sorted() == ["a", "a", "b", "c"])
    }

    @Test func undeliverableRecordsFailTheOutput() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        ssc.queueStream([["x"]]).saveToKafka(
            topic: "t", brokers: "127.0.0.1:1", settings: ["message.timeout.ms": "500"])
        try await ssc.start()
        await #expect(throws: (any Error).self) { try await ssc.advance(by: .seconds(1)) }
        await ssc.stop(graceful: false)
    }

    final class FailedCounts: StreamingListener {
        let failed = Mutex<[Int]>([])
        func batchCompleted(_ info: BatchInfo) { failed.withLock { $0.append(info.failedRecords) } }
    }

    @Test func recordsTheDecoderRejectsGoToTheDeadLetterTopic() async throws {
        struct NotANumber: Error, CustomStringConvertible {
            let text: String
            var description: String { "not a number: \(text)" }
        }
        let topic = try Broker.makeTopic("numbers", partitions: 2)
        let dlq = try Broker.makeTopic("numbers-dlq", partitions: 1)
        let producer = try KafkaProducer(brokers: Broker.brokers)
        // A producer's own spate.* headers must not pass for Spate's (a forged reason or origin).
        let forged = [KafkaHeader(name: "spate.error", string: "forged"), KafkaHeader(name: "spate.offset", string: "999")]
        try producer.send(["1", "2", "x", "4", "five"].enumerated().map {
            KafkaMessage($1, headers: $1 == "five" ? forged : [], partition: $0 % 2)
        }, to: topic)

        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let listener = FailedCounts()
        ssc.addListener(listener)
        let kafka = ssc.directKafkaStream(
            brokers: Broker.brokers, topics: [topic], groupID: "numbers",
            options: KafkaStreamOptions(startingOffsets: .earliest, deadLetterTopic: dlq))
        let sum = Mutex(0)
        kafka.decoded { record -> Int in
            let text = record.valueString ?? ""
            guard let n = Int(text) else { throw NotANumber(text: text) }
            return n
        }.foreachBatch { batch, _ in sum.withLock { $0 += batch.collect().reduce(0, +) } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()

        #expect(sum.withLock { $0 } == 7)
        #expect(listener.failed.withLock { $0 } == [2])
        let letters = try await Self.readAll(dlq).sorted { $0.valueString! < $1.valueString! }
        #expect(letters.compactMap(\.valueString) == ["five", "x"])
        #expect(letters.first?.header("spate.error") == "not a number: five")
        #expect(letters.first?.header("spate.topic") == topic)
        #expect(letters.first?.header("spate.partition") == "0")
        #expect(letters.first?.header("spate.offset") == "2")
        #expect(letters.first?.headers.filter { $0.name == "spate.error" }.count == 1)
        #expect(letters.first?.header("producer.spate.error") == "forged")
        #expect(letters.first?.header("producer.spate.offset") == "999")
    }
}
