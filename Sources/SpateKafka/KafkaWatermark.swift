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
        let source = self.source
        return try records.withWatermark(
            eventTime: eventTime, delay: delay, partition: { $0.topicPartition }, idleTimeout: idleTimeout,
            assigned: { time in source.offsetRanges(at: time)?.map(\.sourcePartition) })
    }
}
