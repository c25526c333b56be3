extension EventTimeStream {
    /// Combines the values of each key over event-time windows with Spark's three combiner functions: the
    /// general form of `reduceByKeyAndWindow` and `countByKeyAndWindow`.
    ///
    /// Windows are `[k*slide, k*slide + length)` for every integer k (tumbling when `slide` is nil), by the
    /// records' event times, independent of the batch interval; a record belongs to each window with
    /// start <= time < end. A window closes after batch t when the watermark after it, W(t+1), reaches its end.
    /// With `emit: .append` each window is emitted once, in the batch after which it closed, with its final
    /// value; with `.update`, every batch emits each open window that received records in it, with its value
    /// so far. Either way a closed window's state is dropped, so the state holds only the open windows.
    /// ```swift
    /// let stats = try timed.combineByKeyAndWindow(
    ///     key: { $0.campaign }, value: { $0.value },
    ///     createCombiner: { (sum: $0, count: 1) }, mergeValue: { ($0.sum + $1, $0.count + 1) },
    ///     mergeCombiners: { ($0.sum + $1.sum, $0.count + $1.count) }, length: .seconds(10))
    /// ```
    /// The functions must make the result independent of the order of records (associative and commutative).
    /// Results are `(Windowed(key, window), combiner)`; the state is checkpointed as the other stateful
    /// operators' (name it with `named(_:)`).
    /// - Throws: `EventTimeError` when `length` or `slide` is not positive or `length` is not a multiple of
    ///   `slide`.
    /// - Complexity: O(records x length / slide) per batch, in parallel over `partitions` (default: the
    ///   context's parallelism), values combined inside each input partition first; plus O(open windows of a
    ///   partition) in a batch after which one of its windows closes.
    @inlinable
    public func combineByKeyAndWindow<K: Hashable & Sendable, V: Sendable, C: Sendable>(
        key: @escaping @Sendable (T) -> K, value: @escaping @Sendable (T) -> V,
        createCombiner: @escaping @Sendable (V) -> C, mergeValue: @escaping @Sendable (C, V) -> C,
        mergeCombiners: @escaping @Sendable (C, C) -> C,
        length: Duration, slide: Duration? = nil, emit: OutputMode = .append, partitions: Int? = nil
    ) throws -> DStream<(Windowed<K>, C)> {
        try windowAggregate(
            "combineByKeyAndWindow", key: key, value: value, createCombiner: createCombiner, mergeValue: mergeValue,
            mergeCombiners: mergeCombiners, length: length, slide: slide, emit: emit, partitions: partitions)
    }

    /// Merges the values of each key over event-time windows with `combine` (associative and commutative).
    /// Windows, closing and `emit` as in `combineByKeyAndWindow`.
    /// ```swift
    /// let sliding = try timed.reduceByKeyAndWindow(key: { $0.campaign }, value: { $0.value }, +,
    ///                                              length: .seconds(10), slide: .seconds(5), emit: .update)
    /// ```
    /// - Throws: `EventTimeError` for an invalid window definition.
    /// - Complexity: as `combineByKeyAndWindow`.
    @inlinable
    public func reduceByKeyAndWindow<K: Hashable & Sendable, V: Sendable>(
        key: @escaping @Sendable (T) -> K, value: @escaping @Sendable (T) -> V,
        _ combine: @escaping @Sendable (V, V) -> V,
        length: Duration, slide: Duration? = nil, emit: OutputMode = .append, partitions: Int? = nil
    ) throws -> DStream<(Windowed<K>, V)> {
        try windowAggregate(
            "reduceByKeyAndWindow", key: key, value: value, createCombiner: { $0 }, mergeValue: combine,
            mergeCombiners: combine, length: length, slide: slide, emit: emit, partitions: partitions)
    }

    /// Counts the records of each key over event-time windows. Windows, closing and `emit` as in
    /// `combineByKeyAndWindow`.
    /// ```swift
    /// let perWindow = try timed.countByKeyAndWindow(key: { $0.campaign }, length: .seconds(10))
    /// ```
    /// - Throws: `EventTimeError` for an invalid window definition.
    /// - Complexity: as `combineByKeyAndWindow`.
    @inlinable
    public func countByKeyAndWindow<K: Hashable & Sendable>(
        key: @escaping @Sendable (T) -> K,
        length: Duration, slide: Duration? = nil, emit: OutputMode = .append, partitions: Int? = nil
    ) throws -> DStream<(Windowed<K>, Int)> {
        try windowAggregate(
            "countByKeyAndWindow", key: key, value: { _ in 1 }, createCombiner: { $0 }, mergeValue: { $0 &+ $1 },
            mergeCombiners: { $0 &+ $1 }, length: length, slide: slide, emit: emit, partitions: partitions)
    }

    /// The window operators' stream: each batch's records are combined per `(key, window)` (map-side first),
    /// merged into the state's open windows, and the windows the watermark closed are emitted (append) and
    /// dropped.
    @inlinable
    func windowAggregate<K: Hashable & Sendable, V: Sendable, C: Sendable>(
        _ name: String, key: @escaping @Sendable (T) -> K, value: @escaping @Sendable (T) -> V,
        createCombiner: @escaping @Sendable (V) -> C, mergeValue: @escaping @Sendable (C, V) -> C,
        mergeCombiners: @escaping @Sendable (C, C) -> C,
        length: Duration, slide: Duration?, emit: OutputMode, partitions: Int?
    ) throws -> DStream<(Windowed<K>, C)> {
        let spec = try EventWindowSpec(operation: name, length: length, slide: slide)
        return stateStream(
            name, kind: "\(name)<\(K.self), \(C.self)>", partitions: partitions, openEntries: { $0.count }
        ) {
            records, watermark, run, state, partitioner, earliest in
            let pairs = records.narrow { (x: Timed<T>, _: BatchRun, sink: ((Windowed<K>, V)) -> Void) in
                let k = key(x.record), v = value(x.record)
                spec.forEachWindow(containing: x.time) { sink((Windowed(key: k, window: $0), v)) }
            }
            let batch = ShuffleKernels.combine(
                pairs, run, partitioner: partitioner,
                createCombiner: createCombiner, mergeValue: mergeValue, mergeCombiners: mergeCombiners)
            return Stage(partitions: Parallel.map(partitioner.partitions) { j in
                var end = earliest[j]
                let out = state.withPartition(j) { open in
                    EventWindowKernels.apply(
                        batch[j], to: &open, mergeCombiners: mergeCombiners, emit: emit, watermark: watermark,
                        earliestEnd: &end)
                }
                earliest[j] = end
                return out
            })
        }
    }
}

/// The per-partition step of the event-time window operators, `@inlinable` so it compiles for the caller's
/// key and combiner types.
@usableFromInline
enum EventWindowKernels {
    /// Merges one batch's combiners of one partition into its open windows, in place, then closes the windows
    /// whose end the watermark reached; returns what the batch emits (`.update`: the windows the batch
    /// touched; `.append`: the windows it closed). `earliestEnd` is a lower bound of the open windows' ends;
    /// the open windows are scanned only when the watermark reaches it.
    @inlinable
    static func apply<K: Hashable & Sendable, C: Sendable>(
        _ batch: [Windowed<K>: C], to open: inout [Windowed<K>: C], mergeCombiners: (C, C) -> C,
        emit: OutputMode, watermark: Int64?, earliestEnd: inout Int64
    ) -> [(Windowed<K>, C)] {
        var out: [(Windowed<K>, C)] = []
        if emit == .update { out.reserveCapacity(batch.count) }
        for (w, c) in batch {
            let merged: C
            if let i = open.index(forKey: w) {
                merged = mergeCombiners(open.values[i], c)
                open.values[i] = merged
            } else {
                merged = c
                open[w] = c
                earliestEnd = Swift.min(earliestEnd, w.window.end)
            }
            if emit == .update { out.append((w, merged)) }
        }
        guard let watermark, watermark >= earliestEnd else { return out }
        var closed: [Windowed<K>] = []
        var next = Int64.max
        for (w, c) in open {
            if w.window.end <= watermark {
                closed.append(w)
                if emit == .append { out.append((w, c)) }
            } else {
                next = Swift.min(next, w.window.end)
            }
        }
        // Removed in place: a dictionary rebuilt per close would copy every window still open.
        for w in closed { open.removeValue(forKey: w) }
        earliestEnd = next
        return out
    }
}
