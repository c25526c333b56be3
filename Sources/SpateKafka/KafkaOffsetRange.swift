import Spate

/// A topic and one of its partitions (the core's `SourcePartition`).
public typealias KafkaTopicPartition = SourcePartition

/// The records of one Kafka partition that one batch holds, `fromOffset ..< untilOffset` (Spark's
/// `OffsetRange`; the core's `SourceOffsetRange`). A direct stream's batch has one range per partition, in the
/// order of its Spate partitions.
public typealias KafkaOffsetRange = SourceOffsetRange
