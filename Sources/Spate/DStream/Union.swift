extension DStream {
    /// The records of this stream and `other` in one stream. Both must have the same slide.
    /// ```swift
    /// let all = east.union(west)
    /// ```
    public func union(_ other: DStream<T>) -> DStream<T> {
        DStream<T>(context: context, name: "union", parents: [self, other]) { [self] time, run in
            let a = try getOrCompute(time, run), b = try other.getOrCompute(time, run)
            if a == nil && b == nil { return nil }
            return Stage.concatenating([a ?? .empty, b ?? .empty])
        }
    }

    /// The records spread evenly over `partitions` partitions.
    public func repartition(_ partitions: Int) -> DStream<T> {
        derive("repartition") { s, _, run in
            Stage(partitions: ShuffleKernels.repartition(s, run, count: partitions))
        }
    }
}
