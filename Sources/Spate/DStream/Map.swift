extension DStream {
    /// Applies `transform` to every record. A record on which `transform` throws is dropped and counted in
    /// `BatchInfo.failedRecords`; the batch goes on.
    /// ```swift
    /// let lengths = lines.map { $0.count }
    /// ```
    @inlinable
    public func map<U: Sendable>(_ transform: @escaping @Sendable (T) throws -> U) -> DStream<U> {
        deriveStage("map") { s, _, _ in s.mapped("map", transform) }
    }

    /// Applies `transform` to every record and flattens the sequences it returns.
    /// ```swift
    /// let words = lines.flatMap { $0.split(separator: " ").map(String.init) }
    /// ```
    @inlinable
    public func flatMap<S: Sequence & SendableMetatype>(_ transform: @escaping @Sendable (T) throws -> S) -> DStream<S.Element>
    where S.Element: Sendable, S.Iterator: SendableMetatype {
        let body: @Sendable (T, BatchRun, (S.Element) -> Void) -> Void = { x, run, sink in
            do { for y in try transform(x) { sink(y) } } catch { run.recordFailed(error, in: "flatMap") }
        }
        return deriveStage("flatMap") { s, _, _ in s.narrow(body) }
    }

    /// Keeps the records for which `isIncluded` returns true.
    /// ```swift
    /// let errors = lines.filter { $0.hasPrefix("ERROR") }
    /// ```
    @inlinable
    public func filter(_ isIncluded: @escaping @Sendable (T) throws -> Bool) -> DStream<T> {
        deriveStage("filter") { s, _, _ in s.filtered("filter", isIncluded) }
    }

    /// Transforms each partition of each batch as a whole. If `transform` throws, the partition's records are
    /// dropped and counted as failed.
    public func mapPartitions<U: Sendable>(_ transform: @escaping @Sendable ([T]) throws -> [U]) -> DStream<U> {
        derive("mapPartitions") { s, _, _ in
            Stage<U>(count: s.count) { p, run, sink in
                // Over arrays (a source, a cached batch) this is the partition itself, not a copy.
                let part = s.collect(p, run)
                do {
                    for y in try transform(part) { sink(y) }
                } catch {
                    for _ in part { run.recordFailed(error, in: "mapPartitions") }
                }
            }
        }
    }
}

extension DStream {
    /// Applies `transform` to the value of every pair, keeping the key.
    /// ```swift
    /// let doubled = pairs.mapValues { $0 * 2 }
    /// ```
    @inlinable
    public func mapValues<K: Sendable, V: Sendable, U: Sendable>(
        _ transform: @escaping @Sendable (V) throws -> U
    ) -> DStream<(K, U)> where T == (K, V) {
        deriveStage("mapValues") { s, _, _ in s.mapped("mapValues") { kv in (kv.0, try transform(kv.1)) } }
    }

    /// Applies `transform` to the value of every pair and pairs the key with each value it returns.
    @inlinable
    public func flatMapValues<K: Sendable, V: Sendable, S: Sequence & SendableMetatype>(
        _ transform: @escaping @Sendable (V) throws -> S
    ) -> DStream<(K, S.Element)> where T == (K, V), S.Element: Sendable, S.Iterator: SendableMetatype {
        let body: @Sendable ((K, V), BatchRun, ((K, S.Element)) -> Void) -> Void = { kv, run, sink in
            do { for u in try transform(kv.1) { sink((kv.0, u)) } } catch {
                run.recordFailed(error, in: "flatMapValues")
            }
        }
        return deriveStage("flatMapValues") { s, _, _ in s.narrow(body) }
    }
}
