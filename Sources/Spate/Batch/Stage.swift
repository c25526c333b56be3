/// The data of one DStream for one batch time, not yet materialized: a partition count and a function that
/// pushes a partition's records into a sink. Narrow operators (map, filter, flatMap, mapValues, ...) wrap
/// their parent's stage, so a chain of them runs fused in one pass per partition with no intermediate arrays.
///
/// Stages are built inside `@inlinable` operators, so their closures are compiled for the caller's concrete
/// types; `collect` carries such a specialized loop to code that only knows `T` generically (caching,
/// outputs), which then never copies records through generic value witnesses.
@usableFromInline
struct Stage<T: Sendable>: Sendable {
    @usableFromInline let count: Int
    @usableFromInline let run: @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void
    /// Collects one partition into an array (for stages over arrays: the array itself, no copy).
    @usableFromInline let collect: @Sendable (_ partition: Int, _ batch: BatchRun) -> [T]
    /// The partitions, when the stage is over arrays: specialized code (narrow operators, kernels) then
    /// loops over them directly instead of calling `run`, which may have been built in generic code.
    @usableFromInline let arrays: [[T]]?

    @inlinable
    init(count: Int, run: @escaping @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void) {
        self.count = count
        self.run = run
        self.arrays = nil
        self.collect = { p, batch in
            var out: [T] = []
            run(p, batch) { out.append($0) }
            return out
        }
    }

    /// A stage with its own way to collect a partition (when it knows the size, say).
    @inlinable
    init(
        count: Int, run: @escaping @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void,
        collect: @escaping @Sendable (_ partition: Int, _ batch: BatchRun) -> [T]
    ) {
        self.count = count
        self.run = run
        self.collect = collect
        self.arrays = nil
    }

    /// A stage over partitions that are already arrays.
    @inlinable
    init(partitions: [[T]]) {
        self.count = partitions.count
        self.run = { p, _, sink in
            for x in partitions[p] { sink(x) }
        }
        self.collect = { p, _ in partitions[p] }
        self.arrays = partitions
    }

    /// Pushes partition `p`'s records into `body`: a plain loop over the array when the stage has one.
    @inlinable @inline(__always)
    func forEach(_ p: Int, _ batch: BatchRun, _ body: (T) -> Void) {
        if let arrays {
            for x in arrays[p] { body(x) }
        } else {
            run(p, batch, body)
        }
    }

    @inlinable
    static var empty: Stage<T> { Stage(partitions: []) }

    /// Runs every partition on the cores and collects the records.
    @inlinable
    func materialize(_ batch: BatchRun) -> [[T]] {
        let collect = self.collect
        return Parallel.map(count) { p in collect(p, batch) }
    }

    /// A one-to-one narrow transformation: `transform` per record, straight into the sink (no per-record
    /// `body` closure between them); a record it throws on is dropped and counted as failed in `name`. Over
    /// arrays, collecting a partition is one loop into an array reserved at the partition's size.
    @inlinable
    func mapped<U: Sendable>(_ name: String, _ transform: @escaping @Sendable (T) throws -> U) -> Stage<U> {
        if let arrays {
            return Stage<U>(count: count, run: { p, batch, sink in
                for x in arrays[p] {
                    do { sink(try transform(x)) } catch { batch.recordFailed(error, in: name) }
                }
            }, collect: { p, batch in
                var out: [U] = []
                out.reserveCapacity(arrays[p].count)
                for x in arrays[p] {
                    do { out.append(try transform(x)) } catch { batch.recordFailed(error, in: name) }
                }
                return out
            })
        }
        let parent = self.run
        return Stage<U>(count: count) { p, batch, sink in
            parent(p, batch) { x in
                do { sink(try transform(x)) } catch { batch.recordFailed(error, in: name) }
            }
        }
    }

    /// The records for which `isIncluded` is true, tested straight in the parent's loop; a record it throws
    /// on is dropped and counted as failed in `name`.
    @inlinable
    func filtered(_ name: String, _ isIncluded: @escaping @Sendable (T) throws -> Bool) -> Stage<T> {
        if let arrays {
            return Stage(count: count) { p, batch, sink in
                for x in arrays[p] {
                    do { if try isIncluded(x) { sink(x) } } catch { batch.recordFailed(error, in: name) }
                }
            }
        }
        let parent = self.run
        return Stage(count: count) { p, batch, sink in
            parent(p, batch) { x in
                do { if try isIncluded(x) { sink(x) } } catch { batch.recordFailed(error, in: name) }
            }
        }
    }

    /// A narrow transformation: `body` is called once per record with a sink for the outputs.
    @inlinable
    func narrow<U: Sendable>(_ body: @escaping @Sendable (T, BatchRun, (U) -> Void) -> Void) -> Stage<U> {
        if let arrays {
            return Stage<U>(count: count) { p, batch, sink in
                for x in arrays[p] { body(x, batch, sink) }
            }
        }
        let parent = self.run
        return Stage<U>(count: count) { p, batch, sink in
            parent(p, batch) { x in body(x, batch, sink) }
        }
    }
}
