import Spate

/// A direct Kafka stream and what Spark's `HasOffsetRanges` gives: the offset ranges of each batch.
///
/// ```swift
/// let kafka = ssc.directKafkaStream(brokers: "127.0.0.1:9092", topics: ["events"], groupID: "counts")
/// kafka.foreachBatch { batch, ranges, time in
///     try await store(results(batch), offsets: ranges)   // results and offsets in one transaction
/// }
/// ```
public final class KafkaStream: Sendable {
    /// The records: one Spate partition per Kafka partition, in topic then partition order.
    public let records: DStream<KafkaRecord>
    let source: DirectKafkaSource
    let deadLetters: KafkaDeadLetters?

    init(records: DStream<KafkaRecord>, source: DirectKafkaSource, deadLetters: KafkaDeadLetters?) {
        self.records = records
        self.source = source
        self.deadLetters = deadLetters
    }

    /// The offset range of every partition in the batch at `time` (one per Spate partition, in order), or
    /// nil when no such batch was cut (or it is older than the last 512 batches).
    public func offsetRanges(for time: BatchTime) -> [KafkaOffsetRange]? { source.offsetRanges(at: time) }

    /// The batches' offset ranges for a sink that stores them with the results in one transaction
    /// (`saveToPostgres(..., offsets: kafka.batchOffsets)`); the sink rewinds the stream when the store holds
    /// other offsets than a batch starts from. Pair it with `startingOffsets: .stored(...)` reading the same
    /// store, so a restarted (or newly assigned) partition resumes after the last stored batch.
    ///
    /// Before the sink stores a batch's offsets, the batch's dead letters are flushed and acknowledged
    /// (`deadLetterTopic`), so a crash right after the commit loses none. A partition whose records were lost
    /// to retention (`failOnDataLoss` off) starts its range where the stream was before the skip, so the sink
    /// takes the skip instead of rewinding to offsets that no longer exist.
    public var batchOffsets: BatchOffsets {
        let source = self.source, deadLetters = self.deadLetters
        return BatchOffsets(
            group: source.groupID, ranges: { source.storedRanges(at: $0) }, rewind: { source.rewind($0.kafkaOffsets) },
            beforeStore: { time in try await deadLetters?.deliver(before: time) }, origin: source)
    }

    /// The partitions this process reads now: all of the topics' partitions, or in consumer-group mode the
    /// share the group assigned it (empty before the first assignment).
    public var assignedPartitions: [KafkaTopicPartition] { source.assignedPartitions }

    /// Runs `body` on every batch with its offset ranges, as Spark's
    /// `stream.foreachRDD { rdd => rdd.asInstanceOf[HasOffsetRanges].offsetRanges }`: store the ranges with the
    /// results to resume exactly (`KafkaStartingOffsets.specific`).
    public func foreachBatch(
        _ body: @escaping @Sendable (Batch<KafkaRecord>, [KafkaOffsetRange], BatchTime) async throws -> Void
    ) {
        let source = self.source
        records.foreachBatch { batch, time in
            try await body(batch, source.offsetRanges(at: time) ?? [], time)
        }
    }

    /// Commits `ranges`' end offsets for the stream's consumer group now (Spark's `commitAsync`; this returns
    /// once the broker acknowledged): for programs that commit themselves instead of
    /// `KafkaOffsetCommit.afterOutputs`. librdkafka's commit blocks, so it runs on Spate's blocking pool, never on
    /// the caller's (cooperative) thread.
    public func commit(_ ranges: [KafkaOffsetRange]) async throws {
        let offsets = Dictionary(ranges.map { ($0.topicPartition, $0.untilOffset) }) { a, b in max(a, b) }
        let source = self.source
        try await BlockingIO.run { try source.commit(offsets) }
    }

    /// The records decoded by `decode`. A record `decode` throws on is dropped, counted in
    /// `BatchInfo.failedRecords`, and, when the options name a `deadLetterTopic`, its value is written there
    /// unchanged, keyed by its origin `<topic>/<partition>/<offset>`, with the headers `spate.error` (the
    /// error), `spate.topic`, `spate.partition`, `spate.offset` and `spate.key` (the record's key). The batch
    /// goes on. Dead letters are acknowledged by the broker before the batch's offsets are stored
    /// (`batchOffsets`), checkpointed or committed (`KafkaOffsetCommit.afterOutputs`): none is lost, and a batch
    /// replayed after a crash writes them again with the same keys (at-least-once, duplicates detectable by key).
    /// ```swift
    /// let clicks = kafka.decoded { try JSONDecoder().decode(Click.self, from: Data($0.value ?? [])) }
    /// ```
    public func decoded<U: Sendable>(_ decode: @escaping @Sendable (KafkaRecord) throws -> U) -> DStream<U> {
        let deadLetters = self.deadLetters
        return records.map { record in
            do {
                return try decode(record)
            } catch {
                deadLetters?.send(record, reason: "\(error)")
                throw error
            }
        }
    }
}

extension StreamingContext {
    /// A direct stream of the records of `topics` (Spark's `KafkaUtils.createDirectStream`): each batch reads,
    /// per partition, the offsets from where the previous batch ended up to the latest offset at the batch's
    /// generation, bounded by `options.maxRecordsPerPartition` (100,000 by default), `options.maxRatePerPartition`
    /// and backpressure; one Spate partition per Kafka
    /// partition. No receiver: the offsets are the source's whole state, kept in Spate's checkpoint, so a
    /// recovered program replays exactly the batches it had cut.
    ///
    /// `start()` fails with `SpateError.sourceFailed` when no broker answers at `brokers` or a topic is
    /// missing. A broker that goes away later is retried with backoff and reported in the log; batches read
    /// nothing meanwhile and no offset is skipped.
    /// ```swift
    /// let lines = ssc.kafkaStream(brokers: "127.0.0.1:9092", topics: ["lines"], groupID: "wordcount")
    ///     .map { $0.valueString ?? "" }
    /// ```
    public func kafkaStream(
        brokers: String, topics: [String], groupID: String, options: KafkaStreamOptions = KafkaStreamOptions()
    ) -> DStream<KafkaRecord> {
        directKafkaStream(brokers: brokers, topics: topics, groupID: groupID, options: options).records
    }

    /// The same direct stream as `kafkaStream(brokers:topics:groupID:options:)`, with its handle: each batch's
    /// offset ranges, `foreachBatch` with offsets, `commit`, and `decoded` with a dead-letter topic.
    public func directKafkaStream(
        brokers: String, topics: [String], groupID: String, options: KafkaStreamOptions = KafkaStreamOptions()
    ) -> KafkaStream {
        let logger = packageLogger
        let interval = batchIntervalMilliseconds
        let deadLetters = options.deadLetterTopic.map {
            KafkaDeadLetters(topic: $0, brokers: brokers, settings: options.settings, logger: logger)
        }
        let source = DirectKafkaSource(brokers: brokers, topics: topics, groupID: groupID, options: options,
                                       batchIntervalMs: interval, deadLetters: deadLetters, logger: logger,
                                       checkpoint: { [weak self] in self?.checkpointLocation })
        // The stream stops its context when it cannot go on (data loss, a recovered batch it cannot read).
        source.onFailure { [weak self] error in
            Task { await self?.stop(failingWith: error) }
        }
        let records = inputStream(source)
        if options.commitOffsets == .afterOutputs || deadLetters != nil {
            addListener(KafkaBatchCommitter(source: source, deadLetters: deadLetters,
                                            commit: options.commitOffsets == .afterOutputs, logger: logger))
        }
        return KafkaStream(records: records, source: source, deadLetters: deadLetters)
    }
}
