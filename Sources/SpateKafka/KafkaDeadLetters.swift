import Logging
import Spate
import Synchronization

/// The dead-letter topic of a decoded Kafka stream: rejected records' values are written there unchanged,
/// with the reason and their origin in headers. The producer is created on the first dead letter.
///
/// Each dead letter's key is its origin, `<topic>/<partition>/<offset>` (the record's own key moves to the
/// header `spate.key`): a batch replayed after a crash writes the same dead letters with the same keys, so a
/// consumer recognizes the copies (and a compacted dead-letter topic keeps one). The stream flushes them
/// and waits for the broker's acknowledgement before the batch's offsets are stored, checkpointed or
/// committed, so none is lost: at-least-once, with duplicates detectable by key.
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
            topic: topic, partition: nil, key: Self.key(of: record), value: record.value,
            headers: Self.headers(of: record, reason: reason))
        do {
            try client().send(letter, tracker: tracker.withLock { $0 })
        } catch {
            logger.error("cannot queue a dead letter", metadata: ["topic": "\(topic)", "error": "\(error)"])
            tracker.withLock { $0.reportFailure("\(error)") }
        }
    }

    /// The dead letter's key: the record's origin, the same whenever the record is rejected again.
    static func key(of record: KafkaRecord) -> [UInt8] { Array("\(record.topic)/\(record.partition)/\(record.offset)".utf8) }

    /// Spate's headers first (reason, origin and the record's key when it has one), then the record's own. A
    /// producer's headers named `spate.*` are kept as `producer.spate.*`: they cannot pass for Spate's,
    /// whichever occurrence a reader takes.
    static func headers(of record: KafkaRecord, reason: String) -> [KafkaHeader] {
        var spate = [
            KafkaHeader(name: "spate.error", string: reason),
            KafkaHeader(name: "spate.topic", string: record.topic),
            KafkaHeader(name: "spate.partition", string: "\(record.partition)"),
            KafkaHeader(name: "spate.offset", string: "\(record.offset)"),
        ]
        if let key = record.key { spate.append(KafkaHeader(name: "spate.key", value: key)) }
        return spate + record.headers.map { header in
            header.name.hasPrefix("spate.") ? KafkaHeader(name: "producer." + header.name, value: header.value) : header
        }
    }

    /// Flushes on the blocking pool and throws `KafkaError.deliveryFailed` unless every dead letter queued
    /// so far was acknowledged: awaited before a batch's offsets are stored with its results.
    func deliver(before time: BatchTime) async throws {
        guard try await BlockingIO.run({ [self] in flush() }) else {
            throw KafkaError.deliveryFailed(
                topic: topic, failed: 1,
                firstError: "dead letters of batch \(time) not acknowledged (see the log); the batch's offsets are "
                    + "neither stored nor checkpointed, so a restart reads the batch again")
        }
    }

    /// Flushes and frees the producer (on the blocking pool; at the stream's stop). A dead letter queued later
    /// (a batch still finishing) gets a new producer.
    func close() {
        producer.withLock { p in
            p?.close(timeoutMs: 30_000)
            p = nil
        }
    }

    /// Whether a producer is open (one is created by the first dead letter and freed by `close()`).
    var hasProducer: Bool { producer.withLock { $0 != nil } }

    /// Waits until every queued dead letter is written; false (logged) when any failed since the last flush.
    func flush() -> Bool {
        if let producer = producer.withLock({ $0 }) {
            do { try producer.flush(timeoutMs: 30_000) } catch {
                logger.error("dead letters not flushed", metadata: ["topic": "\(topic)", "error": "\(error)"])
                return false
            }
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
