/// The data of one batch interval, split in partitions (Spark's RDD for one batch).
///
/// Batches are what `transform(_:)` and `foreachBatch(_:)` hand to user code; they offer the same
/// transformations as `DStream`, computed at once on every core.
public struct Batch<T: Sendable>: Sendable {
    /// The batch's time.
    public let time: BatchTime
    /// The records, by partition.
    public let partitions: [[T]]

    /// A batch of `partitions` at `time`.
    public init(time: BatchTime, partitions: [[T]]) {
        self.time = time
        self.partitions = partitions
    }

    /// A batch holding `elements`, split in `partitions` contiguous parts.
    public init(time: BatchTime, elements: [T], partitions: Int = 1) {
        self.time = time
        self.partitions = Batch.split(elements, into: partitions)
    }

    /// Every record, partition after partition.
    public func collect() -> [T] { partitions.flatMap { $0 } }

    /// The number of records.
    public var count: Int { partitions.reduce(0) { $0 + $1.count } }

    /// Whether the batch holds no record.
    public var isEmpty: Bool { partitions.allSatisfy(\.isEmpty) }

    var stage: Stage<T> { Stage(partitions: partitions) }

    static func split(_ elements: [T], into parts: Int) -> [[T]] {
        let n = Swift.max(1, parts)
        if n == 1 || elements.count < n { return [elements] + Array(repeating: [], count: n - 1) }
        var out: [[T]] = []
        out.reserveCapacity(n)
        let size = elements.count / n, extra = elements.count % n
        var start = 0
        for i in 0..<n {
            let end = start + size + (i < extra ? 1 : 0)
            out.append(Array(elements[start..<end]))
            start = end
        }
        return out
    }

    private func applying<U: Sendable>(_ stage: Stage<U>) -> Batch<U> {
        Batch<U>(time: time, partitions: stage.materialize(BatchRun(time: time)))
    }

    /// Applies `transform` to every record.
    public func map<U: Sendable>(_ transform: @escaping @Sendable (T) -> U) -> Batch<U> {
        applying(stage.narrow { x, _, sink in sink(transform(x)) })
    }

    /// Applies `transform` to every record and flattens the results.
    public func flatMap<S: Sequence & SendableMetatype>(_ transform: @escaping @Sendable (T) -> S) -> Batch<S.Element>
    where S.Element: Sendable, S.Iterator: SendableMetatype {
        applying(stage.narrow { x, _, sink in for y in transform(x) { sink(y) } })
    }

    /// Keeps the records for which `isIncluded` is true.
    public func filter(_ isIncluded: @escaping @Sendable (T) -> Bool) -> Batch<T> {
        applying(stage.narrow { x, _, sink in if isIncluded(x) { sink(x) } })
    }

    /// Transforms each whole partition.
    public func mapPartitions<U: Sendable>(_ transform: @escaping @Sendable ([T]) -> [U]) -> Batch<U> {
        Batch<U>(time: time, partitions: Parallel.map(partitions.count) { transform(partitions[$0]) })
    }

    /// The records of both batches.
    public func union(_ other: Batch<T>) -> Batch<T> {
        Batch(time: time, partitions: partitions + other.partitions)
    }

    /// The records spread evenly over `count` partitions.
    public func repartition(_ count: Int) -> Batch<T> {
        Batch(time: time, partitions: ShuffleKernels.repartition(stage, BatchRun(time: time), count: count))
    }

    /// Combines all records with `combine`; nil for an empty batch.
    public func reduce(_ combine: @escaping @Sendable (T, T) -> T) -> T? {
        let partial = Parallel.map(partitions.count) { p -> T? in
            let part = partitions[p]
            guard var acc = part.first else { return nil }
            for x in part.dropFirst() { acc = combine(acc, x) }
            return acc
        }.compactMap { $0 }
        guard var acc = partial.first else { return nil }
        for x in partial.dropFirst() { acc = combine(acc, x) }
        return acc
    }
}

extension Batch {
    /// Applies `transform` to the value of every pair.
    public func mapValues<K: Sendable, V: Sendable, U: Sendable>(
        _ transform: @escaping @Sendable (V) -> U
    ) -> Batch<(K, U)> where T == (K, V) {
        applying(stage.narrow { kv, _, sink in sink((kv.0, transform(kv.1))) })
    }

    /// Merges the values of each key with `combine`.
    public func reduceByKey<K: Hashable & Sendable, V: Sendable>(
        _ combine: @escaping @Sendable (V, V) -> V, partitions: Int? = nil
    ) -> Batch<(K, V)> where T == (K, V) {
        let p = HashPartitioner(partitions: partitions ?? self.partitions.count)
        let dicts = ShuffleKernels.combine(
            stage, BatchRun(time: time), partitioner: p,
            createCombiner: { $0 }, mergeValue: combine, mergeCombiners: combine)
        return Batch(time: time, partitions: dicts.map { Array($0.lazy.map { ($0.key, $0.value) }) })
    }

    /// Gathers the values of each key.
    public func groupByKey<K: Hashable & Sendable, V: Sendable>(partitions: Int? = nil) -> Batch<(K, [V])>
    where T == (K, V) {
        let p = HashPartitioner(partitions: partitions ?? self.partitions.count)
        let dicts = ShuffleKernels.combine(
            stage, BatchRun(time: time), partitioner: p,
            createCombiner: { [$0] }, mergeValue: { $0 + [$1] }, mergeCombiners: { $0 + $1 })
        return Batch<(K, [V])>(time: time, partitions: dicts.map { Array($0.lazy.map { ($0.key, $0.value) }) })
    }

    /// Inner join with `other` on the key.
    public func join<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: Batch<(K, W)>, partitions: Int? = nil
    ) -> Batch<(K, (V, W))> where T == (K, V) {
        let p = HashPartitioner(partitions: partitions ?? self.partitions.count)
        let rows = ShuffleKernels.join(
            stage, other.stage, BatchRun(time: time), partitioner: p,
            kind: .init(keepUnmatchedLeft: false, keepUnmatchedRight: false))
        return Batch<(K, (V, W))>(time: time, partitions: rows.map { $0.map { ($0.0, ($0.1.0!, $0.1.1!)) } })
    }
}
