extension DStream {
    /// A stream with one record per batch: the number of records in the batch (0 for an empty batch).
    @inlinable
    public func count() -> DStream<Int> {
        // Inlinable, like every operator that touches each record: the loop is compiled for the caller's
        // record type (a stage over arrays is counted without a loop).
        deriveStage("count") { s, _, run in
            let counts = Parallel.map(s.count) { p in
                if let arrays = s.arrays { return arrays[p].count }
                var n = 0
                s.forEachChunk(p, run) { n += $0.count }
                return n
            }
            return Stage(partitions: [[counts.reduce(0, +)]])
        }
    }

    /// A stream with one record per non-empty batch: all records combined with `combine`.
    @inlinable
    public func reduce(_ combine: @escaping @Sendable (T, T) -> T) -> DStream<T> {
        deriveStage("reduce") { s, _, run in
            let partial = Parallel.map(s.count) { p -> T? in
                var acc: T?
                s.forEach(p, run) { x in
                    if let a = acc { acc = combine(a, x) } else { acc = x }
                }
                return acc
            }.compactMap { $0 }
            guard var acc = partial.first else { return Stage(partitions: [[]]) }
            for x in partial.dropFirst() { acc = combine(acc, x) }
            return Stage(partitions: [[acc]])
        }
    }
}

extension DStream where T: Hashable {
    /// Counts each distinct record in every batch: `(record, count)` pairs.
    @inlinable
    public func countByValue(partitions: Int? = nil) -> DStream<(T, Int)> {
        map { ($0, 1) }.reduceByKey(+, partitions: partitions)
    }
}
