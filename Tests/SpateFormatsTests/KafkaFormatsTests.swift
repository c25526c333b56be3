import Foundation
import Spate
import SpateFormats
import SpateKafka
import SpateKafkaFormats
import Synchronization
import Testing

/// Formats on the real broker (scripts/kafka.sh start): `saveToKafka(encoding:)` writes what
/// `KafkaStream.decoded(as:_:)` reads; what does not decode lands in the dead-letter topic with its error.
@Suite(.serialized) struct KafkaFormatsTests {
    static let brokers = "127.0.0.1:9092"

    static func makeTopic(_ base: String, partitions: Int) throws -> String {
        let topic = "\(base)-\(UUID().uuidString.prefix(8).lowercased())"
        do { try KafkaAdmin.createTopic(topic, partitions: partitions, brokers: brokers, timeout: .seconds(5)) } catch {
            Issue.record("no Kafka broker answers on \(brokers) (\(error)): run scripts/kafka.sh start")
            throw error
        }
        return topic
    }

    /// Everything in `topic`, read in one batch.
    static func readAll(_ topic: String) async throws -> [KafkaRecord] {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[KafkaRecord]>([])
        ssc.kafkaStream(brokers: brokers, topics: [topic], groupID: "reader-\(UUID().uuidString)",
                        options: KafkaStreamOptions(startingOffsets: .earliest))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect() } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        return seen.withLock { $0 }
    }

    @Test func confluentAvroRoundTripsThroughTheBrokerAndJunkIsDeadLettered() async throws {
        let topic = try Self.makeTopic("fmt-clicks", partitions: 2)
        let dlq = try Self.makeTopic("fmt-clicks-dlq", partitions: 1)
        let encoding = RecordEncoding<Click>.avroConfluent(schemaID: Click.schemaID, schema: Click.schema)

        let writer = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        writer.queueStream([Click.pythonRecords]).saveToKafka(
            topic: topic, brokers: Self.brokers, encoding: encoding, key: { Array($0.page.utf8) })
        try await writer.start()
        try await writer.advance(by: .seconds(1))
        await writer.stop()
        // Junk beside them: a record of another schema id, a truncated one, a tombstone.
        let good = try encoding.encode(Click.pythonRecords[0])
        try KafkaProducer(brokers: Self.brokers).send([
            KafkaMessage(value: [0, 0, 0, 0, 7] + good.dropFirst(5), partition: 0),
            KafkaMessage(value: Array(good.prefix(8)), partition: 1),
            KafkaMessage(value: nil, key: Array("gone".utf8), partition: 0),
        ], to: topic)

        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        final class Invalid: StreamingListener {
            let count = Mutex(0)
            func batchCompleted(_ info: BatchInfo) { count.withLock { $0 += info.invalidRecords } }
        }
        let listener = Invalid()
        ssc.addListener(listener)
        let seen = Mutex<[Click]>([])
        let letters = Mutex(0)
        ssc.directKafkaStream(brokers: Self.brokers, topics: [topic], groupID: "fmt-\(UUID().uuidString)",
                              options: KafkaStreamOptions(startingOffsets: .earliest, deadLetterTopic: dlq))
            .decoded(as: Click.self, .avroConfluent(schemas: [Click.schemaID: Click.schema])) { _ in letters.withLock { $0 += 1 } }
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect() } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()

        #expect(Set(seen.withLock { $0 }) == Set(Click.pythonRecords))
        #expect(listener.count.withLock { $0 } == 3 && letters.withLock { $0 } == 3)
        let dead = try await Self.readAll(dlq)
        let reasons = dead.compactMap { $0.header("spate.error") }.sorted()
        #expect(reasons.count == 3)
        #expect(reasons.contains("avro-confluent: at byte 1: schema id 7 is not in the local schema map (known: 42)"))
        #expect(reasons.contains("avro-confluent: the record has no value (a tombstone)"))
        #expect(reasons.contains { $0.hasPrefix("avro-confluent: at byte 5, field page: length") })
        #expect(dead.contains { $0.value == Array(good.prefix(8)) })
    }

    @Test func jsonAndProtobufSinksWriteWhatTheDecodersRead() async throws {
        let topic = try Self.makeTopic("fmt-json-pb", partitions: 1)
        let writer = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let clicks = writer.queueStream([Click.pythonRecords])
        clicks.saveToKafka(topic: topic, brokers: Self.brokers, encoding: .json, key: { _ in Array("json".utf8) })
        clicks.map(\.message).saveToKafka(topic: topic, brokers: Self.brokers, encoding: .protobuf, key: { _ in Array("pb".utf8) })
        try await writer.start()
        try await writer.advance(by: .seconds(1))
        await writer.stop()
        let records = try await Self.readAll(topic)
        let json = try records.filter { $0.keyString == "json" }.map { try RecordFormat<Click>.json.decode($0.value!) }
        let pb = try records.filter { $0.keyString == "pb" }.map { Click(try RecordFormat<Spate_Test_Click>.protobuf.decode($0.value!)) }
        #expect(Set(json) == Set(Click.pythonRecords) && Set(pb) == Set(Click.pythonRecords))
    }
}
