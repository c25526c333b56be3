/// One partition of a partitioned, replayable source, such as a Kafka topic's partition.
public struct SourcePartition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The topic (or stream) name.
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

/// The records of one source partition that one batch holds: offsets `fromOffset ..< untilOffset`, as Spark's
/// `OffsetRange`. A Kafka stream's batch has one range per partition, in the order of its Spate partitions.
///
/// Store the ranges with a batch's results (in the same transaction; `saveToPostgres(..., offsets:)` does) and
/// start the source from the stored `untilOffset`s to resume exactly after the last stored batch.
public struct SourceOffsetRange: Sendable, Hashable, Codable, CustomStringConvertible {
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
    public var topicPartition: SourcePartition { SourcePartition(topic: topic, partition: partition) }
    /// How many offsets the range spans (the record count, unless the log has gaps such as transaction markers).
    public var count: Int64 { untilOffset - fromOffset }
    public var description: String { "\(topic)-\(partition) [\(fromOffset), \(untilOffset))" }
}

/// Offsets a program keeps with its results (or its state), read back by a source to resume from them: Kafka's
/// `KafkaStartingOffsets.stored(_:)` asks it for each partition the stream starts reading or is assigned.
public protocol SourceOffsetStore: Sendable {
    /// The next offset to read of each of `partitions` that has one stored for `group`; partitions without one
    /// are absent (the source starts them at the earliest offset).
    func storedOffsets(group: String, partitions: [SourcePartition]) throws -> [SourcePartition: Int64]
}

/// A source's batch offset ranges, handed to a sink that stores them in the same transaction as the batch's
/// results (`saveToPostgres(..., offsets:)`), which makes the output exactly-once: a batch is written only when
/// the stored offsets are where the batch starts, and the offsets move on with its rows.
///
/// When the store holds other offsets than a batch starts from (another process of the consumer group wrote
/// those partitions meanwhile, after a rebalance), the sink drops the batch's results and calls `rewind` with
/// the stored offsets: the source reads those partitions again from there.
public struct BatchOffsets: Sendable {
    /// The consumer group (or pipeline) the offsets are stored under.
    public let group: String
    private let rangesAt: @Sendable (BatchTime) -> [SourceOffsetRange]?
    private let rewindTo: @Sendable ([SourcePartition: Int64]) -> Void

    /// Offsets of the batches `ranges` describes (nil for an unknown batch time); `rewind` moves the source's
    /// next offsets of the given partitions back to the stored ones.
    public init(
        group: String,
        ranges: @escaping @Sendable (BatchTime) -> [SourceOffsetRange]?,
        rewind: @escaping @Sendable ([SourcePartition: Int64]) -> Void
    ) {
        self.group = group
        self.rangesAt = ranges
        self.rewindTo = rewind
    }

    /// The offset ranges of the batch at `time`, or nil when the source does not know that batch.
    public func ranges(for time: BatchTime) -> [SourceOffsetRange]? { rangesAt(time) }

    /// Tells the source to read `offsets`' partitions again from the given offsets.
    public func rewind(_ offsets: [SourcePartition: Int64]) { rewindTo(offsets) }
}
