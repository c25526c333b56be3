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
    /// the watermark it had.
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
    /// given W(t) (`Int64.min` when there is none yet): keeps the largest event time seen as its state (one
    /// entry, checkpointed), and stamps every segment with W(t+1).
    @usableFromInline
    func watermarked(
        delayMs: Int64,
        split: @escaping @Sendable (_ parent: Stage<T>, _ run: BatchRun, _ watermark: Int64) -> [EventSegment<T>]
    ) -> EventTimeStream<T> {
        let state = KeyedState<Int, [Int: Int64]>(partitions: 1, empty: [:])
        let lateCounter = Counter(label: "spate_late_records_total")
        let reported = WatermarkFigure()
        let node = state.stream("withWatermark", context: context, parents: [self], slideMs: slideMs) {
            [self] time, run, _ in
            let parent = try getOrCompute(time, run) ?? .empty
            let before = state.withPartition(0) { $0[0] }
            var segments = split(parent, run, before.map { EventTimeMath.subtract($0, delayMs) } ?? .min)
            // A batch with no partitions still carries the watermark.
            if segments.isEmpty { segments = [EventSegment()] }
            var newest = before, late = 0
            for segment in segments {
                late += segment.late.count
                if let m = segment.maxTime { newest = Swift.max(newest ?? m, m) }
            }
            if let newest { state.withPartition(0) { $0[0] = newest } }
            let after = newest.map { EventTimeMath.subtract($0, delayMs) }
            for i in segments.indices { segments[i].watermark = after }
            if let after { reported.record(after) }
            if late > 0 {
                run.recordLate(late)
                lateCounter.increment(by: late)
            }
            return Stage(partitions: segments.map { [$0] })
        }
        state.checkpointed(
            in: context, operatorName: "withWatermark", kind: "withWatermark<Int64>", node: node.nodeName,
            partitioner: HashPartitioner(partitions: 1), watermark: reported)
        return EventTimeStream(segments: node)
    }
}
