import Spate

/// One Kafka record of a direct stream's batch: where it sits in the log and what it holds.
///
/// Keys and values are raw bytes (nil when the producer sent none); `keyString` and `valueString` decode
/// them as UTF-8 for text topics, `keyText` and `valueText` view them as `Utf8Text` without decoding.
public struct KafkaRecord: Sendable, Hashable {
    /// The topic the record was read from.
    public var topic: String
    /// The Kafka partition of `topic` (also the index of the Spate partition that holds it).
    public var partition: Int
    /// The record's offset in its partition.
    public var offset: Int64
    /// The key bytes, nil for a record without a key.
    public var key: [UInt8]?
    /// The value bytes, nil for a tombstone.
    public var value: [UInt8]?
    /// The record's timestamp in milliseconds since 1970 (create or log-append time), nil when the broker
    /// gave none.
    public var timestampMilliseconds: Int64?
    /// The record's headers, in order (names may repeat).
    public var headers: [KafkaHeader]

    /// A record; for tests and for building records to compare against.
    public init(
        topic: String, partition: Int, offset: Int64, key: [UInt8]? = nil, value: [UInt8]?,
        timestampMilliseconds: Int64? = nil, headers: [KafkaHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
        self.headers = headers
    }

    /// The key decoded as UTF-8 (invalid bytes replaced), nil without a key.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    /// The value decoded as UTF-8 (invalid bytes replaced), nil for a tombstone.
    public var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }
    /// The key as a `Utf8Text` view of its bytes (no copy, no decoding, not validated as UTF-8: the fast text
    /// form); empty without a key (`key == nil` tells the two apart).
    public var keyText: Utf8Text { Utf8Text(bytes: key ?? []) }
    /// The value as a `Utf8Text` view of its bytes (no copy, no decoding, not validated as UTF-8: the fast
    /// text form); empty for a tombstone. Words counted without a String per record or word:
    /// `kafka.flatMap { $0.valueText.wordKeys }.map { ($0, 1) }.reduceByKey(+)`.
    public var valueText: Utf8Text { Utf8Text(bytes: value ?? []) }
    /// The first header named `name`, decoded as UTF-8.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A Kafka record header: a name and optional bytes.
public struct KafkaHeader: Sendable, Hashable {
    /// The header's name.
    public var name: String
    /// The header's bytes, nil for a null header value.
    public var value: [UInt8]?

    /// A header with raw bytes.
    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is `value` in UTF-8.
    public init(name: String, string value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }
}
