import Foundation
import Spate

/// The records of one shard that one batch holds: sequence numbers `(from, until]` of the shard
/// `sourcePartition.id` (the core's `SourceOffsetRange`, as Kafka's offset ranges).
public typealias KinesisShardRange = SourceOffsetRange

extension SourceOffsetRange {
    /// The Kinesis shard id of the range.
    public var shardID: String { sourcePartition.id }
}

/// A direct Kinesis stream and its batches' sequence-number ranges, as `KafkaStream` gives Kafka's offset
/// ranges.
///
/// ```swift
/// let kinesis = ssc.directKinesisStream(stream: "events", region: "us-east-1", application: "counts")
/// try counts(kinesis.records).saveToPostgres(connection: db, table: "counts", mode: .accumulate,
///                                            offsets: kinesis.batchOffsets)
/// ```
public final class KinesisStream: Sendable {
    /// The records: one Spate partition per shard read, in shard order.
    public let records: DStream<KinesisRecord>
    let source: DirectKinesisSource

    init(records: DStream<KinesisRecord>, source: DirectKinesisSource) {
        self.records = records
        self.source = source
    }

    /// The range of every shard in the batch at `time` (one per Spate partition, in order), or nil when no
    /// such batch was cut (or it is older than the last 512 batches).
    public func shardRanges(for time: BatchTime) -> [KinesisShardRange]? { source.ranges(at: time) }

    /// The batches' ranges for a sink that stores them with the results in one transaction
    /// (`saveToPostgres(..., offsets: kinesis.batchOffsets)`), under the stream's `application`; the sink
    /// rewinds the stream when the store holds other positions than a batch starts from. Pair it with
    /// `KinesisStreamOptions.storedPositions` reading the same store, so a restarted process (or one that took
    /// a shard's lease) resumes after the last stored batch.
    public var batchOffsets: BatchOffsets {
        let source = self.source
        return BatchOffsets(group: source.application, ranges: { source.ranges(at: $0) },
                            rewind: { source.rewind($0) })
    }

    /// The shards this process reads now: every readable shard, or in lease mode the ones it holds (a child of
    /// a resharding only once its parents were read to their end).
    public var readingShards: [String] { source.readingShards }

    /// Runs `body` on every batch with its shard ranges.
    public func foreachBatch(
        _ body: @escaping @Sendable (Batch<KinesisRecord>, [KinesisShardRange], BatchTime) async throws -> Void
    ) {
        let source = self.source
        records.foreachBatch { batch, time in try await body(batch, source.ranges(at: time) ?? [], time) }
    }
}

extension StreamingContext {
    /// A direct stream of the records of the Kinesis stream `stream` (Spark's `KinesisInputDStream`, but with no
    /// receiver: replayable like Kafka's direct stream). Each batch reads, per shard, the records after the
    /// previous batch's last sequence number (ListShards, GetShardIterator, GetRecords), bounded by
    /// `options.maxRecordsPerShard`, `options.maxRatePerShard` and backpressure; one Spate partition per shard.
    /// The ranges are the source's state, kept in Spate's checkpoint, or stored with the results in PostgreSQL
    /// (`batchOffsets`, `options.storedPositions`). After a resharding a child shard is read only once its
    /// parents were read to their end.
    ///
    /// `region` defaults to `AWS_REGION`; `endpoint` nil means AWS's regional endpoint (pass
    /// `http://127.0.0.1:4567` for the local emulator, scripts/kinesis.sh). `application` names the group the
    /// positions are stored under and, with `assignment: .leases`, the DynamoDB lease table. Credentials come
    /// from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) unless the
    /// options give them. `start()` fails with `SpateError.sourceFailed` naming the fix when the credentials,
    /// the endpoint or the stream are wrong. Enhanced fan-out (SubscribeToShard) is not used.
    /// ```swift
    /// let lines = ssc.kinesisStream(stream: "lines", region: "us-east-1", endpoint: "http://127.0.0.1:4567",
    ///                               initialPosition: .trimHorizon, application: "wordcount")
    ///     .map(\.dataString)
    /// ```
    public func kinesisStream(
        stream: String, region: String? = nil, endpoint: String? = nil,
        initialPosition: KinesisInitialPosition = .latest, application: String,
        options: KinesisStreamOptions = KinesisStreamOptions()
    ) -> DStream<KinesisRecord> {
        directKinesisStream(stream: stream, region: region, endpoint: endpoint, initialPosition: initialPosition,
                            application: application, options: options).records
    }

    /// The same direct stream as `kinesisStream(stream:region:endpoint:initialPosition:application:options:)`,
    /// with its handle: each batch's shard ranges, `batchOffsets` for exactly-once PostgreSQL output, and the
    /// shards read.
    public func directKinesisStream(
        stream: String, region: String? = nil, endpoint: String? = nil,
        initialPosition: KinesisInitialPosition = .latest, application: String,
        options: KinesisStreamOptions = KinesisStreamOptions()
    ) -> KinesisStream {
        let source = DirectKinesisSource(
            stream: stream, region: region ?? AWSCredentials.region() ?? "", endpoint: endpoint,
            initialPosition: initialPosition, application: application, options: options,
            batchIntervalMs: batchIntervalMilliseconds, logger: packageLogger)
        let records = inputStream(source)
        if case .leases = options.assignment { addListener(KinesisLeaseCheckpointer(source: source)) }
        return KinesisStream(records: records, source: source)
    }
}
