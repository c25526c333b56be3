import Synchronization

/// A discretized stream: a sequence of batches of `T`, one per batch interval (or per slide, for windows).
///
/// A DStream is defined once, before `StreamingContext.start()`, by applying operators to sources; each
/// operator returns a new DStream that says how to compute its batch for a time from its parents' batches.
/// ```swift
/// let counts = ssc.socketTextStream(host: "127.0.0.1", port: 9999)
///     .flatMap { $0.split(separator: " ").map(String.init) }
///     .map { ($0, 1) }
///     .reduceByKey(+)
/// counts.print()
/// ```
public final class DStream<T: Sendable>: GraphNode, Sendable {
    /// The context the stream belongs to.
    public let context: StreamingContext
    let id: Int
    let operatorName: String
    let parentNodes: [any GraphNode]
    let slideMs: Int
    let lookbackMs: Int
    /// Sources and stateful operators always keep what they computed: recomputing them is wrong or costly.
    private let alwaysCache: Bool
    private let computeFn: @Sendable (BatchTime, BatchRun) throws -> Stage<T>?
    private let store = Mutex(Store())
    /// The name given with `named(_:)`, used by checkpoints and the dashboard.
    let nodeName = NodeName()

    private struct Store: Sendable {
        var consumers = 0
        var rememberMs = 0
        /// A child reads this node's past batches (a window, or a child with a longer slide).
        var keepsHistory = false
        var cache: [Int: [[T]]] = [:]
    }

    init(
        context: StreamingContext, name: String, parents: [any GraphNode],
        slideMs: Int? = nil, lookbackMs: Int = 0, alwaysCache: Bool = false,
        compute: @escaping @Sendable (BatchTime, BatchRun) throws -> Stage<T>?
    ) {
        self.context = context
        self.operatorName = name
        self.parentNodes = parents
        self.slideMs = slideMs ?? parents.map(\.slideMs).max() ?? context.batchIntervalMs
        self.lookbackMs = lookbackMs
        self.alwaysCache = alwaysCache
        self.computeFn = compute
        self.id = context.register(name: name)
        for p in parents { p.addConsumer() }
        context.add(node: self)
    }

    var rememberMs: Int { store.withLock { $0.rememberMs } }
    func remember(_ ms: Int) { store.withLock { $0.rememberMs = Swift.max($0.rememberMs, ms) } }
    func addConsumer() { store.withLock { $0.consumers += 1 } }
    func keepHistory() { store.withLock { $0.keepsHistory = true } }

    func forget(before time: BatchTime) {
        store.withLock { s in
            let limit = time.milliseconds - s.rememberMs
            // Remove in place: most batches evict one entry or none, so no new dictionary is built.
            for key in s.cache.keys.filter({ $0 < limit }) { s.cache[key] = nil }
        }
    }

    /// Stores a batch computed elsewhere (sources cut their batches this way).
    func put(_ partitions: [[T]], at time: BatchTime) {
        store.withLock { $0.cache[time.milliseconds] = partitions }
    }

    func cached(at time: BatchTime) -> [[T]]? {
        store.withLock { $0.cache[time.milliseconds] }
    }

    /// The stream's data for `time`, or nil when the stream has no batch at that time.
    func getOrCompute(_ time: BatchTime, _ batch: BatchRun) throws -> Stage<T>? {
        guard context.isValidTime(time, slideMs: slideMs) else { return nil }
        let (hit, cacheIt): ([[T]]?, Bool) = store.withLock { s in
            (s.cache[time.milliseconds], alwaysCache || s.consumers > 1 || s.keepsHistory)
        }
        if let hit { return Stage(partitions: hit) }
        guard let stage = try computeFn(time, batch) else { return nil }
        guard cacheIt else { return stage }
        let parts = stage.materialize(batch)
        put(parts, at: time)
        return Stage(partitions: parts)
    }

    /// The data for `time`, or an empty stage when there is none.
    func stage(at time: BatchTime, _ batch: BatchRun) throws -> Stage<T> {
        try getOrCompute(time, batch) ?? .empty
    }

    /// Materialized batch at `time`.
    func batch(at time: BatchTime, _ run: BatchRun) throws -> Batch<T> {
        Batch(time: time, partitions: try stage(at: time, run).materialize(run))
    }

    /// A derived stream computed per batch from this one's stage.
    func derive<U: Sendable>(
        _ name: String, slideMs: Int? = nil, lookbackMs: Int = 0, alwaysCache: Bool = false,
        _ compute: @escaping @Sendable (Stage<T>, BatchTime, BatchRun) throws -> Stage<U>?
    ) -> DStream<U> {
        DStream<U>(context: context, name: name, parents: [self], slideMs: slideMs,
                   lookbackMs: lookbackMs, alwaysCache: alwaysCache) { [self] time, run in
            guard let s = try getOrCompute(time, run) else { return nil }
            return try compute(s, time, run)
        }
    }

    /// Names the stream (used by checkpoints and the dashboard's operator graph).
    var debugName: String { "\(operatorName)#\(id)" }
}
