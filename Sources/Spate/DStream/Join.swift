extension DStream {
    /// The joins: a hash join per batch, building each output row directly in the kernel.
    @inlinable
    func joined<K: Hashable & Sendable, V: Sendable, W: Sendable, R: Sendable>(
        _ name: String, _ other: DStream<(K, W)>, _ partitions: Int?, _ kind: ShuffleKernels.JoinKind,
        _ row: @escaping @Sendable (K, V?, W?) -> R
    ) -> DStream<R> where T == (K, V) {
        let partitioner = partitioner(partitions)
        return deriveStage(name, with: other) { a, b, run in
            Stage(partitions: ShuffleKernels.join(a, b, run, partitioner: partitioner, kind: kind, row: row))
        }
    }

    /// Inner join of each batch with the batch of `other` at the same time: `(key, (v, w))` for every pair of
    /// values sharing a key.
    /// ```swift
    /// let enriched = clicks.join(impressions)
    /// ```
    /// - Complexity: O(left + right + output) per batch, in parallel over partitions.
    @inlinable
    public func join<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V, W))> where T == (K, V) {
        joined("join", other, partitions, .init(keepUnmatchedLeft: false, keepUnmatchedRight: false)) {
            ($0, ($1!, $2!))
        }
    }

    /// Left outer join: every left value, with `nil` where the key has no right value.
    @inlinable
    public func leftOuterJoin<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V, W?))> where T == (K, V) {
        joined("leftOuterJoin", other, partitions, .init(keepUnmatchedLeft: true, keepUnmatchedRight: false)) {
            ($0, ($1!, $2))
        }
    }

    /// Right outer join: every right value, with `nil` where the key has no left value.
    @inlinable
    public func rightOuterJoin<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V?, W))> where T == (K, V) {
        joined("rightOuterJoin", other, partitions, .init(keepUnmatchedLeft: false, keepUnmatchedRight: true)) {
            ($0, ($1, $2!))
        }
    }

    /// Full outer join: every value of both sides, with `nil` where the other side has none.
    @inlinable
    public func fullOuterJoin<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, (V?, W?))> where T == (K, V) {
        joined("fullOuterJoin", other, partitions, .init(keepUnmatchedLeft: true, keepUnmatchedRight: true)) {
            ($0, ($1, $2))
        }
    }

    /// Groups, per batch, the values of each key on both sides: `(key, (values here, values there))` for every
    /// key present on either side.
    @inlinable
    public func cogroup<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: DStream<(K, W)>, partitions: Int? = nil
    ) -> DStream<(K, ([V], [W]))> where T == (K, V) {
        let partitioner = partitioner(partitions)
        return deriveStage("cogroup", with: other) { a, b, run in
            Stage.pairs(ShuffleKernels.cogroup(a, b, run, partitioner: partitioner))
        }
    }
}
