/// A record to write to Kafka: value, optional key, headers and partition.
public struct KafkaMessage: Sendable, Hashable {
    /// The value bytes (nil writes a tombstone).
    public var value: [UInt8]?
    /// The key bytes; records with the same key go to the same partition (unless `partition` is set).
    public var key: [UInt8]?
    /// Headers, in order.
    public var headers: [KafkaHeader]
    /// The partition to write to; nil lets the partitioner choose from the key.
    public var partition: Int?
    /// The record's timestamp (CreateTime) in milliseconds since the epoch, the default event time of the
    /// Kafka `withWatermark` forms; nil stamps it with the time of sending.
    public var timestampMilliseconds: Int64?

    /// A message with raw bytes.
    public init(
        value: [UInt8]?, key: [UInt8]? = nil, headers: [KafkaHeader] = [], partition: Int? = nil,
        timestampMilliseconds: Int64? = nil
    ) {
        self.value = value
        self.key = key
        self.headers = headers
        self.partition = partition
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// A message whose value (and key) are UTF-8 text.
    public init(
        _ value: String, key: String? = nil, headers: [KafkaHeader] = [], partition: Int? = nil,
        timestampMilliseconds: Int64? = nil
    ) {
        self.init(value: Array(value.utf8), key: key.map { Array($0.utf8) }, headers: headers, partition: partition,
                  timestampMilliseconds: timestampMilliseconds)
    }
}
