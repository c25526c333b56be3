/// One Kinesis record of a direct stream's batch: where it sits in its shard and what it holds.
public struct KinesisRecord: Sendable, Hashable {
    /// The stream the record was read from.
    public var stream: String
    /// The shard that holds it (`shardId-000000000001`).
    public var shardID: String
    /// Its sequence number in the shard (a decimal string of up to 128 bits).
    public var sequenceNumber: String
    /// The partition key the producer gave (it chose the shard).
    public var partitionKey: String
    /// The data bytes (the producer's blob, up to 1 MiB).
    public var data: [UInt8]
    /// When Kinesis accepted the record, in milliseconds since 1970 (approximate, as Kinesis reports it).
    public var arrivalTimestampMilliseconds: Int64?

    /// A record; for tests and for building records to compare against.
    public init(
        stream: String, shardID: String, sequenceNumber: String, partitionKey: String, data: [UInt8],
        arrivalTimestampMilliseconds: Int64? = nil
    ) {
        self.stream = stream
        self.shardID = shardID
        self.sequenceNumber = sequenceNumber
        self.partitionKey = partitionKey
        self.data = data
        self.arrivalTimestampMilliseconds = arrivalTimestampMilliseconds
    }

    /// The data decoded as UTF-8 (invalid bytes replaced).
    public var dataString: String { String(decoding: data, as: UTF8.self) }
}
