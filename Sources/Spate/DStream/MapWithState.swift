extension DStream {
    /// Maps every record with a per-key state (Spark's `mapWithState`).
    ///
    /// For each record `(key, value)` of a batch, in batch order, `spec`'s function is called with the key,
    /// the value and the key's `State`, which it may read, update or remove; its return value is one record
    /// of the result. With `spec.timeout(_:)`, a key that received no data for at least that long (batch
    /// time) gets one last call with a nil value and `state.isTimingOut == true`, whose return value is also
    /// emitted, and its state is removed.
    ///
    /// The result wraps the stream of the function's return values (`stream`) and gives the whole state per
    /// batch (`stateSnapshots()`).
    /// ```swift
    /// let spec = StateSpec.function { (word: String, one: Int?, state: State<Int>) -> (String, Int) in
    ///     let sum = (one ?? 0) + (state.getOption() ?? 0)
    ///     if !state.isTimingOut { state.update(sum) }
    ///     return (word, sum)
    /// }.timeout(.seconds(30))
    /// let running = words.map { ($0, 1) }.mapWithState(spec)
    /// running.stream.print()
    /// running.stateSnapshots().print()
    /// ```
    /// A function that throws, or misuses `State` (update while timing out, ...), is counted in
    /// `BatchInfo.failedRecords`; a throwing call emits nothing and leaves the key's state unchanged.
    /// The state lives in memory in hash partitions that update in parallel, and advances exactly once per
    /// batch time whichever consumer asks.
    /// - Complexity: O(records) per batch, plus O(keys in the state) with a timeout or snapshots.
    @inlinable
    public func mapWithState<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>(
        _ spec: StateSpec<K, V, S, R>
    ) -> MapWithStateStream<K, V, S, R> where T == (K, V) {
        // The per-batch step is built here, for the caller's types; the bookkeeping around it is not hot.
        mapWithStateStream(spec) { parent, run, state, partitioner, timeoutMs, timeMs, snapshot in
            let pieces = ShuffleKernels.hashPartition(parent, run, partitioner: partitioner)
            return Parallel.map(partitioner.partitions) { j in
                let rows = ShuffleKernels.gather(pieces, j).rows
                return state.withPartition(j) { entries in
                    StateKernels.applyMapping(
                        rows, to: &entries, spec.function, timeoutMs: timeoutMs, timeMs: timeMs, run, snapshot: snapshot)
                }
            }
        }
    }

    /// The mapWithState stream around `step`, which applies one parent batch to the state and returns, per
    /// partition, the mapped records and (when `snapshot`, that is once `stateSnapshots()` was asked for) the
    /// state's `(key, state)` pairs, which go to the snapshot stream.
    @usableFromInline
    func mapWithStateStream<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>(
        _ spec: StateSpec<K, V, S, R>,
        step: @escaping @Sendable (
            _ parent: Stage<(K, V)>, _ run: BatchRun, _ state: KeyedState<Int, [K: MapWithStateEntry<S>]>,
            _ partitioner: HashPartitioner, _ timeoutMs: Int?, _ timeMs: Int, _ snapshot: Bool
        ) -> [([R], [(K, S)])]
    ) -> MapWithStateStream<K, V, S, R> where T == (K, V) {
        let timeoutMs = spec.timeoutInterval.map(\.wholeMilliseconds).flatMap { $0 > 0 ? $0 : nil }
        if let timeout = spec.timeoutInterval, timeoutMs == nil {
            context.recordDefinitionError(.invalidTimeout(operation: "mapWithState", timeout: timeout))
        }
        let snapshots = NodeRef<(K, S)>()
        let initial = spec.initialStates
        let mapped = keyedStateStream(
            "mapWithState", kind: "mapWithState<\(K.self), \(V.self), \(S.self)>", partitions: spec.partitionCount,
            seed: { time in initial.map { ($0.0, MapWithStateEntry(state: $0.1, updatedMs: time.milliseconds)) } }
        ) { parent, run, time, state, partitioner in
            let snapshotNode = snapshots.node
            let results = step(parent, run, state, partitioner, timeoutMs, time.milliseconds, snapshotNode != nil)
            snapshotNode?.put(results.map(\.1), at: time)
            return Stage(partitions: results.map(\.0))
        }
        return MapWithStateStream(stream: mapped, snapshots: snapshots)
    }
}
