/// A topic and one of its partitions.
public struct KafkaTopicPartition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The topic's name.
    public var topic: String
    /// The partition number.
    public var partition: Int

    /// The partition `partition` of `topic`.
    public init(topic: String, partition: Int) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
    public var description: String { "\(topic)-\(partition)" }
}

/// The records of one Kafka partition that one batch holds: offsets `fromOffset ..< untilOffset`, as Spark's
/// `OffsetRange`. A direct stream's batch has one range per partition, in the order of its Spate partitions.
///
/// Store the ranges with a batch's results (in the same transaction) and pass the `untilOffset`s back as
/// `KafkaStreamOptions.startingOffsets` to resume exactly after the last stored batch.
public struct KafkaOffsetRange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int
    /// The first offset of the range.
    public var fromOffset: Int64
    /// The offset after the last one of the range (where the next batch starts).
    public var untilOffset: Int64

    /// The range `fromOffset ..< untilOffset` of `topic`'s partition `partition`.
    public init(topic: String, partition: Int, fromOffset: Int64, untilOffset: Int64) {
        self.topic = topic
        self.partition = partition
        self.fromOffset = fromOffset
        self.untilOffset = untilOffset
    }

    /// The topic and partition.
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
    /// How many offsets the range spans (the record count, unless the log has gaps such as transaction markers).
    public var count: Int64 { untilOffset - fromOffset }
    public var description: String { "\(topic)-\(partition) [\(fromOffset), \(untilOffset))" }
}
