import Logging
import Synchronization

/// The dead-letter topic of a decoded Kafka stream: rejected records are written there unchanged, with the
/// reason and their origin in headers. The producer is created on the first dead letter.
final class KafkaDeadLetters: Sendable {
    let topic: String
    let brokers: String
    let settings: [String: String]
    let logger: Logger
    private let producer = Mutex<RdKafkaProducer?>(nil)
    private let tracker = Mutex(DeliveryTracker())

    init(topic: String, brokers: String, settings: [String: String], logger: Logger) {
        self.topic = topic
        self.brokers = brokers
        self.settings = settings
        self.logger = logger
    }

    private func client() throws -> RdKafkaProducer {
        try producer.withLock { p in
            if let p { return p }
            // Only the connection settings of the consumer apply to the producer (security, timeouts).
            let made = try RdKafkaProducer(brokers: brokers, settings: settings.filter { !Self.consumerOnly.contains($0.key) })
            p = made
            return made
        }
    }

    private static let consumerOnly: Set<String> = [
        "group.id", "auto.offset.reset", "enable.auto.commit", "enable.auto.offset.store", "isolation.level",
        "fetch.wait.max.ms", "enable.partition.eof", "session.timeout.ms",
    ]

    /// Queues `record` for the dead-letter topic with `reason`.
    func send(_ record: KafkaRecord, reason: String) {
        let letter = ProducerRecord(
            topic: topic, partition: nil, key: record.key, value: record.value,
            headers: Self.headers(of: record, reason: reason))
        do {
            try client().send(letter, tracker: tracker.withLock { $0 })
        } catch {
            logger.error("cannot queue a dead letter", metadata: ["topic": "\(topic)", "error": "\(error)"])
            tracker.withLock { $0.reportFailure("\(error)") }
        }
    }

    /// Spate's headers first (reason and origin), then the record's own. A producer's headers named `spate.*`
    /// are kept as `producer.spate.*`: they cannot pass for Spate's, whichever occurrence a reader takes.
    static func headers(of record: KafkaRecord, reason: String) -> [KafkaHeader] {
        [
            KafkaHeader(name: "spate.error", string: reason),
            KafkaHeader(name: "spate.topic", string: record.topic),
            KafkaHeader(name: "spate.partition", string: "\(record.partition)"),
            KafkaHeader(name: "spate.offset", string: "\(record.offset)"),
        ] + record.headers.map { header in
            header.name.hasPrefix("spate.") ? KafkaHeader(name: "producer." + header.name, value: header.value) : header
        }
    }

    /// Waits until every queued dead letter is written; false (logged) when any failed since the last flush.
    func flush() -> Bool {
        guard let producer = producer.withLock({ $0 }) else { return true }
        do { try producer.flush(timeoutMs: 30_000) } catch {
            logger.error("dead letters not flushed", metadata: ["topic": "\(topic)", "error": "\(error)"])
            return false
        }
        let done = tracker.withLock { t -> DeliveryTracker in defer { t = DeliveryTracker() }; return t }
        let (failed, first) = done.failed
        if failed > 0 {
            logger.error("dead letters not delivered", metadata: [
                "topic": "\(topic)", "failed": "\(failed)", "error": "\(first ?? "?")"])
            return false
        }
        return true
    }
}
