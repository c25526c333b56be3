import Spate

/// What the direct stream does for a sink that stores its offsets: in a store with the results
/// (`.stored`), or as the group's committed offsets in the sink's Kafka transactions (`.exactlyOnce`).
extension DirectKafkaSource {
    /// Has the stream treat the group's committed offsets as what a sink stored with its results: an
    /// exactly-once Kafka sink commits them in each batch's transaction. Set while the program is built.
    func commitsInTransactions() { state.withLock { $0.committedInTransactions = true } }

    /// The group's committed offsets of `partitions` (partitions without a commit are absent), read with
    /// `read_committed`, so offsets of a transaction still open are not taken for written.
    func committedOffsets(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: Int64] {
        try consumer.committed(partitions, timeoutMs: timeoutMs)
    }

    /// The offsets a sink stored beyond a restored checkpoint's `next` ones. A sink storing offsets may have
    /// written batches after the checkpoint: the first cuts end at the stored offsets, so the restored state
    /// takes those records again and the sink finds them written, instead of one batch straddling the stored
    /// offsets (a conflict, whose rewind would feed the state the same records twice).
    func offsetsStored(
        beyond next: [KafkaTopicPartition: Int64], of partitions: [KafkaTopicPartition], consumer: RdKafkaConsumer
    ) throws -> [KafkaTopicPartition: Int64] {
        let stored: [KafkaTopicPartition: Int64]
        if case let .stored(store) = options.startingOffsets {
            stored = try store.storedOffsets(group: groupID, partitions: partitions).kafkaOffsets
        } else if state.withLock({ $0.committedInTransactions }) {
            stored = try consumer.committed(partitions, timeoutMs: timeoutMs)
        } else {
            return [:]
        }
        return stored.filter { tp, offset in offset > next[tp] ?? 0 }
    }
}
