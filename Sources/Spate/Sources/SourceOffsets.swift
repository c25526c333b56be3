/// One partition of a partitioned, replayable source: a Kafka topic's partition, a Kinesis stream's shard.
///
/// Both parts are strings, so any source's partitions fit (Kafka's partition numbers are written in decimal).
public struct SourcePartition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The stream the partition belongs to (a Kafka topic, a Kinesis stream).
    public var stream: String
    /// The partition within its stream (a Kafka partition number in decimal, a Kinesis shard id).
    public var id: String

    /// The partition `id` of `stream`.
    public init(stream: String, id: String) {
        self.stream = stream
        self.id = id
    }

    /// By stream, then by id; ids written in decimal digits compare as numbers (partition 2 before 10).
    public static func < (a: Self, b: Self) -> Bool {
        a.stream != b.stream ? a.stream < b.stream : SourceOffset.ordered(a.id, b.id)
    }

    /// `stream-id`, as Kafka names a topic's partition.
    public var description: String { "\(stream)-\(id)" }

    private enum CodingKeys: String, CodingKey { case stream, id, topic, partition }

    /// Decodes `{stream, id}`, or `{topic, partition}` as checkpoints of earlier versions wrote it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let stream = try c.decodeIfPresent(String.self, forKey: .stream) {
            self.init(stream: stream, id: try c.decode(String.self, forKey: .id))
        } else {
            self.init(stream: try c.decode(String.self, forKey: .topic),
                      id: String(try c.decode(Int.self, forKey: .partition)))
        }
    }

    /// Encodes `{stream, id}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stream, forKey: .stream)
        try c.encode(id, forKey: .id)
    }
}

/// A position in a source partition: opaque to Spate, but ordered. Kafka's offsets (Int64) and Kinesis'
/// sequence numbers (decimal strings of up to 128 bits) both fit: values of decimal digits compare as
/// numbers, any other values in byte order.
public struct SourceOffset: Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The position as the source writes it (decimal digits for Kafka and Kinesis).
    public let value: String

    /// The position `value`.
    public init(_ value: String) { self.value = value }

    /// An integer position, such as a Kafka offset.
    public init(_ offset: Int64) { value = String(offset) }

    /// An integer position written as a literal.
    public init(integerLiteral offset: Int64) { self.init(offset) }

    /// The position as an integer (a Kafka offset), nil when it is not one.
    public var int64Value: Int64? { Int64(value) }

    /// As numbers when both values are decimal digits (offset 9 before 10), else in byte order.
    public static func < (a: Self, b: Self) -> Bool { ordered(a.value, b.value) }

    /// The position as written.
    public var description: String { value }

    /// Whether `a` comes before `b`: as numbers when both are decimal digits, else in byte order.
    static func ordered(_ a: String, _ b: String) -> Bool {
        let (x, y) = (a.utf8, b.utf8)
        func isDecimal(_ s: String.UTF8View) -> Bool { !s.isEmpty && s.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard isDecimal(x), isDecimal(y) else { return x.lexicographicallyPrecedes(y) }
        let (p, q) = (x.drop { $0 == 0x30 }, y.drop { $0 == 0x30 })
        return p.count != q.count ? p.count < q.count : p.lexicographicallyPrecedes(q)
    }

    /// Decodes a string, or a number as checkpoints of earlier versions wrote Kafka offsets.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let number = try? c.decode(Int64.self) { self.init(number) } else { self.init(try c.decode(String.self)) }
    }

    /// Encodes the value as a string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

/// The records of one source partition that one batch holds: positions `from ..< until`, as Spark's
/// `OffsetRange`. A Kafka stream's batch has one range per partition, in the order of its Spate partitions.
///
/// Store the ranges with a batch's results (in the same transaction; `saveToPostgres(..., offsets:)` does) and
/// start the source from the stored `until`s to resume exactly after the last stored batch.
public struct SourceOffsetRange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The partition the range belongs to.
    public var sourcePartition: SourcePartition
    /// The first position of the range.
    public var from: SourceOffset
    /// The position after the last one of the range (where the next batch starts).
    public var until: SourceOffset

    /// The range `from ..< until` of `partition`.
    public init(partition: SourcePartition, from: SourceOffset, until: SourceOffset) {
        self.sourcePartition = partition
        self.from = from
        self.until = until
    }

    /// Whether the range holds no record.
    public var isEmpty: Bool { from == until }

    /// `stream-id [from, until)`.
    public var description: String { "\(sourcePartition) [\(from), \(until))" }

    private enum CodingKeys: String, CodingKey { case sourcePartition, from, until, topic, partition, fromOffset, untilOffset }

    /// Decodes `{sourcePartition, from, until}`, or `{topic, partition, fromOffset, untilOffset}` as checkpoints
    /// of earlier versions wrote Kafka's ranges.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let partition = try c.decodeIfPresent(SourcePartition.self, forKey: .sourcePartition) {
            self.init(partition: partition, from: try c.decode(SourceOffset.self, forKey: .from),
                      until: try c.decode(SourceOffset.self, forKey: .until))
        } else {
            self.init(
                partition: SourcePartition(stream: try c.decode(String.self, forKey: .topic),
                                           id: String(try c.decode(Int.self, forKey: .partition))),
                from: try c.decode(SourceOffset.self, forKey: .fromOffset),
                until: try c.decode(SourceOffset.self, forKey: .untilOffset))
        }
    }

    /// Encodes `{sourcePartition, from, until}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sourcePartition, forKey: .sourcePartition)
        try c.encode(from, forKey: .from)
        try c.encode(until, forKey: .until)
    }
}

/// Offsets a program keeps with its results (or its state), read back by a source to resume from them: Kafka's
/// `KafkaStartingOffsets.stored(_:)` asks it for each partition the stream starts reading or is assigned.
public protocol SourceOffsetStore: Sendable {
    /// The next position to read of each of `partitions` that has one stored for `group`; partitions without
    /// one are absent (the source starts them at its earliest position).
    func storedOffsets(group: String, partitions: [SourcePartition]) throws -> [SourcePartition: SourceOffset]
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
    private let rewindTo: @Sendable ([SourcePartition: SourceOffset]) -> Void
    private let beforeStoring: (@Sendable (BatchTime) async throws -> Void)?
    /// The source behind the offsets, for a sink of the same connector that needs more than the ranges (Kafka's
    /// exactly-once sink commits them to the source's consumer group); nil for offsets made with the public init.
    package let origin: (any Sendable)?

    /// Offsets of the batches `ranges` describes (nil for an unknown batch time); `rewind` moves the source's
    /// next offsets of the given partitions back to the stored ones; `beforeStore` (if any) makes what the
    /// source wrote for a batch besides its results durable (Kafka's dead letters) before the sink stores the
    /// batch's offsets.
    public init(
        group: String,
        ranges: @escaping @Sendable (BatchTime) -> [SourceOffsetRange]?,
        rewind: @escaping @Sendable ([SourcePartition: SourceOffset]) -> Void,
        beforeStore: (@Sendable (BatchTime) async throws -> Void)? = nil
    ) {
        self.group = group
        self.rangesAt = ranges
        self.rewindTo = rewind
        self.beforeStoring = beforeStore
        self.origin = nil
    }

    /// Offsets as the public init makes them, that also name the source object they come from (`origin`).
    package init(
        group: String,
        ranges: @escaping @Sendable (BatchTime) -> [SourceOffsetRange]?,
        rewind: @escaping @Sendable ([SourcePartition: SourceOffset]) -> Void,
        beforeStore: (@Sendable (BatchTime) async throws -> Void)?,
        origin: any Sendable
    ) {
        self.group = group
        self.rangesAt = ranges
        self.rewindTo = rewind
        self.beforeStoring = beforeStore
        self.origin = origin
    }

    /// Awaited by the sink right before the transaction that stores the batch's offsets, so a crash after the
    /// commit loses nothing the source wrote for the batch; when it throws, the batch fails and nothing is
    /// stored.
    public func prepareToStore(_ time: BatchTime) async throws { try await beforeStoring?(time) }

    /// The offset ranges of the batch at `time`, or nil when the source does not know that batch.
    public func ranges(for time: BatchTime) -> [SourceOffsetRange]? { rangesAt(time) }

    /// Tells the source to read `offsets`' partitions again from the given offsets.
    public func rewind(_ offsets: [SourcePartition: SourceOffset]) { rewindTo(offsets) }
}
