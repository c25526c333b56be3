extension DStream {
    private func joined<K: Hashable & Sendable, V: Sendable, W: Sendable, R: Sendable>(
        _ name: String, _ other: DStream<(K, W)>, _ partitions: Int?, _ kind: ShuffleKernels.JoinKind,
        _ row: @escaping @Sendable ((K, (V?, W?))) -> R
    ) -> DStream<R> where T == (K, V) {
        let partitioner = partitioner(partitions)
        return DStream<R>(context: context, name: name, parents: [self, other]) { [self] time, run in
            let a = try getOrCompute(time, run), b = try other.getOrCompute(time, run)
            if a == nil && b == nil { return nil }
            let rows = ShuffleKernels.join(a ?? .empty, b ?? .empty, run, partitioner: partitioner, kind: kind)
            return Stage(count: rows.count) { p, _, sink in
                for r in rows[p] { sink(row(r)) }
            }
        }
    }

    /// Inner join of each batch with the batch of `other` at the same time: `(key, (v, w))` for every pair of
    /// values sharing a key.
    /// ```swift
    /// let enriched = clicks.join(impressions)
    /// ```
    /// - Complexity: O(left + right + output) per batch, in parallel over partitions.
    public func join<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V, W))> where T == (K, V) {
        joined("join", other, partitions, .init(keepUnmatchedLeft: false, keepUnmatchedRight: false)) {
            ($0.0, ($0.1.0!, $0.1.1!))
        }
    }

    /// Left outer join: every left value, with `nil` where the key has no right value.
    public func leftOuterJoin<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V, W?))> where T == (K, V) {
        joined("leftOuterJoin", other, partitions, .init(keepUnmatchedLeft: true, keepUnmatchedRight: false)) {
            ($0.0, ($0.1.0!, $0.1.1))
        }
    }

    /// Right outer join: every right value, with `nil` where the key has no left value.
    public func rightOuterJoin<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V?, W))> where T == (K, V) {
        joined("rightOuterJoin", other, partitions, .init(keepUnmatchedLeft: false, keepUnmatchedRight: true)) {
            ($0.0, ($0.1.0, $0.1.1!))
        }
    }

    /// Full outer join: every value of both sides, with `nil` where the other side has none.
    public func fullOuterJoin<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V?, W?))> where T == (K, V) {
        joined("fullOuterJoin", other, partitions, .init(keepUnmatchedLeft: true, keepUnmatchedRight: true)) { $0 }
    }

    /// Groups, per batch, the values of each key on both sides: `(key, (values here, values there))` for every
    /// key present on either side.
    public func cogroup<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, ([V], [W]))> where T == (K, V) {
        let partitioner = partitioner(partitions)
        return DStream<(K, ([V], [W]))>(context: context, name: "cogroup", parents: [self, other]) { [self] time, run in
            let a = try getOrCompute(time, run), b = try other.getOrCompute(time, run)
            if a == nil && b == nil { return nil }
            return Stage.pairs(ShuffleKernels.cogroup(a ?? .empty, b ?? .empty, run, partitioner: partitioner))
        }
    }
}
