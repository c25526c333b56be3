/// The state of a `withWatermark` node: the watermark in force and, per source partition (a Kafka
/// topic-partition, or one implicit partition for the single-watermark form), the largest event time it
/// brought and the batch time of its last records.
///
/// The rule (API.md "Event time", per partition): after batch t, the partitions that are *active* are those
/// that brought records in a batch less than `idleTimeout` of batch time ago (or were assigned less than
/// that ago and brought none yet); the watermark after t is the largest of the watermark before and
/// (the minimum over the active partitions of their largest event time) - delay. While an active partition
/// has brought no record yet, or when no partition is active, the watermark stays where it is. So it never
/// decreases, a lagging partition holds it back (its on-time records are never dropped because another
/// partition ran ahead), and an idle one stops holding it back until it brings records again.
struct WatermarkClock: Sendable, Equatable {
    /// One source partition's clock.
    struct Partition: Sendable, Equatable, Codable {
        /// The largest event time of the partition's records (late ones included); nil before its first.
        var maxTime: Int64?
        /// The batch time, in ms, of its last records (or of the batch it was first assigned in).
        var lastActiveMs: Int
    }

    /// The watermark in force for the next batch, W(t+1); nil before the first record.
    var watermark: Int64?
    /// Every partition known: seen in a record or assigned, and not revoked since.
    var partitions: [SourcePartition: Partition] = [:]

    /// The partition the single-watermark form keeps all records in.
    static let implicitPartition = SourcePartition(stream: "", id: "")

    /// Applies batch `timeMs`: `maxima` are the largest event times of the partitions that brought records,
    /// `assigned` the partitions the source read in the batch (nil when it cannot say). An assigned partition
    /// not known yet starts its clock (it holds the watermark back until it is idle); a known partition not
    /// assigned any more (revoked) leaves at once. Returns the watermark after the batch.
    mutating func advance(
        maxima: [SourcePartition: Int64], assigned: [SourcePartition]?, atMs timeMs: Int, delayMs: Int64,
        idleMs: Int?
    ) -> Int64? {
        for (partition, time) in maxima {
            let before = partitions[partition]?.maxTime
            partitions[partition] = Partition(maxTime: Swift.max(before ?? time, time), lastActiveMs: timeMs)
        }
        if let assigned {
            let now = Set(assigned)
            for partition in assigned where partitions[partition] == nil {
                partitions[partition] = Partition(maxTime: nil, lastActiveMs: timeMs)
            }
            for partition in partitions.keys where !now.contains(partition) && maxima[partition] == nil {
                partitions[partition] = nil
            }
        }
        var slowest = Int64.max, holding = false, anyActive = false
        for partition in partitions.values where isActive(partition, atMs: timeMs, idleMs: idleMs) {
            anyActive = true
            if let time = partition.maxTime { slowest = Swift.min(slowest, time) } else { holding = true }
        }
        if anyActive && !holding {
            let candidate = EventTimeMath.subtract(slowest, delayMs)
            watermark = Swift.max(watermark ?? candidate, candidate)
        }
        return watermark
    }

    /// Whether `partition` still holds the watermark back after batch `timeMs`: it brought records (or was
    /// assigned) less than `idleMs` of batch time before (always, without an idle timeout).
    func isActive(_ partition: Partition, atMs timeMs: Int, idleMs: Int?) -> Bool {
        guard let idleMs else { return true }
        return timeMs - partition.lastActiveMs < idleMs
    }

    /// Each active partition's own watermark after batch `timeMs` (its largest event time - delay), keyed by
    /// the partition's name (`topic-partition`); idle partitions, those with no record yet and the implicit
    /// partition of the single-watermark form are left out.
    func partitionWatermarks(atMs timeMs: Int, delayMs: Int64, idleMs: Int?) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for (name, partition) in partitions
        where name != Self.implicitPartition && isActive(partition, atMs: timeMs, idleMs: idleMs) {
            if let time = partition.maxTime { out[name.description] = EventTimeMath.subtract(time, delayMs) }
        }
        return out
    }
}
