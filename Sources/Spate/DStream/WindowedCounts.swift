extension DStream {
    /// Counts the records in each window: one record per slide time (0 for an empty window).
    ///
    /// Computed incrementally like Spark's: each batch is counted once, then every slide adds the counts of
    /// the batches that enter the window and subtracts those of the batches that leave it.
    /// ```swift
    /// let perMinute = try events.countByWindow(length: .seconds(60), slide: .seconds(10))
    /// ```
    /// - Complexity: O(records) per batch plus O(batches entering + leaving the window) per slide.
    @inlinable
    public func countByWindow(length: Duration, slide: Duration? = nil) throws -> DStream<Int> {
        _ = try windowSpec(length: length, slide: slide)  // validate before adding any node to the graph
        return try count().reduceByWindow(+, inverse: -, length: length, slide: slide)
    }
}

extension DStream where T: Hashable {
    /// Counts each distinct record over each window: `(record, count)` for every record seen in the window
    /// (Spark's `countByValueAndWindow`). Incremental: each slide adds the counts of the batches entering the
    /// window and subtracts those of the batches leaving it; records whose count drops to 0 are dropped.
    /// ```swift
    /// let trending = try hashtags.countByValueAndWindow(length: .seconds(300), slide: .seconds(10))
    /// ```
    /// - Complexity: O(records) per batch plus O(distinct records of the batches entering and leaving the
    ///   window) per slide, in parallel over `partitions` (default: the context's parallelism).
    @inlinable
    public func countByValueAndWindow(
        length: Duration, slide: Duration? = nil, partitions: Int? = nil
    ) throws -> DStream<(T, Int)> {
        _ = try windowSpec(length: length, slide: slide)  // validate before adding any node to the graph
        return try map { ($0, 1) }.reduceByKeyAndWindow(
            +, inverse: -, length: length, slide: slide, partitions: partitions, filter: { $0.1 != 0 })
    }
}
