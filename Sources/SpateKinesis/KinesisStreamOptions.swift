import Foundation
import Spate

/// Where a Kinesis stream's shards start when neither a checkpoint, a store nor a lease gives a position
/// (the KCL's `initialPositionInStream`).
public enum KinesisInitialPosition: Sendable, Equatable {
    /// The oldest record still in each shard (`TRIM_HORIZON`).
    case trimHorizon
    /// Records that arrive after the stream first starts (read as `AT_TIMESTAMP` of that start, so a batch
    /// cut before any record arrived is still replayable).
    case latest
    /// Records that arrived at or after `date` (`AT_TIMESTAMP`).
    case atTimestamp(Date)
}

/// Which shards of the stream a process reads.
public enum KinesisShardAssignment: Sendable, Equatable {
    /// All of them, in this one process.
    case allShards
    /// The ones this process holds a lease on in the DynamoDB table named after the stream's `application`
    /// (created when missing), as the KCL does: start the program N times with the same application and the
    /// shards are split between them; a process that dies stops renewing its leases and the others take its
    /// shards once `leaseDuration` passed without a renewal. Leases are conditional writes, so two processes
    /// never read one shard as owners; a shard whose lease moved starts where the store (`.stored`) or the
    /// lease's checkpoint says.
    case leases(leaseDuration: Duration = .seconds(10))
}

/// Settings of `kinesisStream(stream:region:endpoint:initialPosition:application:options:)`, the counterpart of
/// `KafkaStreamOptions`.
public struct KinesisStreamOptions: Sendable {
    /// The most records per second read from each shard: a batch takes at most this x batch interval records
    /// per shard (at least 1). nil: no rate bound.
    public var maxRatePerShard: Int?
    /// The most records one batch reads from each shard (GetRecords returns at most 10,000 a call).
    public var maxRecordsPerShard: Int
    /// The most GetRecords calls one batch makes per shard (AWS allows 5 a second per shard).
    public var getRecordsCallsPerBatch: Int
    /// Offsets kept by a store (the PostgreSQL sink's `PostgresOffsetStore`), asked for every shard the stream
    /// starts reading: the position stored with the results, for exactly-once output. nil: checkpoint, lease or
    /// `initialPosition`.
    public var storedPositions: (any SourceOffsetStore)?
    /// All shards in this process, or the ones it leases (scale-out and fail-over).
    public var assignment: KinesisShardAssignment
    /// Credentials; nil reads them from the environment at `start()` (`AWS_ACCESS_KEY_ID`, ...).
    public var credentials: AWSCredentials?
    /// How requests are retried when throttled or failing.
    public var retry: AWSRetry
    /// How long one request may take.
    public var requestTimeout: Duration
    /// How often the shard list (resharding) and the leases are refreshed; leases are renewed at least every
    /// third of their duration whatever this says.
    public var shardSyncInterval: Duration

    /// Options with defaults: no rate bound, 10,000 records and 5 GetRecords calls per shard a batch, no store,
    /// all shards, credentials from the environment, AWS's retry advice, a 30 s request timeout and a 5 s
    /// shard sync.
    public init(
        maxRatePerShard: Int? = nil, maxRecordsPerShard: Int = 10_000, getRecordsCallsPerBatch: Int = 5,
        storedPositions: (any SourceOffsetStore)? = nil, assignment: KinesisShardAssignment = .allShards,
        credentials: AWSCredentials? = nil, retry: AWSRetry = AWSRetry(), requestTimeout: Duration = .seconds(30),
        shardSyncInterval: Duration = .seconds(5)
    ) {
        self.maxRatePerShard = maxRatePerShard
        self.maxRecordsPerShard = max(1, maxRecordsPerShard)
        self.getRecordsCallsPerBatch = max(1, getRecordsCallsPerBatch)
        self.storedPositions = storedPositions
        self.assignment = assignment
        self.credentials = credentials
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.shardSyncInterval = shardSyncInterval
    }

    /// The records one batch of `intervalMs` may read from one shard, given a backpressure allowance for all
    /// `shards` (split evenly).
    func perShard(intervalMs: Int, allowance: Int?, shards: Int) -> Int {
        var most = maxRecordsPerShard
        if let rate = maxRatePerShard {
            let (product, overflow) = rate.multipliedReportingOverflow(by: intervalMs)
            most = min(most, max(1, overflow ? .max : product / 1000))
        }
        if let allowance, shards > 0 { most = min(most, max(1, allowance / shards)) }
        return most
    }
}
