import Metrics

extension DStream {
    /// Gives every record an event time and tracks a watermark, for the event-time operators (windows,
    /// sessions, interval joins): the result's `records` are the on-time records, `late` the late ones and
    /// `watermarks` the watermark after each batch.
    ///
    /// W(t), the watermark in force while batch `t` runs, is the largest event time of all records in the
    /// batches before `t`, minus `delay`; before the first record there is none (every record is on time). It
    /// never decreases. A record of batch `t` whose event time is below W(t) is late: it is left out of every
    /// event-time operator of the stream, appears in `late` and is counted in `BatchInfo.lateRecords` (and the
    /// `spate_late_records_total` metric). Because lateness is decided against the watermark of the batches
    /// before, a record is never added to a window that was already emitted as final.
    /// ```swift
    /// let timed = try clicks.withWatermark(eventTime: { $0.timeMs }, delay: .seconds(5))
    /// let perWindow = try timed.countByKeyAndWindow(key: { $0.campaign }, length: .seconds(10))
    /// timed.late.saveAsTextFiles(prefix: "late")
    /// ```
    /// The watermark is checkpointed with the other stateful operators, so a recovered program resumes with
    /// the watermark it had. For a source whose partitions advance unevenly (Kafka's), where one stream-wide
    /// maximum would make a lagging partition's records late, use the per-partition form
    /// `withWatermark(eventTime:delay:partition:idleTimeout:)` (SpateKafka: `withWatermark(delay:idleTimeout:)`).
    /// - Parameters:
    ///   - eventTime: the record's event time, in milliseconds since the epoch.
    ///   - delay: how far behind the newest record a record may be and still count (zero or more).
    /// - Throws: `EventTimeError.negativeDelay` when `delay` is negative.
    /// - Complexity: O(records) per batch, in parallel over partitions; one `eventTime` call per record.
    @inlinable
    public func withWatermark(
        eventTime: @escaping @Sendable (T) -> Int64, delay: Duration
    ) throws -> EventTimeStream<T> {
        guard delay >= .zero else { throw EventTimeError.negativeDelay(delay) }
        // The split is built here, for the caller's record type; the watermark bookkeeping is not hot.
        return watermarked(delayMs: EventTimeMath.milliseconds(delay)) { parent, run, watermark in
            Parallel.map(parent.count) { p in
                var segment = EventSegment<T>()
                if let arrays = parent.arrays { segment.onTime.reserveCapacity(arrays[p].count) }
                var maxTime = Int64.min, any = false
                parent.forEach(p, run) { x in
                    let time = eventTime(x)
                    if time < watermark {
                        segment.late.append(x)
                    } else {
                        segment.onTime.append(Timed(time: time, record: x))
                        if time > maxTime { maxTime = time }
                        any = true
                    }
                }
                if any { segment.maxTime = maxTime }
                return segment
            }
        }
    }

    /// The watermark node around `split`, which cuts one parent batch into segments (one per partition)
    /// given W(t) (`Int64.min` when there is none yet): keeps a `WatermarkClock` as its state (checkpointed),
    /// advances it with the segments' largest event times (`maxTime` for the single-watermark form, `maxima`
    /// per source partition) and the partitions `assigned` to the batch, and stamps every segment with
    /// W(t+1) (the first also with the per-partition watermarks).
    /// - Parameters:
    ///   - idleMs: the idle timeout in batch-time ms (nil: a partition never goes idle).
    ///   - assigned: the source partitions a batch read (nil, or a nil answer: only records tell).
    @usableFromInline
    func watermarked(
        delayMs: Int64, idleMs: Int? = nil, assigned: (@Sendable (BatchTime) -> [SourcePartition]?)? = nil,
        split: @escaping @Sendable (_ parent: Stage<T>, _ run: BatchRun, _ watermark: Int64) -> [EventSegment<T>]
    ) -> EventTimeStream<T> {
        let state = KeyedState<Int, WatermarkClock>(partitions: 1, empty: WatermarkClock())
        let lateCounter = Counter(label: "spate_late_records_total")
        let node = state.stream("withWatermark", context: context, parents: [self], slideMs: slideMs) {
            [self] time, run, _ in
            let parent = try getOrCompute(time, run) ?? .empty
            let before = state.withPartition(0) { $0.watermark }
            var segments = split(parent, run, before ?? .min)
            // A batch with no partitions still carries the watermark.
            if segments.isEmpty { segments = [EventSegment()] }
            var maxima: [SourcePartition: Int64] = [:], late = 0
            let implicit = WatermarkClock.implicitPartition
            for segment in segments {
                late += segment.late.count
                if let m = segment.maxTime { maxima[implicit] = Swift.max(maxima[implicit] ?? m, m) }
                maxima.merge(segment.maxima) { Swift.max($0, $1) }
            }
            let ms = time.milliseconds, partitions = assigned?(time)
            let (after, perPartition) = state.withPartition(0) { clock in
                let after = clock.advance(
                    maxima: maxima, assigned: partitions, atMs: ms, delayMs: delayMs, idleMs: idleMs)
                return (after, clock.partitionWatermarks(atMs: ms, delayMs: delayMs, idleMs: idleMs))
            }
            for i in segments.indices { segments[i].watermark = after }
            if after != nil { segments[0].partitionWatermarks = perPartition }
            if late > 0 {
                run.recordLate(late)
                lateCounter.increment(by: late)
            }
            return Stage(partitions: segments.map { [$0] })
        }
        context.addCheckpointed(operatorName: "withWatermark") { defaultName in
            WatermarkCheckpoint(defaultName: defaultName, node: node.nodeName, state: state, delayMs: delayMs)
        }
        return EventTimeStream(segments: node)
    }
}
