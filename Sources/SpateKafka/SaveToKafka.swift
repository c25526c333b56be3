import Spate
import Synchronization

extension DStream {
    /// Writes every batch to `topic` with the idempotent producer (`enable.idempotence=true`: no duplicates
    /// from producer retries) and completes the output only when the broker acknowledged every record of
    /// the batch; a record that cannot be delivered fails the output (`KafkaError.deliveryFailed`), which
    /// stops the context and is rethrown by `awaitTermination()`.
    ///
    /// A batch that is re-run after a crash is written again (at-least-once across restarts).
    /// ```swift
    /// counts.saveToKafka(topic: "counts", brokers: "127.0.0.1:9092") { word, n in KafkaMessage("\(n)", key: word) }
    /// ```
    public func saveToKafka(
        topic: String, brokers: String, settings: [String: String] = [:],
        _ message: @escaping @Sendable (T) -> KafkaMessage
    ) {
        let sink = KafkaSink(topic: topic, brokers: brokers, settings: settings)
        foreachBatch(named: "saveToKafka") { batch, _ in
            let messages = batch.partitions.flatMap { $0.map(message) }
            // Produce and wait for the acknowledgements on the blocking pool, off the cooperative threads.
            try await BlockingIO.run { try sink.write(messages) }
        }
    }
}

extension DStream where T == String {
    /// Writes every batch's strings (UTF-8, no key) to `topic`, as `saveToKafka(topic:brokers:settings:_:)`.
    public func saveToKafka(topic: String, brokers: String, settings: [String: String] = [:]) {
        saveToKafka(topic: topic, brokers: brokers, settings: settings) { KafkaMessage($0) }
    }
}

extension DStream where T == KafkaMessage {
    /// Writes every batch's messages to `topic`, as `saveToKafka(topic:brokers:settings:_:)`.
    public func saveToKafka(topic: String, brokers: String, settings: [String: String] = [:]) {
        saveToKafka(topic: topic, brokers: brokers, settings: settings) { $0 }
    }
}

/// The producer behind `saveToKafka`, created on the first batch (so a bad setting fails the output with
/// librdkafka's message) and reused for the following ones.
final class KafkaSink: Sendable {
    let topic: String
    let brokers: String
    let settings: [String: String]
    private let producer = Mutex<RdKafkaProducer?>(nil)

    init(topic: String, brokers: String, settings: [String: String]) {
        self.topic = topic
        self.brokers = brokers
        self.settings = settings
    }

    func write(_ messages: [KafkaMessage]) throws {
        guard !messages.isEmpty else { return }
        let client = try producer.withLock { p in
            if let p { return p }
            let made = try RdKafkaProducer(brokers: brokers, settings: settings)
            p = made
            return made
        }
        try client.sendAll(
            messages.map { ProducerRecord(topic: topic, partition: $0.partition, key: $0.key, value: $0.value, headers: $0.headers) },
            topic: topic, timeoutMs: 30_000)
    }
}
