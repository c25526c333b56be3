/// How a window's result is computed from the per-batch reductions of the parent.
struct ReducedWindowFunctions<K: Hashable & Sendable, V: Sendable>: Sendable {
    let combine: @Sendable (V, V) -> V
    let inverse: @Sendable (V, V) -> V
    let filter: (@Sendable ((K, V)) -> Bool)?
    let partitioner: HashPartitioner
    let spec: WindowSpec

    /// Stages of `reduced` at `times`, each with exactly one partition per hash partition.
    func stages(_ reduced: DStream<(K, V)>, _ times: [BatchTime], _ run: BatchRun) throws -> [Stage<(K, V)>] {
        try times.compactMap { t in
            guard let s = try reduced.getOrCompute(t, run) else { return nil }
            if s.count == partitioner.partitions { return s }
            // Not laid out by our partitioner (cannot happen for the internal reduceByKey): shuffle it.
            return Stage.pairs(ShuffleKernels.combine(
                s, run, partitioner: partitioner,
                createCombiner: { $0 }, mergeValue: combine, mergeCombiners: combine))
        }
    }

    /// The window ending at `time`, reduced from all its batches.
    func fromScratch(_ reduced: DStream<(K, V)>, _ time: BatchTime, _ run: BatchRun) throws -> [[K: V]] {
        let batches = try stages(reduced, spec.times(endingAt: time), run)
        return Parallel.map(partitioner.partitions) { p in
            var d: [K: V] = [:]
            for s in batches {
                s.run(p, run) { kv in
                    if let i = d.index(forKey: kv.0) { d.values[i] = combine(d.values[i], kv.1) } else { d[kv.0] = kv.1 }
                }
            }
            if let filter { d = d.filter { filter(($0.key, $0.value)) } }
            return d
        }
    }

    /// Moves `state` from the window ending at `time - slide` to the one ending at `time`: removes the
    /// batches leaving the window with `inverse`, adds those entering it with `combine`, then applies
    /// `filter` to the keys it touched (the others keep values that passed it already).
    func slide(_ state: KeyedState<Int, [K: V]>, _ reduced: DStream<(K, V)>, to time: BatchTime, _ run: BatchRun) throws {
        let t = time.milliseconds, previous = t - spec.slideMs, L = spec.lengthMs
        // Previous window: (previous - L, previous]; current: (t - L, t]. They overlap unless slide > length.
        let leaving = try stages(reduced, spec.parentTimes(after: previous - L, through: Swift.min(previous, t - L)), run)
        let entering = try stages(reduced, spec.parentTimes(after: Swift.max(previous, t - L), through: t), run)
        Parallel.forEach(partitioner.partitions) { p in
            state.withPartition(p) { d in
                var touched: [K] = []
                for s in leaving {
                    s.run(p, run) { kv in
                        // As in Spark, a key missing from the previous window (dropped by `filter`) ignores
                        // its leaving values.
                        guard let i = d.index(forKey: kv.0) else { return }
                        d.values[i] = inverse(d.values[i], kv.1)
                        if filter != nil { touched.append(kv.0) }
                    }
                }
                for s in entering {
                    s.run(p, run) { kv in
                        if let i = d.index(forKey: kv.0) { d.values[i] = combine(d.values[i], kv.1) } else { d[kv.0] = kv.1 }
                        if filter != nil { touched.append(kv.0) }
                    }
                }
                if let filter {
                    var dropped = 0
                    for k in touched {
                        if let i = d.index(forKey: k), !filter((k, d.values[i])) {
                            d.remove(at: i)
                            dropped += 1
                        }
                    }
                    state.recordExpired(dropped)
                }
            }
        }
    }
}

extension DStream {
    /// Merges the values of each key over each window incrementally (Spark's `reduceByKeyAndWindow` with an
    /// inverse function): the previous window's result is kept, and each slide adds the batches entering the
    /// window with `combine` and removes the batches leaving it with `inverse`, so a long window with a
    /// short slide costs only the batches that changed.
    ///
    /// `combine` must be associative and commutative and `inverse` must undo it:
    /// `inverse(combine(a, b), b) == a`. Keys whose values all left the window stay with the "empty" value
    /// (e.g. 0 for sums) unless `filter` rejects them: `filter` is applied to every result, and the keys it
    /// rejects are dropped from the kept state too (as in Spark). Because a dropped key's leaving values are
    /// then ignored, `filter` should only reject keys whose value no longer counts, such as zero counts.
    /// ```swift
    /// let counts = try words.map { ($0, 1) }.reduceByKeyAndWindow(
    ///     +, inverse: -, length: .seconds(60), slide: .seconds(2), filter: { $0.1 != 0 })
    /// ```
    /// - Complexity: each batch is reduced by key once (O(records)); each slide costs O(distinct keys of the
    ///   batches entering and leaving the window), in parallel over `partitions`, plus O(keys in the window)
    ///   to hand out the result. The first window, or one asked for after a gap, is reduced from its batches.
    @inlinable
    public func reduceByKeyAndWindow<K: Hashable & Sendable, V: Sendable>(
        _ combine: @escaping @Sendable (V, V) -> V,
        inverse: @escaping @Sendable (V, V) -> V,
        length: Duration, slide: Duration? = nil, partitions: Int? = nil,
        filter: (@Sendable ((K, V)) -> Bool)? = nil
    ) throws -> DStream<(K, V)> where T == (K, V) {
        // Every record crosses the per-batch reduction: it is built here, compiled for the caller's key and
        // value types (in the generic window code each record would go through value witnesses). The
        // window's own slide costs only distinct keys per batch and stays generic.
        try reducedWindow(combine, inverse: inverse, length: length, slide: slide, partitions: partitions,
                          filter: filter) { partitioner in
            reduceByKey(combine, partitions: partitioner.partitions)
        }
    }

    /// `reduceByKeyAndWindow(_:inverse:...)` over the per-batch reductions `reduce` builds for the window's
    /// partitioner (called once, after the window is validated).
    @usableFromInline
    func reducedWindow<K: Hashable & Sendable, V: Sendable>(
        _ combine: @escaping @Sendable (V, V) -> V,
        inverse: @escaping @Sendable (V, V) -> V,
        length: Duration, slide: Duration?, partitions: Int?,
        filter: (@Sendable ((K, V)) -> Bool)?,
        reduce: (HashPartitioner) -> DStream<(K, V)>
    ) throws -> DStream<(K, V)> where T == (K, V) {
        let spec = try windowSpec(length: length, slide: slide)
        let partitioner = partitioner(partitions)
        let fns = ReducedWindowFunctions<K, V>(
            combine: combine, inverse: inverse, filter: filter, partitioner: partitioner, spec: spec)
        let state = KeyedState<Int, [K: V]>(partitions: partitioner.partitions, empty: [:])
        // Per-batch reductions, computed once per batch time and kept (by retention planning: this node's
        // lookback is the window length) for as long as a window may still need them as leaving batches.
        let reduced = reduce(partitioner)
        let node = state.stream(
            "reduceByKeyAndWindow", context: context, parents: [reduced], slideMs: spec.slideMs, lookbackMs: spec.lengthMs,
            step: { time, run, isFirst in
                if isFirst {
                    // The first window (nothing restored) is reduced from its batches; later ones slide.
                    for (p, d) in try fns.fromScratch(reduced, time, run).enumerated() { state.replace(p, with: d) }
                } else {
                    try fns.slide(state, reduced, to: time, run)
                }
                return Stage.pairs(state.tables())
            },
            // A window older than the kept one whose batch was forgotten: computed aside, the state left alone.
            past: { time, run in Stage.pairs(try fns.fromScratch(reduced, time, run)) })
        state.checkpointed(
            in: context, operatorName: "reduceByKeyAndWindow", kind: "reduceByKeyAndWindow<\(K.self), \(V.self)>",
            node: node.nodeName, partitioner: partitioner)
        return node
    }

    /// Combines all records of each window incrementally: each slide combines the window's previous value
    /// with the batches entering the window (`combine`) and removes the batches leaving it (`inverse`, so
    /// that `inverse(combine(a, b), b) == a`). One record per slide time once any record arrived; like Spark,
    /// a window whose records all left holds the "empty" value (e.g. 0 for a sum).
    /// ```swift
    /// let total = try amounts.reduceByWindow(+, inverse: -, length: .seconds(60), slide: .seconds(1))
    /// ```
    /// - Complexity: O(records) per batch plus O(batches entering + leaving) per slide, independent of the
    ///   window length.
    @inlinable
    public func reduceByWindow(
        _ combine: @escaping @Sendable (T, T) -> T,
        inverse: @escaping @Sendable (T, T) -> T,
        length: Duration, slide: Duration? = nil
    ) throws -> DStream<T> {
        _ = try windowSpec(length: length, slide: slide)  // validate before adding any node to the graph
        return try reduce(combine)
            .map { (0, $0) }
            .reduceByKeyAndWindow(combine, inverse: inverse, length: length, slide: slide, partitions: 1)
            .map { $0.1 }
    }
}
