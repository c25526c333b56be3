extension DStream {
    /// Applies an arbitrary batch-to-batch function (Spark's `transform`). Use it for operations the
    /// DStream API lacks, such as joining every batch with a fixed dataset.
    /// ```swift
    /// let cleaned = events.transform { batch in batch.filter { !blocked.contains($0.user) } }
    /// ```
    public func transform<U: Sendable>(_ body: @escaping @Sendable (Batch<T>) throws -> Batch<U>) -> DStream<U> {
        transform { batch, _ in try body(batch) }
    }

    /// Like `transform(_:)`, also given the batch time.
    public func transform<U: Sendable>(
        _ body: @escaping @Sendable (Batch<T>, BatchTime) throws -> Batch<U>
    ) -> DStream<U> {
        derive("transform") { s, time, run in
            Stage(partitions: try body(Batch(time: time, partitions: s.materialize(run)), time).partitions)
        }
    }

    /// Applies a function to the batches of this stream and `other` at the same time.
    public func transformWith<U: Sendable, V: Sendable>(
        _ other: DStream<U>, _ body: @escaping @Sendable (Batch<T>, Batch<U>) throws -> Batch<V>
    ) -> DStream<V> {
        DStream<V>(context: context, name: "transformWith", parents: [self, other]) { [self] time, run in
            let a = try batch(at: time, run), b = try other.batch(at: time, run)
            return Stage(partitions: try body(a, b).partitions)
        }
    }
}
