/// The data of one DStream for one batch time, not yet materialized: a partition count and a function that
/// pushes a partition's records into a sink. Narrow operators (map, filter, flatMap, mapValues, ...) wrap
/// their parent's stage, so a chain of them runs fused in one pass per partition with no intermediate arrays.
struct Stage<T: Sendable>: Sendable {
    let count: Int
    let run: @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void

    init(count: Int, run: @escaping @Sendable (_ partition: Int, _ batch: BatchRun, _ sink: (T) -> Void) -> Void) {
        self.count = count
        self.run = run
    }

    /// A stage over partitions that are already arrays.
    init(partitions: [[T]]) {
        self.count = partitions.count
        self.run = { p, _, sink in
            for x in partitions[p] { sink(x) }
        }
    }

    static var empty: Stage<T> { Stage(partitions: []) }

    /// Runs every partition on the cores and collects the records.
    func materialize(_ batch: BatchRun) -> [[T]] {
        Parallel.map(count) { p in
            var out: [T] = []
            run(p, batch) { out.append($0) }
            return out
        }
    }

    /// A narrow transformation: `body` is called once per record with a sink for the outputs.
    func narrow<U: Sendable>(_ body: @escaping @Sendable (T, BatchRun, (U) -> Void) -> Void) -> Stage<U> {
        let parent = self.run
        return Stage<U>(count: count) { p, batch, sink in
            parent(p, batch) { x in body(x, batch, sink) }
        }
    }
}
