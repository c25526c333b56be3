/// A record with its event time, in milliseconds since the epoch: what an event-time stream carries between
/// its operators (so `map` and `filter` keep each record's time), and what an interval join buffers.
@usableFromInline
struct Timed<T: Sendable>: Sendable {
    /// The record's event time.
    @usableFromInline let time: Int64
    /// The record.
    @usableFromInline let record: T

    @inlinable
    init(time: Int64, record: T) {
        self.time = time
        self.record = record
    }
}

extension Timed: Codable where T: Codable {}

/// One partition of a `withWatermark` node's batch: the partition's on-time records with their times, its
/// late records, and the watermark after the batch. The node's batch has one segment per partition, so the
/// watermark travels, is cached and is forgotten with the records it was computed from.
@usableFromInline
struct EventSegment<T: Sendable>: Sendable {
    /// The records at or after the watermark in force, W(t), with their event times.
    @usableFromInline var onTime: [Timed<T>] = []
    /// The records before W(t).
    @usableFromInline var late: [T] = []
    /// The largest event time of the partition's records (nil when it has none): the single-watermark form.
    @usableFromInline var maxTime: Int64?
    /// The largest event time of each source partition's records in the partition (per-partition form).
    @usableFromInline var maxima: [SourcePartition: Int64] = [:]
    /// The watermark after the batch, W(t+1) (nil until the first record): the same in every segment.
    @usableFromInline var watermark: Int64?
    /// The active source partitions' own watermarks after the batch (first segment only; nil until the
    /// first record).
    @usableFromInline var partitionWatermarks: [String: Int64]?

    @inlinable init() {}

    /// Raises `partition`'s largest event time in `maxima` to `time`.
    @inlinable
    mutating func noteMaxTime(_ time: Int64, of partition: SourcePartition) {
        maxima[partition] = Swift.max(maxima[partition] ?? time, time)
    }
}
