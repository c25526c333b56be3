extension DStream {
    /// `withWatermark(eventTime:delay:)` with a watermark per source partition (a Kafka topic-partition, a
    /// Kinesis shard): each partition keeps its own largest event time, and the stream's watermark follows
    /// the slowest partition that is active, so a partition that lags behind the others (a slower producer,
    /// a backlog being read) never has its on-time records dropped as late because another one ran ahead.
    ///
    /// W(t+1), the watermark after batch t, is the larger of W(t) and (the minimum, over the partitions that
    /// are active after t, of their largest event time) - `delay`; it never decreases. A partition is active
    /// while its last records came less than `idleTimeout` of *batch time* ago: one whose last records came
    /// in batch s holds the watermark back for the batches before s + `idleTimeout` and stops at the batch
    /// at s + `idleTimeout` (batch time, not the system clock, so a manual-clock test and a recovered run
    /// decide the same). An idle partition rejoins with its next records; those of them below the watermark
    /// in force are late, like any other (`late`, `BatchInfo.lateRecords`). While no partition is active the
    /// watermark stays. Lateness and closing are as in `withWatermark(eventTime:delay:)`.
    /// ```swift
    /// let timed = try readings.withWatermark(
    ///     eventTime: { $0.timeMs }, delay: .seconds(5),
    ///     partition: { SourcePartition(stream: "sensors", id: $0.shard) }, idleTimeout: .seconds(30))
    /// timed.partitionWatermarks.print()   // each active partition's own watermark
    /// ```
    /// The partitions' clocks and the watermark are checkpointed (a recovered program resumes with them).
    /// - Parameters:
    ///   - eventTime: the record's event time, in milliseconds since the epoch.
    ///   - delay: how far behind its partition's newest record a record may be and still count (zero or more).
    ///   - partition: the source partition the record came from (called once per record).
    ///   - idleTimeout: how long, in batch time, a partition may bring no record before it stops holding the
    ///     watermark back (positive).
    /// - Throws: `EventTimeError.negativeDelay` or `.nonPositiveIdleTimeout`.
    /// - Complexity: O(records) per batch, in parallel over partitions, plus O(source partitions).
    @inlinable
    public func withWatermark(
        eventTime: @escaping @Sendable (T) -> Int64, delay: Duration,
        partition: @escaping @Sendable (T) -> SourcePartition, idleTimeout: Duration
    ) throws -> EventTimeStream<T> {
        try withWatermark(eventTime: eventTime, delay: delay, partition: partition, idleTimeout: idleTimeout,
                          assigned: nil)
    }

    /// The per-partition form, also told which source partitions each batch read (`assigned`, nil when it
    /// cannot say for a batch): an assigned partition that has brought no record yet holds the watermark
    /// back until it is idle, and one no longer assigned (revoked from a consumer group) leaves the minimum
    /// at once. For sources that know their partitions (SpateKafka's `KafkaStream.withWatermark`).
    @inlinable
    package func withWatermark(
        eventTime: @escaping @Sendable (T) -> Int64, delay: Duration,
        partition: @escaping @Sendable (T) -> SourcePartition, idleTimeout: Duration,
        assigned: (@Sendable (BatchTime) -> [SourcePartition]?)?
    ) throws -> EventTimeStream<T> {
        guard delay >= .zero else { throw EventTimeError.negativeDelay(delay) }
        let idleMs = Int(EventTimeMath.milliseconds(idleTimeout))
        guard idleMs > 0 else { throw EventTimeError.nonPositiveIdleTimeout(idleTimeout) }
        return watermarked(delayMs: EventTimeMath.milliseconds(delay), idleMs: idleMs, assigned: assigned) {
            parent, run, watermark in
            Parallel.map(parent.count) { p in
                var segment = EventSegment<T>()
                if let arrays = parent.arrays { segment.onTime.reserveCapacity(arrays[p].count) }
                // A Spate partition usually holds one source partition: its maximum is kept in locals and
                // goes to the dictionary only when the source partition changes.
                var current: SourcePartition?, maxTime = Int64.min
                parent.forEach(p, run) { x in
                    let time = eventTime(x), source = partition(x)
                    if time < watermark {
                        segment.late.append(x)
                    } else {
                        segment.onTime.append(Timed(time: time, record: x))
                    }
                    if source != current {
                        if let current { segment.noteMaxTime(maxTime, of: current) }
                        (current, maxTime) = (source, time)
                    } else if time > maxTime {
                        maxTime = time
                    }
                }
                if let current { segment.noteMaxTime(maxTime, of: current) }
                return segment
            }
        }
    }
}
