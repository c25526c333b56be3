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
        foreach(KafkaSink(topic: topic, brokers: brokers, settings: settings, message: message), named: "saveToKafka")
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

/// The output behind `saveToKafka`: its producer is created when the output opens (so a bad setting fails the
/// first batch with librdkafka's message), used for every batch, and flushed and freed when the context
/// stops, each step on the blocking pool.
final class KafkaSink<T: Sendable>: BatchSink {
    let topic: String
    let brokers: String
    let settings: [String: String]
    let message: @Sendable (T) -> KafkaMessage
    private let producer = Mutex<RdKafkaProducer?>(nil)

    init(topic: String, brokers: String, settings: [String: String], message: @escaping @Sendable (T) -> KafkaMessage) {
        self.topic = topic
        self.brokers = brokers
        self.settings = settings
        self.message = message
    }

    func open() async throws {
        let made = try RdKafkaProducer(brokers: brokers, settings: settings)
        producer.withLock { $0 = made }
    }

    func write(_ batch: Batch<T>, at time: BatchTime) async throws {
        let records = batch.partitions.flatMap { $0.map(message) }.map {
            ProducerRecord(topic: topic, partition: $0.partition, key: $0.key, value: $0.value, headers: $0.headers,
                           timestampMilliseconds: $0.timestampMilliseconds)
        }
        guard !records.isEmpty, let client = producer.withLock({ $0 }) else { return }
        // Produce and wait for the acknowledgements on the blocking pool, off the cooperative threads.
        try await BlockingIO.run { [topic] in try client.sendAll(records, topic: topic, timeoutMs: 30_000) }
    }

    func close() async throws {
        guard let client = producer.withLock({ p in defer { p = nil }; return p }) else { return }
        try await BlockingIO.run { client.close(timeoutMs: 30_000) }
    }
}
