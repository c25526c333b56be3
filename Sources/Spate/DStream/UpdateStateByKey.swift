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
    public func updateStateByKey<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ update: @escaping @Sendable ([V], S?) throws -> S?,
        partitions: Int? = nil,
        initialState: [(K, S)] = []
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
            try progress.advance(to: time, zeroMs: context.zeroTimeMs, slideMs: slide) { step, isFirst in
                if isFirst { store.seed(initialState) }
                let parent = try self.getOrCompute(step, run) ?? .empty
                let byPartition = ShuffleKernels.partition(parent, run, partitioner: partitioner)
                let pairs: [[(K, S)]] = Parallel.map(store.count) { j in
                    store.withPartition(j) { states in
                        Self.applyUpdate(byPartition[j], to: &states, update, run, opName)
                    }
                }
                if step == time { current = pairs } else { this.node?.put(pairs, at: step) }
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

    /// Applies one batch's records of one partition to that partition's states; returns the new pairs.
    private static func applyUpdate<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ records: [(K, V)], to states: inout [K: S],
        _ update: @Sendable ([V], S?) throws -> S?, _ run: BatchRun, _ opName: String
    ) -> [(K, S)] {
        var groups: [K: [V]] = [:]
        for (k, v) in records { groups[k, default: []].append(v) }
        var next: [K: S] = [:]
        next.reserveCapacity(states.count + groups.count)
        for (key, old) in states {
            let values = groups.removeValue(forKey: key) ?? []
            do {
                if let s = try update(values, old) { next[key] = s }
            } catch {
                run.recordFailed(error, in: opName)
                next[key] = old
            }
        }
        for (key, values) in groups {
            do {
                if let s = try update(values, nil) { next[key] = s }
            } catch {
                run.recordFailed(error, in: opName)
            }
        }
        states = next
        return next.map { ($0.key, $0.value) }
    }
}
