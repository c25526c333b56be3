extension DStream {
    @usableFromInline
    func partitioner(_ partitions: Int?) -> HashPartitioner {
        HashPartitioner(partitions: partitions ?? context.parallelism)
    }

    /// Combines the values of each key per batch with Spark's three functions. Values are combined inside
    /// each input partition first, so only one combiner per key and partition crosses to the reducers.
    /// - Complexity: O(records) per batch, in parallel over partitions.
    @inlinable
    public func combineByKey<K: Hashable & Sendable, V: Sendable, C: Sendable>(
        createCombiner: @escaping @Sendable (V) -> C,
        mergeValue: @escaping @Sendable (C, V) -> C,
        mergeCombiners: @escaping @Sendable (C, C) -> C,
        partitions: Int? = nil
    ) -> DStream<(K, C)> where T == (K, V) {
        let partitioner = partitioner(partitions)
        return deriveStage("combineByKey") { s, _, run in
            let dicts = ShuffleKernels.combine(
                s, run, partitioner: partitioner,
                createCombiner: createCombiner, mergeValue: mergeValue, mergeCombiners: mergeCombiners)
            return Stage.pairs(dicts)
        }
    }

    /// Merges the values of each key in every batch with `combine` (associative and commutative).
    /// ```swift
    /// let counts = words.map { ($0, 1) }.reduceByKey(+)
    /// ```
    /// - Complexity: O(records) per batch, in parallel over partitions.
    @inlinable
    public func reduceByKey<K: Hashable & Sendable, V: Sendable>(
        _ combine: @escaping @Sendable (V, V) -> V, partitions: Int? = nil
    ) -> DStream<(K, V)> where T == (K, V) {
        let partitioner = partitioner(partitions)
        return deriveStage("reduceByKey") { s, _, run in
            Stage.pairs(ShuffleKernels.combine(
                s, run, partitioner: partitioner,
                createCombiner: { $0 }, mergeValue: combine, mergeCombiners: combine))
        }
    }

    /// Gathers the values of each key in every batch.
    @inlinable
    public func groupByKey<K: Hashable & Sendable, V: Sendable>(partitions: Int? = nil) -> DStream<(K, [V])>
    where T == (K, V) {
        let partitioner = partitioner(partitions)
        return deriveStage("groupByKey") { s, _, run in
            Stage(partitions: ShuffleKernels.groupByKey(s, run, partitioner: partitioner))
        }
    }
}

extension Stage {
    /// A stage streaming the entries of per-partition dictionaries.
    @inlinable
    static func pairs<K: Hashable & Sendable, V: Sendable>(_ dicts: [[K: V]]) -> Stage<(K, V)> where T == (K, V) {
        Stage(count: dicts.count) { p, _, sink in
            for (k, v) in dicts[p] { sink((k, v)) }
        } collect: { p, _ in
            var out: [(K, V)] = []
            out.reserveCapacity(dicts[p].count)
            for (k, v) in dicts[p] { out.append((k, v)) }
            return out
        }
    }
}
