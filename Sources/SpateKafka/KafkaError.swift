import Spate

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
    /// The offsets `from ..< firstAvailable` of `partition` were deleted (retention, DeleteRecords) before the
    /// stream read them, and `failOnDataLoss` is set.
    case dataLost(partition: KafkaTopicPartition, from: Int64, firstAvailable: Int64)
    /// A recovered batch's records could not be read within `replayTimeout` (the broker stayed away).
    case replayFailed(batch: BatchTime, ranges: [KafkaOffsetRange], waited: Duration, reason: String)
    /// `saveToKafka(..., delivery: .exactlyOnce(transactionalID:), consumed:)` cannot keep its promise as
    /// configured: `problem` says what is wrong, `fix` what to change. Found when the output is defined;
    /// `start()` throws it.
    case exactlyOnceMisconfigured(problem: String, fix: String)
    /// Another producer started with the same `transactional.id` (a second instance of the pipeline) and fenced
    /// this one: its open transaction was aborted and it can write nothing more.
    case producerFenced(transactionalID: String, reason: String)
    /// The transaction of a batch failed `attempts` times (each aborted, so nothing of it was committed).
    case transactionFailed(transactionalID: String, batch: BatchTime, attempts: Int, reason: String)

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
        case let .dataLost(partition, from, first):
            return "offsets \(from)..<\(first) of \(partition) (\(first &- from) records) were deleted by retention "
                + "before they were read: raise the topic's retention (retention.ms / retention.bytes) or read faster; "
                + "to go on without them, set KafkaStreamOptions.failOnDataLoss = false (the loss is then counted "
                + "and logged)"
        case let .replayFailed(batch, ranges, waited, reason):
            return "the recovered batch \(batch) could not read its records \(ranges.map(\.description).joined(separator: ", ")) "
                + "within \(waited) (\(reason)): start the broker and restart the program (nothing was skipped), or "
                + "raise KafkaStreamOptions.replayTimeout"
        case let .exactlyOnceMisconfigured(problem, fix):
            return "saveToKafka(delivery: .exactlyOnce): \(problem): \(fix)"
        case let .producerFenced(id, reason):
            return "another instance with transactional.id '\(id)' took over and fenced this producer (\(reason)): "
                + "this instance stops and its open transaction was aborted; run one instance per transactional.id "
                + "(stop the other one, or give each pipeline its own id)"
        case let .transactionFailed(id, batch, attempts, reason):
            return "the transaction of batch \(batch) (transactional.id '\(id)') failed \(attempts) time(s), each "
                + "aborted, so none of it was committed (last error: \(reason)): check that the broker runs and "
                + "the output topic exists; a restart resumes from the last committed batch"
        }
    }
}

extension KafkaError: FinalReplayError {
    /// A replay that already waited for the broker for `replayTimeout`, or offsets deleted by retention: the
    /// engine does not retry them again.
    public var isFinal: Bool {
        switch self {
        case .replayFailed, .dataLost: true
        default: false
        }
    }
}
