import Logging
import Metrics
import Spate

/// Offsets of one partition that were deleted (retention, DeleteRecords) before a direct Kafka stream read
/// them: `from ..< firstAvailable`.
struct KafkaDataLoss: Sendable, Equatable {
    var partition: KafkaTopicPartition
    var from: Int64
    var firstAvailable: Int64

    /// How many offsets were lost (records, unless the log had gaps).
    var count: Int64 { firstAvailable.subtractingReportingOverflow(from).overflow ? .max : firstAvailable - from }

    /// The loss of the partition whose next offset is `next` when its log starts at `low`; nil when none.
    static func check(_ partition: KafkaTopicPartition, next: Int64, low: Int64) -> KafkaDataLoss? {
        next < low ? KafkaDataLoss(partition: partition, from: next, firstAvailable: low) : nil
    }

    /// The error that stops the context when the stream fails on data loss.
    var error: KafkaError { .dataLost(partition: partition, from: from, firstAvailable: firstAvailable) }

    /// The `BatchInfo.streamIdToMetadata` entry of the loss.
    var metadata: (key: String, value: String) {
        ("\(partition) lost", "offsets \(from)..<\(firstAvailable) (\(count) records) deleted before they were read")
    }

    /// Counts the loss (metric `spate_kafka_records_lost_total` by topic and partition) and logs it with the
    /// partition and offsets: the stream goes on without those records (`failOnDataLoss` is off).
    func report(_ logger: Logger, group: String) {
        Counter(label: "spate_kafka_records_lost_total",
                dimensions: [("topic", partition.topic), ("partition", partition.id)])
            .increment(by: Int(clamping: count))
        logger.warning("""
            offsets were deleted from the log before they were read (retention); the stream goes on from the first \
            one left, without them (failOnDataLoss is off)
            """, metadata: [
            "partition": "\(partition)", "group": "\(group)", "lostFrom": "\(from)", "firstAvailable": "\(firstAvailable)",
            "records": "\(count)"])
    }
}
