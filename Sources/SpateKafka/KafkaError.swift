/// Errors of the Kafka connector; each message says what to change.
public enum KafkaError: Error, Sendable, CustomStringConvertible {
    /// No broker answered at `brokers` within the timeout.
    case brokerUnavailable(brokers: String, reason: String)
    /// A topic the stream reads does not exist.
    case unknownTopic(String, brokers: String)
    /// librdkafka rejected a configuration key or value.
    case invalidConfiguration(key: String, reason: String)
    /// A librdkafka call failed.
    case client(operation: String, reason: String)
    /// `partitionedUpdateStateByKey` could not create its state directory at `path`.
    case stateDirectoryUnwritable(path: String, reason: String)
    /// Records of a batch were not delivered (the idempotent producer gave up or the flush timed out).
    case deliveryFailed(topic: String, failed: Int, firstError: String)

    public var description: String {
        switch self {
        case let .brokerUnavailable(brokers, reason):
            return "no Kafka broker answers at \(brokers) (\(reason)): start one (for the local test broker: "
                + "scripts/kafka.sh start) or pass the right `brokers:` address"
        case let .unknownTopic(topic, brokers):
            return "topic '\(topic)' does not exist on \(brokers): create it (scripts/kafka.sh topic \(topic) 4, "
                + "or KafkaAdmin.createTopic) or fix the topic name"
        case let .invalidConfiguration(key, reason):
            return "invalid Kafka client setting '\(key)': \(reason); fix or remove it in the options' `settings`"
        case let .client(operation, reason):
            return "Kafka \(operation) failed: \(reason)"
        case let .stateDirectoryUnwritable(path, reason):
            return "partitionedUpdateStateByKey: cannot create the state directory \(path) (\(reason)): "
                + "pass a writable stateDirectory that every process of the group shares"
        case let .deliveryFailed(topic, failed, firstError):
            return "\(failed) record(s) to topic '\(topic)' were not delivered (first error: \(firstError)); "
                + "check that the broker runs and the topic exists"
        }
    }
}
