import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// A broker that goes away mid-stream: batches read nothing while it is down (reported, retried with
/// backoff), and once it is back every record is read exactly once. Uses a broker of its own on a random
/// port (started and stopped with scripts/kafka.sh) so the shared one on 9092 stays up.
@Suite(.serialized) struct BrokerOutageTests {
    let broker = OwnBroker()
    var brokers: String { broker.brokers }
    func script(_ command: String, keepData: Bool = false) throws { try broker.script(command, keepData: keepData) }

    @Test func aBrokerThatGoesAwayIsRetriedAndNoRecordIsLost() async throws {
        try script("start")
        defer {
            try? script("stop")
            broker.removeData()
        }
        let topic = "outage"
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: brokers)
        let producer = try KafkaProducer(brokers: brokers)
        try producer.send((0..<10).map { KafkaMessage("a\($0)", partition: $0 % 2) }, to: topic)

        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[String]>([])
        ssc.kafkaStream(brokers: brokers, topics: [topic], groupID: "outage",
                        options: KafkaStreamOptions(startingOffsets: .earliest, fetchTimeout: .seconds(3)))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect().compactMap(\.valueString) } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        #expect(seen.withLock { $0.count } == 10)

        try script("stop")
        try await ssc.advance(by: .seconds(2))      // both batches find no broker: empty, logged, no offset skipped
        #expect(seen.withLock { $0.count } == 10)

        try script("start", keepData: true)
        let again = try KafkaProducer(brokers: brokers)
        try again.send((10..<16).map { KafkaMessage("a\($0)", partition: $0 % 2) }, to: topic)
        for _ in 0..<8 where seen.withLock({ $0.count }) < 16 {
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        #expect(seen.withLock { $0 }.sorted() == (0..<16).map { "a\($0)" }.sorted())
    }
}
