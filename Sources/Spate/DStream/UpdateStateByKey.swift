extension DStream {
    /// Keeps a state per key across batches (Spark's `updateStateByKey`).
    ///
    /// Every batch, `update(newValues, oldState)` is called for each key that has new values in the batch or
    /// a state from before (with an empty array when it has no new values, and a nil state when it is new);
    /// it returns the key's new state, or nil to remove the key. The result holds every `(key, state)` pair
    /// after each batch. Values arrive in batch order. If `update` throws, the record is counted in
    /// `BatchInfo.failedRecords` and the key keeps its old state.
    /// ```swift
    /// let totals = words.map { ($0, 1) }.updateStateByKey { (ones: [Int], total: Int?) in
    ///     (total ?? 0) + ones.count
    /// }
    /// totals.print()
    /// ```
    /// The state lives in memory, split in `partitions` hash partitions (default: the context's parallelism)
    /// that update in parallel. The state advances exactly once per batch time, whichever consumer asks.
    ///
    /// With a `timeout` (a time to live, as Flink's `StateTtlConfig` and Spark's `StateSpec.timeout`, in batch
    /// time), a key that received no values for at least that long is removed after the batch (`update` is
    /// not called for it again), counted in `BatchInfo.expiredStateKeys` and left out of `BatchInfo.stateKeys`
    /// and of checkpoints; a key's clock restarts with every batch that brings it values, and checkpoints keep
    /// the clocks, so a recovered key expires when it would have without the crash.
    /// ```swift
    /// let lastSeen = clicks.map { ($0.user, $0.time) }
    ///     .updateStateByKey({ (times: [Int], last: Int?) in times.max() ?? last }, timeout: .seconds(600))
    /// ```
    /// - Parameters:
    ///   - partitions: the number of state partitions.
    ///   - initialState: the states keys start with before the first batch (for a key listed twice, the
    ///     last one wins); with a timeout, their clocks start at the first batch.
    ///   - timeout: how long a key lives without new values (at least 1 ms); nil keeps keys until `update`
    ///     returns nil.
    /// - Complexity: O(records + keys in the state) per batch, in parallel over partitions.
    @inlinable
    public func updateStateByKey<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ update: @escaping @Sendable ([V], S?) throws -> S?,
        partitions: Int? = nil,
        initialState: [(K, S)] = [],
        timeout: Duration? = nil
    ) -> DStream<(K, S)> where T == (K, V) {
        if let ttl = StateTTL.of(timeout, operation: "updateStateByKey", in: context) {
            return updateStateByKey(update, partitions: partitions, initialState: initialState, ttl: ttl)
        }
        // The per-batch step is built here, for the caller's types; the bookkeeping around it is not hot.
        return keyedStateStream(
            "updateStateByKey", kind: "updateStateByKey<\(K.self), \(S.self)>", partitions: partitions,
            seed: { _ in initialState }
        ) { parent, run, _, state, partitioner in
            let pieces = ShuffleKernels.hashPartition(parent, run, partitioner: partitioner)
            return Stage(partitions: Parallel.map(partitioner.partitions) { j in
                let rows = ShuffleKernels.gather(pieces, j)
                return state.withPartition(j) { StateKernels.applyUpdate(rows, to: &$0, update, run, "updateStateByKey") }
            })
        }
    }

    /// updateStateByKey whose keys expire `ttl` after their last values: the state holds each key's clock.
    @inlinable
    func updateStateByKey<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ update: @escaping @Sendable ([V], S?) throws -> S?, partitions: Int?, initialState: [(K, S)], ttl: StateTTL
    ) -> DStream<(K, S)> where T == (K, V) {
        keyedStateStream(
            "updateStateByKey", kind: "updateStateByKey<\(K.self), \(S.self)> with timeout", partitions: partitions,
            seed: { time in initialState.map { ($0.0, TimedEntry(state: $0.1, updatedMs: time.milliseconds)) } }
        ) { parent, run, time, state, partitioner in
            let pieces = ShuffleKernels.hashPartition(parent, run, partitioner: partitioner)
            let results = Parallel.map(partitioner.partitions) { j in
                let rows = ShuffleKernels.gather(pieces, j)
                return state.withPartition(j) {
                    StateKernels.applyUpdate(
                        rows, to: &$0, update, ttl: ttl, timeMs: time.milliseconds, run, "updateStateByKey")
                }
            }
            state.recordExpired(results.reduce(0) { $0 + $1.expired })
            return Stage(partitions: results.map(\.pairs))
        }
    }
}
