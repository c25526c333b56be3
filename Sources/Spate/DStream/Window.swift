/// Validated window geometry: the window covers the parent's slide times in `(t - lengthMs, t]` for every
/// window time `t` (a multiple of `slideMs` after the zero time).
@usableFromInline
struct WindowSpec: Sendable {
    let lengthMs: Int
    let slideMs: Int
    /// The parent's slide: the spacing of the batch times inside a window.
    let parentSlideMs: Int

    /// The parent times in `(from, to]`, oldest first. Times at or before the zero time have no batch; the
    /// parent's `getOrCompute` returns nil for them, so the first windows are partial (as in Spark).
    func parentTimes(after from: Int, through to: Int) -> [BatchTime] {
        guard to > from else { return [] }
        // `to` is a window time, hence a parent slide time: step back from it.
        var times: [BatchTime] = []
        var t = to
        while t > from {
            times.append(BatchTime(milliseconds: t))
            t -= parentSlideMs
        }
        return times.reversed()
    }

    /// The parent times in the window ending at `time`.
    func times(endingAt time: BatchTime) -> [BatchTime] {
        parentTimes(after: time.milliseconds - lengthMs, through: time.milliseconds)
    }
}

extension DStream {
    /// Checks a window's length and slide (slide defaults to the batch interval): both must be positive
    /// multiples of the batch interval and of this stream's own slide.
    @usableFromInline
    func windowSpec(length: Duration, slide: Duration?) throws -> WindowSpec {
        let lengthMs = try context.checkMultiple(length, "window length")
        let slideMs = try context.checkMultiple(slide ?? context.batchInterval, "window slide")
        for (what, ms) in [("window length", lengthMs), ("window slide", slideMs)] where ms % self.slideMs != 0 {
            throw SpateError.durationNotMultipleOfSlide(what: what, milliseconds: ms, slideMilliseconds: self.slideMs)
        }
        return WindowSpec(lengthMs: lengthMs, slideMs: slideMs, parentSlideMs: self.slideMs)
    }

    /// A stream whose batch at each slide time holds every record of this stream's batches in the last
    /// `length` of time: the batches at times in `(t - length, t]`, oldest first (Spark's `window`).
    ///
    /// `length` and `slide` must be multiples of the batch interval (`slide` defaults to it); otherwise this
    /// throws `SpateError.durationNotMultiple`. The first windows after start are partial: they hold only the
    /// batches that exist since the zero time.
    /// ```swift
    /// // Every 10 s, the lines of the last 30 s.
    /// let recent = try lines.window(length: .seconds(30), slide: .seconds(10))
    /// ```
    /// - Complexity: O(1) per window to define its batch; the records of the `length / interval` batches are
    ///   read (not copied) by whatever consumes the window. This stream's batches are kept for `length`.
    public func window(length: Duration, slide: Duration? = nil) throws -> DStream<T> {
        let spec = try windowSpec(length: length, slide: slide)
        return windowed(spec, name: "window")
    }

    /// The window node for `spec`: the union (partitions concatenated, oldest batch first) of the parent's
    /// batches in the window.
    @usableFromInline
    func windowed(_ spec: WindowSpec, name: String) -> DStream<T> {
        DStream<T>(context: context, name: name, parents: [self], slideMs: spec.slideMs,
                   lookbackMs: spec.lengthMs) { [self] time, run in
            var stages: [Stage<T>] = []
            for t in spec.times(endingAt: time) {
                if let s = try getOrCompute(t, run) { stages.append(s) }
            }
            return Stage.concatenating(stages)
        }
    }

    /// Combines all records of each window with `combine` (associative and commutative): one record per
    /// slide time, none for an empty window. Each batch is reduced once; each window reduces the per-batch
    /// results of its batches (Spark's `reduceByWindow` without an inverse).
    /// ```swift
    /// let maxLatency = try latencies.reduceByWindow(max, length: .seconds(30), slide: .seconds(5))
    /// ```
    /// - Complexity: O(records) per batch plus O(length / interval) per slide.
    @inlinable
    public func reduceByWindow(
        _ combine: @escaping @Sendable (T, T) -> T, length: Duration, slide: Duration? = nil
    ) throws -> DStream<T> {
        let spec = try windowSpec(length: length, slide: slide)
        return reduce(combine).windowed(spec, name: "reduceByWindow").reduce(combine)
    }
}

extension DStream {
    /// Gathers the values of each key over each window: `(key, values)` for every key with a value in the
    /// window's batches; values in no particular order (as Spark's `groupByKeyAndWindow`). Each batch is
    /// grouped once and the groups are merged per window.
    /// ```swift
    /// let sessions = try clicks.groupByKeyAndWindow(length: .seconds(60), slide: .seconds(10))
    /// ```
    /// - Complexity: O(records in the window) per slide, in parallel over partitions.
    @inlinable
    public func groupByKeyAndWindow<K: Hashable & Sendable, V: Sendable>(
        length: Duration, slide: Duration? = nil, partitions: Int? = nil
    ) throws -> DStream<(K, [V])> where T == (K, V) {
        let spec = try windowSpec(length: length, slide: slide)
        return groupByKey(partitions: partitions)
            .windowed(spec, name: "groupByKeyAndWindow")
            .combineByKey(
                createCombiner: { (vs: [V]) in vs },
                mergeValue: { $0 + $1 },
                mergeCombiners: { $0 + $1 },
                partitions: partitions)
    }

    /// Merges the values of each key over each window with `combine` (associative and commutative): every
    /// batch is reduced by key once, and each window merges the per-batch results of its batches (Spark's
    /// `reduceByKeyAndWindow` without an inverse).
    /// ```swift
    /// let counts = try words.map { ($0, 1) }.reduceByKeyAndWindow(+, length: .seconds(30), slide: .seconds(10))
    /// ```
    /// - Complexity: O(records) per batch plus O(distinct keys per batch x batches in the window) per slide.
    ///   For long windows with a small slide, prefer the incremental form with `inverse:`.
    @inlinable
    public func reduceByKeyAndWindow<K: Hashable & Sendable, V: Sendable>(
        _ combine: @escaping @Sendable (V, V) -> V,
        length: Duration, slide: Duration? = nil, partitions: Int? = nil
    ) throws -> DStream<(K, V)> where T == (K, V) {
        let spec = try windowSpec(length: length, slide: slide)
        return reduceByKey(combine, partitions: partitions)
            .windowed(spec, name: "reduceByKeyAndWindow")
            .reduceByKey(combine, partitions: partitions)
    }
}

extension Stage {
    /// The partitions of `stages` one after another (Spark's UnionRDD).
    static func concatenating(_ stages: [Stage<T>]) -> Stage<T> {
        if stages.count == 1 { return stages[0] }
        var offsets: [(stage: Int, partition: Int)] = []
        for (i, s) in stages.enumerated() {
            for p in 0..<s.count { offsets.append((i, p)) }
        }
        let index = offsets
        // Both loops forward to the parts' own: chunks stay chunks, records stay records.
        let run: @Sendable (Int, BatchRun, (T) -> Void) -> Void = { p, run, sink in
            let (i, q) = index[p]
            stages[i].run(q, run, sink)
        }
        let chunks: @Sendable (Int, BatchRun, (UnsafeBufferPointer<T>) -> Void) -> Void = { p, run, sink in
            let (i, q) = index[p]
            stages[i].forEachChunk(q, run, sink)
        }
        return Stage(count: index.count, run: run, chunks: stages.allSatisfy(\.chunked) ? chunks : nil, collect: nil)
    }
}
