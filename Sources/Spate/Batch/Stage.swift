/// The data of one DStream for one batch time, not yet materialized: a partition count and a function that
/// pushes a partition's records into a sink. Narrow operators (map, filter, flatMap, mapValues, ...) wrap
/// their parent's stage, so a chain of them runs fused in one pass per partition with no intermediate arrays.
///
/// Stages are built inside `@inlinable` operators, so their closures are compiled for the caller's concrete
/// types; `collect` carries such a specialized loop to code that only knows `T` generically (caching,
/// outputs), which then never copies records through generic value witnesses.
///
/// Records move between fused operators in chunks (`chunks`): each narrow operator runs a plain loop over
/// its parent's chunk and writes its outputs into a `ChunkWriter`, so a record costs one call of the user's
/// closure per operator, not also a call of the next operator's sink.
@usableFromInline
struct Stage<T: Sendable>: Sendable {
    @usableFromInline let count: Int
    @usableFromInline let run: @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void
    /// Pushes partition `p`'s records into the sink a contiguous chunk at a time (borrowed for the call).
    @usableFromInline let chunks: @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (UnsafeBufferPointer<T>) -> Void) -> Void
    /// Whether `chunks` is the stage's own loop (true) or `run` buffered into chunks (false): per-record
    /// consumers then call whichever is native.
    @usableFromInline let chunked: Bool
    /// Collects one partition into an array (for stages over arrays: the array itself, no copy).
    @usableFromInline let collect: @Sendable (_ partition: Int, _ batch: BatchRun) -> [T]
    /// The partitions, when the stage is over arrays: specialized code (narrow operators, kernels) then
    /// loops over them directly instead of calling `run`, which may have been built in generic code.
    @usableFromInline let arrays: [[T]]?

    @inlinable
    init(count: Int, run: @escaping @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void) {
        self.init(count: count, run: run, chunks: nil, collect: nil)
    }

    /// A stage with its own way to collect a partition (when it knows the size, say).
    @inlinable
    init(
        count: Int, run: @escaping @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void,
        collect: @escaping @Sendable (_ partition: Int, _ batch: BatchRun) -> [T]
    ) {
        self.init(count: count, run: run, chunks: nil, collect: collect)
    }

    /// A stage whose records come a chunk at a time (fused narrow operators).
    @inlinable
    init(
        count: Int,
        chunks: @escaping @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (UnsafeBufferPointer<T>) -> Void) -> Void,
        collect: (@Sendable (_ partition: Int, _ batch: BatchRun) -> [T])? = nil
    ) {
        let run: @Sendable (Int, BatchRun, (T) -> Void) -> Void = { p, batch, sink in
            chunks(p, batch) { chunk in for x in chunk { sink(x) } }
        }
        self.init(count: count, run: run, chunks: chunks, collect: collect)
    }

    /// A stage with both loops given (`chunks` nil: `run` is the native one, buffered into chunks on
    /// demand); `collect` nil: collect through the native loop.
    @inlinable
    init(
        count: Int, run: @escaping @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void,
        chunks: (@Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (UnsafeBufferPointer<T>) -> Void) -> Void)?,
        collect: (@Sendable (_ partition: Int, _ batch: BatchRun) -> [T])?
    ) {
        self.count = count
        self.run = run
        let chunked = chunks != nil
        self.chunked = chunked
        let chunks = chunks ?? { p, batch, sink in
            var out = ChunkWriter<T>()
            defer { out.release() }
            run(p, batch) { out.append($0, sink) }
            out.flush(sink)
        }
        self.chunks = chunks
        self.collect = collect ?? { p, batch in
            var out: [T] = []
            if chunked {
                chunks(p, batch) { out.append(contentsOf: $0) }
            } else {
                run(p, batch) { out.append($0) }
            }
            return out
        }
        self.arrays = nil
    }

    /// A stage over partitions that are already arrays.
    @inlinable
    init(partitions: [[T]]) {
        self.count = partitions.count
        self.run = { p, _, sink in
            for x in partitions[p] { sink(x) }
        }
        self.chunks = { p, _, sink in partitions[p].withUnsafeBufferPointer { sink($0) } }
        self.chunked = true
        self.collect = { p, _ in partitions[p] }
        self.arrays = partitions
    }

    /// Pushes partition `p`'s records into `body`: a plain loop over the array when the stage has one, or
    /// over each chunk when the stage makes chunks.
    @inlinable @inline(__always)
    func forEach(_ p: Int, _ batch: BatchRun, _ body: (T) -> Void) {
        if let arrays {
            for x in arrays[p] { body(x) }
        } else if chunked {
            chunks(p, batch) { chunk in for x in chunk { body(x) } }
        } else {
            run(p, batch, body)
        }
    }

    /// Pushes partition `p`'s records into `body` a chunk at a time: the whole array when the stage has one.
    @inlinable @inline(__always)
    func forEachChunk(_ p: Int, _ batch: BatchRun, _ body: (UnsafeBufferPointer<T>) -> Void) {
        if let arrays {
            arrays[p].withUnsafeBufferPointer(body)
        } else {
            chunks(p, batch, body)
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

    /// A one-to-one narrow transformation: `transform` per record in the parent's own loop (over its array
    /// or chunks), the outputs written into chunks for the next operator; a record it throws on is dropped
    /// and counted as failed in `name`. Over arrays, collecting a partition is one loop into an array
    /// reserved at the partition's size.
    @inlinable
    func mapped<U: Sendable>(_ name: String, _ transform: @escaping @Sendable (T) throws -> U) -> Stage<U> {
        let parent = self
        let chunks: @Sendable (Int, BatchRun, (UnsafeBufferPointer<U>) -> Void) -> Void = { p, batch, sink in
            var out = ChunkWriter<U>()
            defer { out.release() }
            parent.forEach(p, batch) { x in
                do { out.append(try transform(x), sink) } catch { batch.recordFailed(error, in: name) }
            }
            out.flush(sink)
        }
        guard let arrays else { return Stage<U>(count: count, chunks: chunks) }
        return Stage<U>(count: count, chunks: chunks, collect: { p, batch in
            var out: [U] = []
            out.reserveCapacity(arrays[p].count)
            for x in arrays[p] {
                do { out.append(try transform(x)) } catch { batch.recordFailed(error, in: name) }
            }
            return out
        })
    }

    /// The records for which `isIncluded` is true, tested in the parent's own loop; a record it
    /// throws on is dropped and counted as failed in `name`.
    @inlinable
    func filtered(_ name: String, _ isIncluded: @escaping @Sendable (T) throws -> Bool) -> Stage<T> {
        let parent = self
        return Stage(count: count, chunks: { p, batch, sink in
            var out = ChunkWriter<T>()
            defer { out.release() }
            parent.forEach(p, batch) { x in
                do { if try isIncluded(x) { out.append(x, sink) } } catch { batch.recordFailed(error, in: name) }
            }
            out.flush(sink)
        })
    }

    /// A narrow transformation: `body` is called once per record with a sink for the outputs.
    @inlinable
    func narrow<U: Sendable>(_ body: @escaping @Sendable (T, BatchRun, (U) -> Void) -> Void) -> Stage<U> {
        let parent = self
        return Stage<U>(count: count, chunks: { p, batch, sink in
            var out = ChunkWriter<U>()
            defer { out.release() }
            parent.forEach(p, batch) { x in body(x, batch) { out.append($0, sink) } }
            out.flush(sink)
        })
    }
}
