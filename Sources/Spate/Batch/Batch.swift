/// The data of one batch interval, split in partitions (Spark's RDD for one batch).
///
/// Batches are what `transform(_:)` and `foreachBatch(_:)` hand to user code; they offer the same
/// transformations as `DStream`, computed at once on every core.
///
/// The operations are `@inlinable`, so they are compiled for the caller's record and key types: run
/// generically, every record would cost a metadata lookup and a copy through value witnesses (several times
/// the work itself). Per-record operations over the partitions' arrays run as plain array loops.
public struct Batch<T: Sendable>: Sendable {
    /// The batch's time.
    public let time: BatchTime
    /// The records, by partition.
    public let partitions: [[T]]

    /// A batch of `partitions` at `time`.
    @inlinable
    public init(time: BatchTime, partitions: [[T]]) {
        self.time = time
        self.partitions = partitions
    }

    /// A batch holding `elements`, split in `partitions` contiguous parts.
    @inlinable
    public init(time: BatchTime, elements: [T], partitions: Int = 1) {
        self.time = time
        self.partitions = Batch.split(elements, into: partitions)
    }

    /// Every record, partition after partition.
    @inlinable
    public func collect() -> [T] {
        if partitions.count == 1 { return partitions[0] }
        var out: [T] = []
        out.reserveCapacity(count)
        for part in partitions { out.append(contentsOf: part) }
        return out
    }

    /// The number of records.
    @inlinable
    public var count: Int { partitions.reduce(0) { $0 + $1.count } }

    /// Whether the batch holds no record.
    @inlinable
    public var isEmpty: Bool { partitions.allSatisfy(\.isEmpty) }

    @inlinable
    var stage: Stage<T> { Stage(partitions: partitions) }

    @inlinable
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

    /// A batch at the same time whose partition `p` is `body(partitions[p])`, the partitions computed on
    /// every core.
    @inlinable
    func eachPartition<U: Sendable>(_ body: ([T]) -> [U]) -> Batch<U> {
        let parts = partitions
        return Batch<U>(time: time, partitions: Parallel.map(parts.count) { body(parts[$0]) })
    }

    /// Applies `transform` to every record.
    @inlinable
    public func map<U: Sendable>(_ transform: @escaping @Sendable (T) -> U) -> Batch<U> {
        eachPartition { $0.map(transform) }
    }

    /// Applies `transform` to every record and flattens the results.
    @inlinable
    public func flatMap<S: Sequence & SendableMetatype>(_ transform: @escaping @Sendable (T) -> S) -> Batch<S.Element>
    where S.Element: Sendable, S.Iterator: SendableMetatype {
        eachPartition { part in
            var out: [S.Element] = []
            out.reserveCapacity(part.count)
            for x in part { out.append(contentsOf: transform(x)) }
            return out
        }
    }

    /// Keeps the records for which `isIncluded` is true.
    @inlinable
    public func filter(_ isIncluded: @escaping @Sendable (T) -> Bool) -> Batch<T> {
        eachPartition { $0.filter(isIncluded) }
    }

    /// Transforms each whole partition.
    @inlinable
    public func mapPartitions<U: Sendable>(_ transform: @escaping @Sendable ([T]) -> [U]) -> Batch<U> {
        eachPartition(transform)
    }

    /// The records of both batches.
    @inlinable
    public func union(_ other: Batch<T>) -> Batch<T> {
        Batch(time: time, partitions: partitions + other.partitions)
    }

    /// The records spread evenly over `count` partitions.
    @inlinable
    public func repartition(_ count: Int) -> Batch<T> {
        Batch(time: time, partitions: ShuffleKernels.repartition(stage, BatchRun(time: time), count: count))
    }

    /// Combines all records with `combine`; nil for an empty batch.
    @inlinable
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
    @inlinable
    public func mapValues<K: Sendable, V: Sendable, U: Sendable>(
        _ transform: @escaping @Sendable (V) -> U
    ) -> Batch<(K, U)> where T == (K, V) {
        eachPartition { $0.map { kv in (kv.0, transform(kv.1)) } }
    }

    /// Merges the values of each key with `combine`.
    @inlinable
    public func reduceByKey<K: Hashable & Sendable, V: Sendable>(
        _ combine: @escaping @Sendable (V, V) -> V, partitions: Int? = nil
    ) -> Batch<(K, V)> where T == (K, V) {
        let p = HashPartitioner(partitions: partitions ?? self.partitions.count)
        let dicts = ShuffleKernels.combine(
            stage, BatchRun(time: time), partitioner: p,
            createCombiner: { $0 }, mergeValue: combine, mergeCombiners: combine)
        return Batch(time: time, partitions: Parallel.map(dicts.count) { Array(dicts[$0].lazy.map { ($0.key, $0.value) }) })
    }

    /// Gathers the values of each key.
    @inlinable
    public func groupByKey<K: Hashable & Sendable, V: Sendable>(partitions: Int? = nil) -> Batch<(K, [V])>
    where T == (K, V) {
        // Each key hashed once (`KeyHash`) and its rows chained in place: no `[K: [V]]` copying arrays.
        let p = HashPartitioner(partitions: partitions ?? self.partitions.count)
        return Batch<(K, [V])>(
            time: time, partitions: ShuffleKernels.groupByKey(stage, BatchRun(time: time), partitioner: p))
    }

    /// Inner join with `other` on the key.
    @inlinable
    public func join<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ other: Batch<(K, W)>, partitions: Int? = nil
    ) -> Batch<(K, (V, W))> where T == (K, V) {
        let p = HashPartitioner(partitions: partitions ?? self.partitions.count)
        // An inner join never passes a nil side to `row`: the kernel builds the final rows directly.
        let rows = ShuffleKernels.join(
            stage, other.stage, BatchRun(time: time), partitioner: p,
            kind: .init(keepUnmatchedLeft: false, keepUnmatchedRight: false)) { k, v, w in (k, (v!, w!)) }
        return Batch<(K, (V, W))>(time: time, partitions: rows)
    }
}
