import Synchronization

/// A stream whose records carry an event time and whose watermark says how far event time has advanced
/// (made by `DStream.withWatermark(eventTime:delay:)`): the input of event-time windows, sessions and interval
/// joins.
///
/// `records` holds the on-time records, `late` the records that arrived behind the watermark and
/// `watermarks` the watermark after each batch. `map` and `filter` keep each record's event time and the
/// stream's watermark, so the operators after them still window by the original times.
/// ```swift
/// let timed = try clicks.withWatermark(eventTime: { $0.timeMs }, delay: .seconds(5))
/// let paid = timed.filter { $0.paid }.map { Click(campaign: $0.campaign, value: $0.value) }
/// let perWindow = try paid.reduceByKeyAndWindow(key: { $0.campaign }, value: { $0.value }, +,
///                                               length: .seconds(10))
/// ```
public final class EventTimeStream<T: Sendable>: Sendable {
    /// The on-time records with their event times (narrow operators fuse onto it).
    @usableFromInline let timed: DStream<Timed<T>>
    /// The watermark after each batch, W(t+1): one record per batch once the stream saw its first record.
    public let watermarks: DStream<Int64>
    /// The own watermark of each source partition that holds the stream's watermark back after each batch
    /// (its largest event time - delay), keyed `topic-partition` (`SourcePartition.description`): one
    /// dictionary per batch once the stream saw its first record. Only the per-partition forms
    /// (`withWatermark(eventTime:delay:partition:idleTimeout:)`, SpateKafka's) fill it; idle partitions and
    /// those with no record yet are left out. The stream's watermark is at least the smallest of them (it
    /// never decreases, so a partition that rejoined behind it shows a smaller one).
    public let partitionWatermarks: DStream<[String: Int64]>
    private let makeLate: @Sendable () -> DStream<T>
    /// `records` and `late`, made when first asked for (a stream nobody reads adds no work to a batch).
    private let derived = Mutex<(records: DStream<T>?, late: DStream<T>?)>((nil, nil))

    @usableFromInline
    init(
        timed: DStream<Timed<T>>, watermarks: DStream<Int64>, partitionWatermarks: DStream<[String: Int64]>,
        late: @escaping @Sendable () -> DStream<T>
    ) {
        self.timed = timed
        self.watermarks = watermarks
        self.partitionWatermarks = partitionWatermarks
        self.makeLate = late
    }

    /// The streams over a `withWatermark` node's segments.
    convenience init(segments: DStream<EventSegment<T>>) {
        self.init(
            timed: segments.derive("eventTimeRecords") { s, _, run in
                Stage(partitions: Self.segments(s, run).map(\.onTime))
            },
            watermarks: segments.derive("watermarks") { s, _, run in
                // Every segment holds the same watermark: the first one's is the batch's.
                Stage(partitions: [Self.segments(s, run).first?.watermark.map { [$0] } ?? []])
            },
            partitionWatermarks: segments.derive("partitionWatermarks") { s, _, run in
                Stage(partitions: [Self.segments(s, run).first?.partitionWatermarks.map { [$0] } ?? []])
            },
            late: { segments.derive("late") { s, _, run in Stage(partitions: Self.segments(s, run).map(\.late)) } })
    }

    /// One segment per partition (the node's batches are cached arrays, so this copies nothing).
    private static func segments(_ stage: Stage<EventSegment<T>>, _ run: BatchRun) -> [EventSegment<T>] {
        (stage.arrays ?? stage.materialize(run)).map { $0.first ?? EventSegment() }
    }

    /// The context the stream belongs to.
    public var context: StreamingContext { timed.context }

    /// The records that were on time (at or after the watermark in force when their batch ran).
    public var records: DStream<T> {
        derived.withLock { d in
            if let made = d.records { return made }
            let made = timed.deriveStage("records") { s, _, _ in s.narrow { x, _, sink in sink(x.record) } }
            d.records = made
            return made
        }
    }

    /// The records that arrived behind the watermark: left out of every event-time operator of this stream.
    /// They are also counted in `BatchInfo.lateRecords`.
    public var late: DStream<T> {
        derived.withLock { d in
            if let made = d.late { return made }
            let made = makeLate()
            d.late = made
            return made
        }
    }

    /// The watermark after the batch at `time` (nil: the stream has seen no record yet).
    @usableFromInline
    func watermark(at time: BatchTime, _ run: BatchRun) throws -> Int64? {
        guard let stage = try watermarks.getOrCompute(time, run), stage.count > 0 else { return nil }
        return stage.collect(0, run).first
    }
}

extension EventTimeStream {
    /// Applies `transform` to every record, keeping its event time and the stream's watermark; late records
    /// are transformed too (in `late`). A record on which `transform` throws is dropped and counted in
    /// `BatchInfo.failedRecords`.
    /// ```swift
    /// let amounts = timed.map { ($0.campaign, $0.value) }
    /// ```
    @inlinable
    public func map<U: Sendable>(_ transform: @escaping @Sendable (T) throws -> U) -> EventTimeStream<U> {
        let body: @Sendable (Timed<T>, BatchRun, (Timed<U>) -> Void) -> Void = { x, run, sink in
            do { sink(Timed(time: x.time, record: try transform(x.record))) } catch { run.recordFailed(error, in: "map") }
        }
        return EventTimeStream<U>(
            timed: timed.deriveStage("map") { s, _, _ in s.narrow(body) }, watermarks: watermarks,
            partitionWatermarks: partitionWatermarks,
            late: { [self] in late.map(transform) })
    }

    /// Keeps the records for which `isIncluded` returns true, with their event times and the stream's
    /// watermark (the watermark still follows every record of the original stream); `late` is filtered too.
    /// ```swift
    /// let paid = timed.filter { $0.paid }
    /// ```
    @inlinable
    public func filter(_ isIncluded: @escaping @Sendable (T) throws -> Bool) -> EventTimeStream<T> {
        let body: @Sendable (Timed<T>, BatchRun, (Timed<T>) -> Void) -> Void = { x, run, sink in
            do { if try isIncluded(x.record) { sink(x) } } catch { run.recordFailed(error, in: "filter") }
        }
        return EventTimeStream(
            timed: timed.deriveStage("filter") { s, _, _ in s.narrow(body) }, watermarks: watermarks,
            partitionWatermarks: partitionWatermarks,
            late: { [self] in late.filter(isIncluded) })
    }
}
