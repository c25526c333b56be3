import Spate

/// The direct stream's record of each batch's offset ranges: for users (`offsetRanges(for:)`), for sinks that
/// store them (`storedRanges(at:)`), and the offsets log's trimming when a checkpoint is written.
extension DirectKafkaSource {
    /// Records the batch's ranges (and, when a skip over lost offsets makes them differ, the ranges a sink
    /// stores) for `offsetRanges(at:)`, keeping the last `keptRanges` batches.
    func remember(_ s: inout State, _ ranges: [KafkaOffsetRange], stored: [KafkaOffsetRange]? = nil, at time: BatchTime) {
        s.ranges[time.milliseconds] = ranges
        s.storedRanges[time.milliseconds] = stored == ranges ? nil : stored
        if s.ranges.count > Self.keptRanges, let oldest = s.ranges.keys.min() {
            s.ranges[oldest] = nil
            s.storedRanges[oldest] = nil
        }
    }

    /// Records a recovered batch's ranges once its records were read again.
    func remember(_ ranges: [KafkaOffsetRange], at time: BatchTime) { state.withLock { remember(&$0, ranges, at: time) } }

    /// The offset ranges of the batch at `time` (nil when it is not, or no longer, known).
    func offsetRanges(at time: BatchTime) -> [KafkaOffsetRange]? { state.withLock { $0.ranges[time.milliseconds] } }

    /// The offset ranges a sink stores with the batch at `time`: its ranges, except that a partition whose
    /// stream skipped offsets lost to retention starts where the stream was before the skip.
    func storedRanges(at time: BatchTime) -> [KafkaOffsetRange]? {
        state.withLock { $0.storedRanges[time.milliseconds] ?? $0.ranges[time.milliseconds] }
    }

    /// The oldest kept checkpoint (at `position`) covers the offsets log's entries up to its batch.
    func checkpointWritten(position: [KafkaOffsetRange], descriptors: [[KafkaOffsetRange]]) {
        offsetLog?.checkpointWritten(position: position)
    }
}
