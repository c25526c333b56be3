extension DStream {
    /// A stream with one record per batch: the number of records in the batch (0 for an empty batch).
    public func count() -> DStream<Int> {
        derive("count") { s, _, run in
            let counts = Parallel.map(s.count) { p in
                var n = 0
                s.run(p, run) { _ in n += 1 }
                return n
            }
            return Stage(partitions: [[counts.reduce(0, +)]])
        }
    }

    /// A stream with one record per non-empty batch: all records combined with `combine`.
    public func reduce(_ combine: @escaping @Sendable (T, T) -> T) -> DStream<T> {
        derive("reduce") { s, _, run in
            let partial = Parallel.map(s.count) { p -> T? in
                var acc: T?
                s.run(p, run) { x in acc = acc.map { combine($0, x) } ?? x }
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
    public func countByValue(partitions: Int? = nil) -> DStream<(T, Int)> {
        map { ($0, 1) }.reduceByKey(+, partitions: partitions)
    }
}
