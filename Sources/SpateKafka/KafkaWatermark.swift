import Spate

extension KafkaRecord {
    /// The record's topic-partition, as event-time watermarks name it (`topic-partition`).
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// The record's Kafka timestamp (CreateTime or LogAppendTime, ms since the epoch) as its event time: the
    /// default of the Kafka `withWatermark` forms. A record the broker gave no timestamp gets `Int64.min`, so
    /// it is late (in `late`, counted) as soon as the stream has a watermark.
    @Sendable public static func timestampEventTime(_ record: KafkaRecord) -> Int64 {
        record.timestampMilliseconds ?? .min
    }
}

extension DStream where T == KafkaRecord {
    /// An event-time stream of Kafka records with a watermark per topic-partition: each partition keeps its
    /// own largest event time, and the stream's watermark is the minimum over the active partitions minus
    /// `delay`, never decreasing (the rule of `withWatermark(eventTime:delay:partition:idleTimeout:)`). A
    /// partition that brought no record for `idleTimeout` of batch time stops holding the watermark back
    /// and rejoins with its next records, so one quiet partition does not stall every window, and a lagging
    /// partition's on-time records are never dropped because another partition ran ahead.
    ///
    /// Without `eventTime`, a record's Kafka timestamp is its event time (`KafkaRecord.timestampEventTime`).
    /// This form knows the partitions by their records (it works on any stream of Kafka records: filtered,
    /// unioned); `KafkaStream.withWatermark` also knows the partitions each batch read, so a partition that
    /// has brought nothing yet holds the watermark back until it is idle and a revoked one leaves at once.
    /// ```swift
    /// let kafka = ssc.kafkaStream(brokers: "127.0.0.1:9092", topics: ["clicks"], groupID: "counts")
    /// let timed = try kafka.withWatermark(delay: .seconds(5), idleTimeout: .seconds(30))
    /// let perWindow = try timed.countByKeyAndWindow(key: { $0.keyString ?? "" }, length: .seconds(10))
    /// ```
    /// - Throws: `EventTimeError.negativeDelay` or `.nonPositiveIdleTimeout`.
    /// - Complexity: O(records) per batch, in parallel over partitions.
    public func withWatermark(
        eventTime: @escaping @Sendable (KafkaRecord) -> Int64 = KafkaRecord.timestampEventTime,
        delay: Duration, idleTimeout: Duration
    ) throws -> EventTimeStream<KafkaRecord> {
        try withWatermark(
            eventTime: eventTime, delay: delay, partition: { $0.topicPartition }, idleTimeout: idleTimeout)
    }
}

extension KafkaStream {
    /// `records.withWatermark(eventTime:delay:idleTimeout:)` (a watermark per topic-partition, the Kafka
    /// timestamp as the default event time), also told which partitions each batch read: a partition this
    /// process reads but that has brought no record yet holds the watermark back until it is idle (so at
    /// start the first partition to answer does not close windows another one still fills), and under
    /// `assignment: .consumerGroup` a partition revoked from this process leaves the minimum at once (one
    /// assigned again starts a clock of its own; its records below the watermark in force are late).
    /// ```swift
    /// let kafka = ssc.directKafkaStream(brokers: "127.0.0.1:9092", topics: ["clicks"], groupID: "counts")
    /// let timed = try kafka.withWatermark(delay: .seconds(5), idleTimeout: .seconds(30))
    /// timed.partitionWatermarks.print()
    /// ```
    /// - Throws: `EventTimeError.negativeDelay` or `.nonPositiveIdleTimeout`.
    public func withWatermark(
        eventTime: @escaping @Sendable (KafkaRecord) -> Int64 = KafkaRecord.timestampEventTime,
        delay: Duration, idleTimeout: Duration
    ) throws -> EventTimeStream<KafkaRecord> {
        try records.withWatermark(
            eventTime: eventTime, delay: delay, partition: { $0.topicPartition }, idleTimeout: idleTimeout,
            assigned: batchPartitions)
    }

    /// The partitions each batch read (its offset ranges'), for the watermark's clocks.
    private var batchPartitions: @Sendable (BatchTime) -> [SourcePartition]? {
        let source = self.source
        return { time in source.offsetRanges(at: time)?.map(\.sourcePartition) }
    }
}

extension KafkaStream {
    /// The records decoded by `decode` (dead-lettered as `decoded(_:)` does), with `eventTime` read from the
    /// decoded value and a watermark per topic-partition as `withWatermark(eventTime:delay:idleTimeout:)`
    /// keeps it: for events that carry their own time (a JSON field) rather than the Kafka timestamp.
    /// ```swift
    /// let clicks = try kafka.decoded({ try JSONDecoder().decode(Click.self, from: Data($0.value ?? [])) },
    ///                                eventTime: { $0.timeMs }, delay: .seconds(5), idleTimeout: .seconds(30))
    /// let perWindow = try clicks.countByKeyAndWindow(key: { $0.campaign }, length: .seconds(10))
    /// ```
    /// A record `decode` throws on is dropped, counted in `BatchInfo.failedRecords` and sent to the dead-letter
    /// topic when the options name one; it does not move the watermark.
    /// - Throws: `EventTimeError.negativeDelay` or `.nonPositiveIdleTimeout`.
    public func decoded<U: Sendable>(
        _ decode: @escaping @Sendable (KafkaRecord) throws -> U, eventTime: @escaping @Sendable (U) -> Int64,
        delay: Duration, idleTimeout: Duration
    ) throws -> EventTimeStream<U> {
        try decoded { (partition: $0.topicPartition, value: try decode($0)) }.withWatermark(
            eventTime: { eventTime($0.value) }, delay: delay, partition: { $0.partition }, idleTimeout: idleTimeout,
            assigned: batchPartitions
        ).map { $0.value }
    }
}
