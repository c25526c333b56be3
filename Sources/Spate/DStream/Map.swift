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
    @inlinable
    public func mapPartitions<U: Sendable>(_ transform: @escaping @Sendable ([T]) throws -> [U]) -> DStream<U> {
        // Compiled for the caller's types: the outputs reach the next operator with no generic copy, and
        // collecting a partition is `transform`'s own array.
        deriveStage("mapPartitions") { s, _, _ in
            Stage<U>(count: s.count, run: { p, run, sink in
                for y in DStream.transformPartition(s, p, run, transform) { sink(y) }
            }, collect: { p, run in
                DStream.transformPartition(s, p, run, transform)
            })
        }
    }

    /// `transform` over partition `p` of `s` (over arrays: the partition itself, not a copy); if it throws,
    /// the partition's records are counted as failed and nothing comes out.
    @inlinable
    static func transformPartition<U>(
        _ s: Stage<T>, _ p: Int, _ run: BatchRun, _ transform: ([T]) throws -> [U]
    ) -> [U] {
        let part = s.collect(p, run)
        do {
            return try transform(part)
        } catch {
            for _ in part { run.recordFailed(error, in: "mapPartitions") }
            return []
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
