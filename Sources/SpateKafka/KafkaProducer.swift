import Spate

/// A Kafka producer for programs and tests: `send` writes messages with the idempotent producer and
/// returns when every one is acknowledged.
///
/// ```swift
/// let producer = try KafkaProducer(brokers: "127.0.0.1:9092")
/// try producer.send((0..<100).map { KafkaMessage("event \($0)") }, to: "events")
/// ```
public final class KafkaProducer: Sendable {
    let client: RdKafkaProducer

    /// A producer for `brokers` (comma-separated host:port); `settings` are librdkafka producer settings
    /// that override Spate's (`enable.idempotence=true`, `linger.ms=5`). Connecting happens on first send.
    public init(brokers: String, settings: [String: String] = [:]) throws {
        client = try RdKafkaProducer(brokers: brokers, settings: settings)
    }

    /// Writes `messages` to `topic` and waits until each is acknowledged; throws `KafkaError.deliveryFailed`
    /// when any is not within `timeout`.
    public func send(_ messages: [KafkaMessage], to topic: String, timeout: Duration = .seconds(30)) throws {
        try client.sendAll(
            messages.map {
                ProducerRecord(topic: topic, partition: $0.partition, key: $0.key, value: $0.value, headers: $0.headers,
                               timestampMilliseconds: $0.timestampMilliseconds)
            },
            topic: topic, timeoutMs: timeout.kafkaTimeoutMilliseconds)
    }

    /// Waits (up to `timeout`) for the records still queued and frees the producer, on Spate's blocking pool;
    /// a `send` after it throws. Without it, the producer is freed on a thread of its own once the last
    /// reference to it goes.
    public func close(timeout: Duration = .seconds(30)) async {
        let client = self.client
        _ = try? await BlockingIO.run { client.close(timeoutMs: timeout.kafkaTimeoutMilliseconds) }
    }
}
