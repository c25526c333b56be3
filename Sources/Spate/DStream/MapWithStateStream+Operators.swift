/// The DStream operators programs chain on `mapWithState`'s result most, forwarded to ``MapWithStateStream/stream``,
/// so `pairs.mapWithState(spec).print()` reads as in Spark (where the result is a DStream). Any other operator:
/// `.stream.<operator>`.
extension MapWithStateStream {
    /// `stream.map(_:)`.
    public func map<U: Sendable>(_ transform: @escaping @Sendable (R) throws -> U) -> DStream<U> { stream.map(transform) }

    /// `stream.flatMap(_:)`.
    public func flatMap<Seq: Sequence & SendableMetatype>(_ transform: @escaping @Sendable (R) throws -> Seq)
        -> DStream<Seq.Element> where Seq.Element: Sendable, Seq.Iterator: SendableMetatype
    {
        stream.flatMap(transform)
    }

    /// `stream.filter(_:)`.
    public func filter(_ isIncluded: @escaping @Sendable (R) throws -> Bool) -> DStream<R> { stream.filter(isIncluded) }

    /// `stream.mapPartitions(_:)`.
    public func mapPartitions<U: Sendable>(_ transform: @escaping @Sendable ([R]) throws -> [U]) -> DStream<U> {
        stream.mapPartitions(transform)
    }

    /// `stream.transform(_:)`.
    public func transform<U: Sendable>(_ body: @escaping @Sendable (Batch<R>) throws -> Batch<U>) -> DStream<U> {
        stream.transform(body)
    }

    /// `stream.union(_:)`.
    public func union(_ other: DStream<R>) -> DStream<R> { stream.union(other) }

    /// `stream.count()`.
    public func count() -> DStream<Int> { stream.count() }

    /// `stream.window(length:slide:)`.
    public func window(length: Duration, slide: Duration? = nil) throws -> DStream<R> {
        try stream.window(length: length, slide: slide)
    }

    /// `stream.foreachBatch(_:)`.
    public func foreachBatch(_ body: @escaping @Sendable (Batch<R>, BatchTime) async throws -> Void) {
        stream.foreachBatch(body)
    }

    /// `stream.foreach(_:)`.
    public func foreach(_ sink: some BatchSink<R>) { stream.foreach(sink) }

    /// `stream.print(_:)`.
    public func print(_ count: Int = 10) { stream.print(count) }

    /// `stream.saveAsTextFiles(prefix:suffix:)`.
    public func saveAsTextFiles(prefix: String, suffix: String = "") {
        stream.saveAsTextFiles(prefix: prefix, suffix: suffix)
    }

    /// `stream.reduceByKey(_:partitions:)`.
    public func reduceByKey<K2: Hashable & Sendable, V2: Sendable>(
        _ combine: @escaping @Sendable (V2, V2) -> V2, partitions: Int? = nil
    ) -> DStream<(K2, V2)> where R == (K2, V2) {
        stream.reduceByKey(combine, partitions: partitions)
    }

    /// `stream.mapValues(_:)`.
    public func mapValues<K2: Sendable, V2: Sendable, U: Sendable>(
        _ transform: @escaping @Sendable (V2) throws -> U
    ) -> DStream<(K2, U)> where R == (K2, V2) {
        stream.mapValues(transform)
    }
}
