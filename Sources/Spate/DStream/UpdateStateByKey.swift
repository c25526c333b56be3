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
    /// - Parameters:
    ///   - partitions: the number of state partitions.
    ///   - initialState: the states keys start with before the first batch (for a key listed twice, the
    ///     last one wins).
    /// - Complexity: O(records + keys in the state) per batch, in parallel over partitions.
    @inlinable
    public func updateStateByKey<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ update: @escaping @Sendable ([V], S?) throws -> S?,
        partitions: Int? = nil,
        initialState: [(K, S)] = []
    ) -> DStream<(K, S)> where T == (K, V) {
        // The per-batch step is built here, for the caller's types; the bookkeeping around it is not hot.
        keyedStateStream(
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
}
