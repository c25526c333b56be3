import Spate

/// A topic and one of its partitions (the core's `SourcePartition`: the topic is its stream, the partition
/// number in decimal its id).
public typealias KafkaTopicPartition = SourcePartition

/// The records of one Kafka partition that one batch holds, `fromOffset ..< untilOffset` (Spark's
/// `OffsetRange`; the core's `SourceOffsetRange`). A direct stream's batch has one range per partition, in the
/// order of its Spate partitions.
public typealias KafkaOffsetRange = SourceOffsetRange

extension SourcePartition {
    /// The partition `partition` of `topic`.
    public init(topic: String, partition: Int) {
        self.init(stream: topic, id: String(partition))
    }

    /// The topic (the partition's stream).
    public var topic: String {
        get { stream }
        set { stream = newValue }
    }

    /// The partition number (-1 when the id is not a Kafka partition number).
    public var partition: Int {
        get { Int(id) ?? -1 }
        set { id = String(newValue) }
    }
}

extension SourceOffsetRange {
    /// The range `fromOffset ..< untilOffset` of `topic`'s partition `partition`.
    public init(topic: String, partition: Int, fromOffset: Int64, untilOffset: Int64) {
        self.init(partition: SourcePartition(topic: topic, partition: partition),
                  from: SourceOffset(fromOffset), until: SourceOffset(untilOffset))
    }

    /// The topic.
    public var topic: String { sourcePartition.stream }
    /// The partition number.
    public var partition: Int { sourcePartition.partition }
    /// The topic and partition.
    public var topicPartition: SourcePartition { sourcePartition }

    /// The first offset of the range.
    public var fromOffset: Int64 {
        get { from.int64Value ?? 0 }
        set { from = SourceOffset(newValue) }
    }

    /// The offset after the last one of the range (where the next batch starts).
    public var untilOffset: Int64 {
        get { until.int64Value ?? 0 }
        set { until = SourceOffset(newValue) }
    }

    /// How many offsets the range spans (the record count, unless the log has gaps such as transaction markers);
    /// saturated, never a trap, for offsets as far apart as a corrupt checkpoint can put them.
    public var count: Int64 {
        let (difference, overflow) = untilOffset.subtractingReportingOverflow(fromOffset)
        return overflow ? (untilOffset > fromOffset ? .max : .min) : difference
    }
}

extension Dictionary where Key == SourcePartition, Value == SourceOffset {
    /// The positions as Kafka offsets; positions that are not integers (another source's) are left out.
    var kafkaOffsets: [KafkaTopicPartition: Int64] { compactMapValues(\.int64Value) }
}
