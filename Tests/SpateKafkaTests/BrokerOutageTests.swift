import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// A broker that goes away mid-stream: batches read nothing while it is down (reported, retried with
/// backoff), and once it is back every record is read exactly once. Uses a second broker of its own on
/// port 9093 (started and stopped with scripts/kafka.sh) so the shared one on 9092 stays up.
@Suite(.serialized) struct BrokerOutageTests {
    static let port = "9093"
    static let brokers = "127.0.0.1:\(port)"
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-kafka-outage-test").path

    static func script(_ command: String, keepData: Bool = false) throws {
        let p = Process()
        p.executableURL = root.appendingPathComponent("scripts/kafka.sh")
        p.arguments = [command]
        var env = ProcessInfo.processInfo.environment
        env["KAFKA_PORT"] = port
        env["KAFKA_STATE_DIR"] = stateDir
        env["KAFKA_KEEP_DATA"] = keepData ? "1" : "0"
        p.environment = env
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw KafkaError.client(operation: "scripts/kafka.sh \(command)", reason: "exit \(p.terminationStatus)") }
    }

    @Test func aBrokerThatGoesAwayIsRetriedAndNoRecordIsLost() async throws {
        try Self.script("start")
        defer { try? Self.script("stop") }
        let topic = "outage"
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: Self.brokers)
        let producer = try KafkaProducer(brokers: Self.brokers)
        try producer.send((0..<10).map { KafkaMessage("a\($0)", partition: $0 % 2) }, to: topic)

        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[String]>([])
        ssc.kafkaStream(brokers: Self.brokers, topics: [topic], groupID: "outage",
                        options: KafkaStreamOptions(startingOffsets: .earliest, fetchTimeout: .seconds(3)))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect().compactMap(\.valueString) } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        #expect(seen.withLock { $0.count } == 10)

        try Self.script("stop")
        try await ssc.advance(by: .seconds(2))      // both batches find no broker: empty, logged, no offset skipped
        #expect(seen.withLock { $0.count } == 10)

        try Self.script("start", keepData: true)
        let again = try KafkaProducer(brokers: Self.brokers)
        try again.send((10..<16).map { KafkaMessage("a\($0)", partition: $0 % 2) }, to: topic)
        for _ in 0..<8 where seen.withLock({ $0.count }) < 16 {
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        #expect(seen.withLock { $0 }.sorted() == (0..<16).map { "a\($0)" }.sorted())
    }
}
