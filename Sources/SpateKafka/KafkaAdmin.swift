/// Topic administration (the Admin API), for programs and tests that create their topics.
public enum KafkaAdmin {
    /// Creates `topic` with `partitions` partitions on `brokers`; a topic that exists already is fine.
    /// Throws `KafkaError` when the broker does not answer within `timeout` or refuses.
    public static func createTopic(
        _ topic: String, partitions: Int, brokers: String, replicationFactor: Int = 1,
        timeout: Duration = .seconds(10)
    ) throws {
        let client = try RdKafkaProducer(brokers: brokers)
        try client.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor,
                               timeoutMs: Int32(clamping: Int(timeout / .milliseconds(1))))
    }

    /// Deletes `topic` on `brokers`; a topic that does not exist is fine. Throws `KafkaError` when the broker
    /// does not answer within `timeout` or refuses.
    public static func deleteTopic(_ topic: String, brokers: String, timeout: Duration = .seconds(10)) throws {
        let client = try RdKafkaProducer(brokers: brokers)
        try client.deleteTopic(topic, timeoutMs: Int32(clamping: Int(timeout / .milliseconds(1))))
    }
}
