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
        mapWithStateStream(spec) { parent, run, state, partitioner, timeout, timeMs, snapshot in
            let pieces = ShuffleKernels.hashPartition(parent, run, partitioner: partitioner)
            return Parallel.map(partitioner.partitions) { j in
                let rows = ShuffleKernels.gather(pieces, j).rows
                return state.withPartition(j) { entries in
                    StateKernels.applyMapping(
                        rows, to: &entries, spec.function, timeout: timeout, timeMs: timeMs, run, snapshot: snapshot)
                }
            }
        }
    }

    /// The mapWithState stream around `step`, which applies one parent batch to the state and returns, per
    /// partition, the mapped records, (when `snapshot`, that is once `stateSnapshots()` was asked for) the
    /// state's `(key, state)` pairs, which go to the snapshot stream, and the count of keys timed out.
    @usableFromInline
    func mapWithStateStream<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>(
        _ spec: StateSpec<K, V, S, R>,
        step: @escaping @Sendable (
            _ parent: Stage<(K, V)>, _ run: BatchRun, _ state: KeyedState<Int, [K: TimedEntry<S>]>,
            _ partitioner: HashPartitioner, _ timeout: StateTTL?, _ timeMs: Int, _ snapshot: Bool
        ) -> [([R], [(K, S)], expired: Int)]
    ) -> MapWithStateStream<K, V, S, R> where T == (K, V) {
        let timeout = StateTTL.of(spec.timeoutInterval, operation: "mapWithState", in: context)
        let snapshots = NodeRef<(K, S)>()
        let initial = spec.initialStates
        let mapped = keyedStateStream(
            "mapWithState", kind: "mapWithState<\(K.self), \(V.self), \(S.self)>", partitions: spec.partitionCount,
            seed: { time in initial.map { ($0.0, TimedEntry(state: $0.1, updatedMs: time.milliseconds)) } }
        ) { parent, run, time, state, partitioner in
            let snapshotNode = snapshots.node
            let results = step(parent, run, state, partitioner, timeout, time.milliseconds, snapshotNode != nil)
            state.recordExpired(results.reduce(0) { $0 + $1.expired })
            snapshotNode?.put(results.map(\.1), at: time)
            return Stage(partitions: results.map(\.0))
        }
        return MapWithStateStream(stream: mapped, snapshots: snapshots)
    }
}
