import Foundation
import SpateKafka
import Synchronization
import Testing
import Spate

/// The real broker the tests run against (scripts/kafka.sh start).
enum KafkaTestBroker {
    static let brokers = "127.0.0.1:9092"

    /// A topic name no other test uses.
    static func uniqueTopic(_ base: String) -> String {
        "\(base)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates a fresh topic; fails with the fix when no broker answers.
    static func makeTopic(_ base: String, partitions: Int = 4) throws -> String {
        let topic = uniqueTopic(base)
        do {
            try KafkaAdmin.createTopic(topic, partitions: partitions, brokers: brokers, timeout: .seconds(5))
        } catch {
            Issue.record("no Kafka broker answers on \(brokers) (\(error)): run scripts/kafka.sh start")
            throw error
        }
        return topic
    }
}

extension KafkaTestBroker {
    /// Writes `perPartition` records to each of `partitions` partitions, values "p<partition>-<i>" for
    /// i in `start ..< start + perPartition`, keys "k<i>".
    static func produce(_ topic: String, partitions: Int = 4, perPartition: Int, start: Int = 0) throws {
        let producer = try KafkaProducer(brokers: brokers)
        var messages: [KafkaMessage] = []
        for p in 0..<partitions {
            for i in start..<(start + perPartition) {
                messages.append(KafkaMessage("p\(p)-\(i)", key: "k\(i)", partition: p))
            }
        }
        try producer.send(messages, to: topic)
    }

    /// The values "p<partition>-<i>" the stream should read from partition `p`.
    static func expected(partition p: Int, _ range: Range<Int>) -> [String] { range.map { "p\(p)-\($0)" } }
}

/// Collects what outputs see, by batch time.
final class BatchLog<T: Sendable>: Sendable {
    private let batches = Mutex<[Int: T]>([:])
    func record(_ value: T, at time: BatchTime) { batches.withLock { $0[time.milliseconds] = value } }
    subscript(ms: Int) -> T? { batches.withLock { $0[ms] } }
    var all: [Int: T] { batches.withLock { $0 } }
}
