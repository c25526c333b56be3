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
        updateStateByKeyNode(partitions: partitions, initialState: initialState) { parent, run, store in
            let pieces = ShuffleKernels.hashPartition(parent, run, partitioner: store.partitioner)
            return Parallel.map(store.count) { j in
                let rows = ShuffleKernels.gather(pieces, j)
                return store.withPartition(j) { states in
                    Self.applyUpdate(rows, to: &states, update, run, "updateStateByKey")
                }
            }
        }
    }

    /// The updateStateByKey node: catch-up, caching and checkpointing around `step`, which applies one
    /// parent batch to the state and returns the `(key, state)` pairs of every partition.
    @usableFromInline
    func updateStateByKeyNode<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        partitions: Int?, initialState: [(K, S)],
        step: @escaping @Sendable (Stage<(K, V)>, BatchRun, PartitionedState<K, S>) -> [[(K, S)]]
    ) -> DStream<(K, S)> where T == (K, V) {
        let partitioner = partitioner(partitions)
        let store = PartitionedState<K, S>(partitioner: partitioner)
        let progress = CatchUp()
        let this = NodeRef<(K, S)>()
        let context = self.context
        let slide = slideMs
        let opName = "updateStateByKey"
        let node = DStream<(K, S)>(
            context: context, name: opName, parents: [self], slideMs: slide, alwaysCache: true
        ) { [self] time, run in
            var current: [[(K, S)]]?
            try progress.advance(to: time, zeroMs: context.zeroTimeMs, slideMs: slide) { stepTime, isFirst in
                if isFirst { store.seed(initialState) }
                let parent = try self.getOrCompute(stepTime, run) ?? .empty
                let pairs = step(parent, run, store)
                if stepTime == time { current = pairs } else { this.node?.put(pairs, at: stepTime) }
            }
            if let current { return Stage(partitions: current) }
            // Already applied (while catching up for a later time): the node's cache has it.
            if let cached = this.node?.cached(at: time) { return Stage(partitions: cached) }
            context.logger.warning("stateful batch no longer available", metadata: [
                "operator": "updateStateByKey", "batch": "\(time)"])
            return nil
        }
        this.set(node)
        context.addCheckpointed(operatorName: opName) { defaultName in
            KeyedStateCheckpoint<K, S>(
                kind: "\(opName)<\(K.self), \(S.self)>", defaultName: defaultName, node: node.nodeName,
                capture: { (progress.lastAppliedMs, store.capture()) },
                apply: { lastMs, entries in
                    store.replaceAll(entries)
                    progress.restore(lastMs: lastMs)
                })
        }
        return node
    }

    /// Applies one batch's records of one partition to that partition's states, in place; returns the
    /// `(key, state)` pairs after the batch.
    ///
    /// The batch's rows are chained per key in a table that reuses the shuffle's hashes (no array per key);
    /// every key with a state is updated in place with its values (in batch order, empty when it has
    /// none), then every key seen only in the batch gets `update(values, nil)`.
    @inlinable
    static func applyUpdate<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ batch: ShuffleKernels.HashedRows<K, V>, to states: inout [K: S],
        _ update: ([V], S?) throws -> S?, _ run: BatchRun, _ opName: String
    ) -> [(K, S)] {
        let rows = batch.rows
        let table = RowChains(keys: rows, hashes: batch.hashes) { $0.0 }
        // seen[head row of a key]: the key has a state (so it was handled in the first pass).
        var seen = [Bool](repeating: false, count: rows.count)
        var values: [V] = []
        var removed: [K] = []
        var i = states.startIndex
        while i != states.endIndex {
            let key = states.keys[i]
            values.removeAll(keepingCapacity: true)
            if !rows.isEmpty {
                var at = table.first(key, hash: key.hashValue, in: rows) { $0.0 }
                if at >= 0 { seen[at] = true }
                while at >= 0 {
                    values.append(rows[at].1)
                    at = table.next[at]
                }
            }
            do {
                if let s = try update(values, states.values[i]) {
                    states.values[i] = s
                } else {
                    removed.append(key)
                }
            } catch {
                // The key keeps its old state.
                run.recordFailed(error, in: opName)
            }
            states.formIndex(after: &i)
        }
        for key in removed { states.removeValue(forKey: key) }
        for head in table.heads where head >= 0 && !seen[head] {
            values.removeAll(keepingCapacity: true)
            var at = head
            while at >= 0 {
                values.append(rows[at].1)
                at = table.next[at]
            }
            do {
                if let s = try update(values, nil) { states[rows[head].0] = s }
            } catch {
                run.recordFailed(error, in: opName)
            }
        }
        var out: [(K, S)] = []
        out.reserveCapacity(states.count)
        for (k, s) in states { out.append((k, s)) }
        return out
    }
}
