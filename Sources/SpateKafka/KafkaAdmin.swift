import Spate

/// Topic administration (the Admin API), for programs and tests that create their topics.
public enum KafkaAdmin {
    /// Creates `topic` with `partitions` partitions on `brokers`; a topic that exists already is fine.
    /// `settings` are librdkafka client settings (`security.protocol`, `sasl.*`, `ssl.*`, ...), as for the
    /// streams, so a secured cluster can be reached. Throws `KafkaError` when the broker does not answer within
    /// `timeout` or refuses.
    public static func createTopic(
        _ topic: String, partitions: Int, brokers: String, replicationFactor: Int = 1,
        timeout: Duration = .seconds(10), settings: [String: String] = [:]
    ) throws {
        let client = try RdKafkaProducer(brokers: brokers, settings: settings)
        try client.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor,
                               timeoutMs: timeout.kafkaTimeoutMilliseconds)
    }

    /// Deletes `topic` on `brokers`; a topic that does not exist is fine. `settings` as for `createTopic`.
    /// Throws `KafkaError` when the broker does not answer within `timeout` or refuses.
    public static func deleteTopic(
        _ topic: String, brokers: String, timeout: Duration = .seconds(10), settings: [String: String] = [:]
    ) throws {
        let client = try RdKafkaProducer(brokers: brokers, settings: settings)
        try client.deleteTopic(topic, timeoutMs: timeout.kafkaTimeoutMilliseconds)
    }

    /// Deletes every record of `topic`'s partitions before the given offsets (`partition -> offset`), as
    /// retention does (Kafka's DeleteRecords; `kafka-delete-records.sh`): the partitions' first offsets move
    /// there, and records before them can no longer be read. `settings` as for `createTopic`. Throws
    /// `KafkaError` when the broker does not answer within `timeout` or refuses (an offset past the end).
    public static func deleteRecords(
        _ topic: String, before offsets: [Int: Int64], brokers: String, timeout: Duration = .seconds(10),
        settings: [String: String] = [:]
    ) throws {
        let client = try RdKafkaProducer(brokers: brokers, settings: settings)
        try client.deleteRecords(
            Dictionary(uniqueKeysWithValues: offsets.map { (KafkaTopicPartition(topic: topic, partition: $0.key), $0.value) }),
            timeoutMs: timeout.kafkaTimeoutMilliseconds)
    }
}

extension Duration {
    /// The duration as librdkafka's `int` milliseconds: clamped, never a trap (a huge or negative duration is
    /// the largest or smallest timeout librdkafka takes).
    var kafkaTimeoutMilliseconds: Int32 { Int32(clamping: wholeMilliseconds) }
}
