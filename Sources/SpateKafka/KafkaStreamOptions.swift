import Spate

/// Where a direct Kafka stream starts reading when no checkpoint gives its position.
public enum KafkaStartingOffsets: Sendable {
    /// The first offset still in each partition (Kafka's `auto.offset.reset=earliest`).
    case earliest
    /// The end of each partition at `start()`: only records produced afterwards (Kafka's `latest`).
    case latest
    /// The consumer group's committed offsets (see `KafkaOffsetCommit.afterOutputs`); partitions without a
    /// commit start at the earliest offset.
    case committed
    /// Offsets stored by the program itself, such as the `untilOffset`s saved with the last batch's results;
    /// partitions not listed start at the earliest offset.
    case specific([KafkaTopicPartition: Int64])
    /// Offsets kept by a store, asked for every partition when the stream starts reading it (at `start()`, and
    /// in a consumer group whenever the partition is assigned to this process): the offsets a PostgreSQL sink
    /// stored with the results (`PostgresOffsetStore`), for exactly-once output. Partitions the store has no
    /// offset for start at the earliest offset. Recovered from a checkpoint, the stream starts at the checkpoint's
    /// offsets and its first batches end at the stored ones, so state restored from the checkpoint takes again
    /// exactly the records of the batches the sink wrote after it (and the sink skips them as written).
    case stored(any SourceOffsetStore)
}

/// Which partitions of the topics a direct Kafka stream reads.
public enum KafkaAssignment: Sendable, Equatable {
    /// All of them, in this one process (manual assignment; the group id only names where offsets are
    /// committed).
    case allPartitions
    /// The ones the consumer group assigns to this process: start the same program N times with the same
    /// group id and the coordinator splits the partitions between them, moving a partition to the others
    /// when its process stops or dies (after the group's session timeout) and back when it returns. Each
    /// partition newly assigned starts from `startingOffsets` (asked again at every assignment), or from the
    /// snapshot of a partition-scoped state (`KafkaStream.partitionedUpdateStateByKey(stateDirectory:snapshotInterval:extract:update:)`).
    case consumerGroup
}

/// Whether a direct Kafka stream commits its offsets to the consumer group.
public enum KafkaOffsetCommit: Sendable, Equatable {
    /// Never: offsets live in Spate's checkpoint, or the program stores them with its results.
    case never
    /// After every output operation of a batch completed, the batch's `untilOffset`s are committed for the
    /// group (synchronously, before the next batch runs), so a restarted consumer of the group resumes
    /// after the last completed batch: at-least-once delivery of the outputs' effects.
    case afterOutputs
}

/// Settings of `kafkaStream(brokers:topics:groupID:options:)`, as Spark's `spark.streaming.kafka.*` and the
/// consumer's Kafka parameters.
public struct KafkaStreamOptions: Sendable {
    /// The most records per second read from each partition (Spark's
    /// `spark.streaming.kafka.maxRatePerPartition`): a batch takes at most this x batch interval records per
    /// partition (at least 1); the rest waits for the next batches. nil: no rate bound.
    public var maxRatePerPartition: Int?
    /// The most offsets one batch reads from each partition, whatever the rate (Spark's `maxOffsetsPerTrigger`,
    /// per partition): the first batch after a long downtime takes this much of the backlog and the next
    /// batches the rest, so a backlog cannot exhaust memory. When it bites, the batch's
    /// `BatchInfo.streamIdToMetadata` says so (`bound`). nil: everything up to the latest offset in one batch.
    public var maxRecordsPerPartition: Int?
    /// What a partition whose next offsets were deleted (retention, DeleteRecords) before they were read does
    /// (Spark's `failOnDataLoss`). true: the stream stops the context with `KafkaError.dataLost`, naming the
    /// partition, the offsets lost and the fix. false: the stream skips to the first offset left, counts the
    /// records lost (metric `spate_kafka_records_lost_total`, `BatchInfo.streamIdToMetadata`, a warning naming
    /// the partition and offsets), and goes on; a sink storing offsets (`batchOffsets`) takes the skip as the
    /// batch's start, so it does not rewind to the lost offsets.
    public var failOnDataLoss: Bool
    /// Where to start when no checkpoint holds a position.
    public var startingOffsets: KafkaStartingOffsets
    /// Whether to commit each batch's offsets to the consumer group after its outputs.
    public var commitOffsets: KafkaOffsetCommit
    /// All partitions in this process, or the share the consumer group assigns (scale-out).
    public var assignment: KafkaAssignment
    /// The topic that records a `decoded` stream's decoder rejects go to, with the reason in the
    /// `spate.error` header; nil drops them (they are still counted in `BatchInfo.failedRecords`).
    public var deadLetterTopic: String?
    /// librdkafka consumer settings that override Spate's (such as `security.protocol`, or
    /// `session.timeout.ms`: how long a dead group member keeps its partitions, 45 s by default). Spate reads
    /// with `isolation.level=read_committed` (records of aborted transactions are never read); set
    /// `read_uncommitted` here to read them.
    public var settings: [String: String]
    /// How long `start()` waits for the brokers to answer before failing.
    public var connectTimeout: Duration
    /// How long one batch's fetch may take; a batch that cannot read its whole range in time keeps what it
    /// read and the rest goes to the next batch (no offset is skipped).
    public var fetchTimeout: Duration
    /// How long a recovered batch waits, in all, for its records (the broker may be down at restart): it
    /// retries with a backoff capped at 5 s, logging each attempt, and after this long stops the context with
    /// `KafkaError.replayFailed` (never an empty batch).
    public var replayTimeout: Duration

    /// Options with defaults: no rate bound, at most 100,000 records per partition a batch, stop on data loss,
    /// committed offsets (else earliest), no commits, all partitions, no dead-letter topic, a 5 s connect timeout,
    /// a 10 s fetch timeout and a 5 minute replay timeout.
    public init(
        maxRatePerPartition: Int? = nil,
        maxRecordsPerPartition: Int? = 100_000,
        failOnDataLoss: Bool = true,
        startingOffsets: KafkaStartingOffsets = .committed,
        commitOffsets: KafkaOffsetCommit = .never,
        assignment: KafkaAssignment = .allPartitions,
        deadLetterTopic: String? = nil,
        settings: [String: String] = [:],
        connectTimeout: Duration = .seconds(5),
        fetchTimeout: Duration = .seconds(10),
        replayTimeout: Duration = .seconds(300)
    ) {
        self.maxRatePerPartition = maxRatePerPartition
        self.maxRecordsPerPartition = maxRecordsPerPartition
        self.failOnDataLoss = failOnDataLoss
        self.startingOffsets = startingOffsets
        self.commitOffsets = commitOffsets
        self.assignment = assignment
        self.deadLetterTopic = deadLetterTopic
        self.settings = settings
        self.connectTimeout = connectTimeout
        self.fetchTimeout = fetchTimeout
        self.replayTimeout = replayTimeout
    }
}
