import Synchronization

extension DStream {
    /// Maps every record with a per-key state (Spark's `mapWithState`).
    ///
    /// For each record `(key, value)` of a batch, in batch order, `spec`'s function is called with the key,
    /// the value and the key's `State`, which it may read, update or remove; its return value is one record
    /// of the result. With `spec.timeout(_:)`, a key that received no data for at least that long (batch
    /// time) gets one last call with a nil value and `state.isTimingOut == true`, whose return value is also
    /// emitted, and its state is removed. `stateSnapshots()` on the result gives the whole state per batch.
    /// ```swift
    /// let spec = StateSpec.function { (word: String, one: Int?, state: State<Int>) -> (String, Int) in
    ///     let sum = (one ?? 0) + (state.getOption() ?? 0)
    ///     if !state.isTimingOut { state.update(sum) }
    ///     return (word, sum)
    /// }.timeout(.seconds(30))
    /// let running = words.map { ($0, 1) }.mapWithState(spec)
    /// running.print()
    /// let snapshots: DStream<(String, Int)> = running.stateSnapshots()
    /// ```
    /// A function that throws, or misuses `State` (update while timing out, ...), is counted in
    /// `BatchInfo.failedRecords`; a throwing call emits nothing and leaves the key's state unchanged.
    /// The state lives in memory in hash partitions that update in parallel, and advances exactly once per
    /// batch time whichever consumer asks.
    /// - Complexity: O(records) per batch, plus O(keys in the state) with a timeout or snapshots.
    @inlinable
    public func mapWithState<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>(
        _ spec: StateSpec<K, V, S, R>
    ) -> MapWithStateDStream<K, V, S, R> where T == (K, V) {
        // The per-batch step is built here, for the caller's types; the bookkeeping around it is not hot.
        mapWithStateNode(spec) { parent, run, store, function, timeoutMs, timeMs, snapshot in
            let pieces = ShuffleKernels.hashPartition(parent, run, partitioner: store.partitioner)
            return Parallel.map(store.count) { j in
                let rows = ShuffleKernels.gather(pieces, j).rows
                return store.withPartition(j) { entries in
                    Self.applyMapping(
                        rows, to: &entries, function, timeoutMs: timeoutMs, timeMs: timeMs, run, snapshot: snapshot)
                }
            }
        }
    }

    /// The mapWithState node: catch-up, caching, snapshots and checkpointing around `step`, which applies
    /// one parent batch to the state and returns, per partition, the mapped records and (when `snapshot`)
    /// the state's `(key, state)` pairs.
    @usableFromInline
    func mapWithStateNode<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>(
        _ spec: StateSpec<K, V, S, R>,
        step: @escaping @Sendable (
            _ parent: Stage<(K, V)>, _ run: BatchRun, _ store: PartitionedState<K, MapWithStateEntry<S>>,
            _ function: @escaping @Sendable (K, V?, State<S>) throws -> R,
            _ timeoutMs: Int?, _ timeMs: Int, _ snapshot: Bool
        ) -> [([R], [(K, S)])]
    ) -> MapWithStateDStream<K, V, S, R> where T == (K, V) {
        let timeoutMs = spec.timeoutInterval.map(\.wholeMilliseconds).flatMap { $0 > 0 ? $0 : nil }
        if let timeout = spec.timeoutInterval {
            if timeoutMs == nil {
                context.recordDefinitionError(.invalidArgument(
                    "mapWithState: timeout \(timeout) is not positive: use a timeout of at least 1 ms, "
                        + "or no timeout to keep idle keys"))
            }
        }
        let partitioner = partitioner(spec.partitionCount)
        let store = PartitionedState<K, MapWithStateEntry<S>>(partitioner: partitioner)
        let progress = CatchUp()
        let this = NodeRef<R>()
        let snapshots = MapWithStateSnapshots<K, S>()
        let context = self.context
        let slide = slideMs
        let function = spec.function
        let initial = spec.initialStates
        let node = MapWithStateDStream<K, V, S, R>(
            context: context, name: "mapWithState", parents: [self], slideMs: slide, alwaysCache: true
        ) { [self] time, run in
            var current: [[R]]?
            try progress.advance(to: time, zeroMs: context.zeroTimeMs, slideMs: slide) { stepTime, isFirst in
                let ms = stepTime.milliseconds
                if isFirst { store.seed(initial.map { ($0.0, MapWithStateEntry(state: $0.1, updatedMs: ms)) }) }
                let parent = try self.getOrCompute(stepTime, run) ?? .empty
                let snapshotNode = snapshots.ref.node
                let results = step(parent, run, store, function, timeoutMs, ms, snapshotNode != nil)
                let mapped = results.map(\.0)
                snapshotNode?.put(results.map(\.1), at: stepTime)
                if stepTime == time { current = mapped } else { this.node?.put(mapped, at: stepTime) }
            }
            if let current { return Stage(partitions: current) }
            // Already applied (while catching up for a later time): the node's cache has it.
            if let cached = this.node?.cached(at: time) { return Stage(partitions: cached) }
            context.logger.warning("stateful batch no longer available", metadata: [
                "operator": "mapWithState", "batch": "\(time)"])
            return nil
        }
        this.set(node)
        context.addCheckpointed(operatorName: "mapWithState") { defaultName in
            KeyedStateCheckpoint<K, MapWithStateEntry<S>>(
                kind: "mapWithState<\(K.self), \(V.self), \(S.self)>", defaultName: defaultName, node: node.nodeName,
                capture: { (progress.lastAppliedMs, store.capture()) },
                apply: { lastMs, entries in
                    store.replaceAll(entries)
                    progress.restore(lastMs: lastMs)
                })
        }
        node.extras.withLock { $0[mapWithStateSnapshotsKey] = snapshots }
        return node
    }

    /// Applies one batch's records of one partition: mapping calls in record order, then timeouts. Each
    /// record looks its key up once and updates the entry in place.
    @inlinable
    static func applyMapping<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>(
        _ records: [(K, V)], to entries: inout [K: MapWithStateEntry<S>],
        _ function: @Sendable (K, V?, State<S>) throws -> R,
        timeoutMs: Int?, timeMs: Int, _ run: BatchRun, snapshot: Bool
    ) -> ([R], [(K, S)]) {
        let opName = "mapWithState"
        let state = State<S>()
        var out: [R] = []
        out.reserveCapacity(records.count)
        for (key, value) in records {
            let index = entries.index(forKey: key)
            state.wrap(index.map { entries.values[$0].state })
            do {
                let r = try function(key, value, state)
                out.append(r)
                if state.isRemoved {
                    if let index { entries.remove(at: index) }
                } else if state.isUpdated || (state.exists && timeoutMs != nil) {
                    // Data refreshes the key's idle time even when the state is unchanged (Spark's rule).
                    let entry = MapWithStateEntry(state: state.get(), updatedMs: timeMs)
                    if let index { entries.values[index] = entry } else { entries[key] = entry }
                }
            } catch {
                run.recordFailed(error, in: opName)
            }
            if !state.misuses.isEmpty {
                for misuse in state.misuses { run.recordFailed(misuse, in: opName) }
            }
        }
        if let timeoutMs {
            let threshold = timeMs - timeoutMs
            let expired = entries.filter { $0.value.updatedMs <= threshold }
            for (key, entry) in expired {
                state.wrap(entry.state, timingOut: true)
                do {
                    out.append(try function(key, nil, state))
                } catch {
                    run.recordFailed(error, in: opName)
                }
                for misuse in state.misuses { run.recordFailed(misuse, in: opName) }
                entries[key] = nil
            }
        }
        var pairs: [(K, S)] = []
        if snapshot {
            pairs.reserveCapacity(entries.count)
            for (k, e) in entries { pairs.append((k, e.state)) }
        }
        return (out, pairs)
    }

    /// The whole state of a `mapWithState` stream after each batch (Spark's `stateSnapshots()`): every key
    /// with its state. Only valid on a stream returned by `mapWithState(_:)`; otherwise, or when `K` and `S`
    /// are not the spec's key and state types, `start()` throws an error saying so.
    ///
    /// `K` and `S` cannot be inferred from the mapped stream: state them with the result type or `as:`.
    /// ```swift
    /// let running = pairs.mapWithState(spec)             // spec: StateSpec<String, Int, Int, (String, Int)>
    /// let snapshots: DStream<(String, Int)> = running.stateSnapshots()
    /// running.stateSnapshots(as: (String, Int).self).print()
    /// ```
    public func stateSnapshots<K: Hashable & Sendable, S: Sendable>(
        as type: (K, S).Type = (K, S).self
    ) -> DStream<(K, S)> {
        let attached = extras.withLock { $0[mapWithStateSnapshotsKey] }
        if let snapshots = attached as? MapWithStateSnapshots<K, S> {
            return snapshots.stream(of: self)
        }
        let reason: String
        if let other = attached as? any MapWithStateSnapshotsKey {
            reason = "this mapWithState keeps states of type \(other.stateTypeDescription), but the snapshots "
                + "were asked as \((K, S).self): ask for stateSnapshots(as: \(other.stateTypeDescription).self)"
        } else {
            reason = "the stream (\(operatorName)) did not come from mapWithState(_:): call stateSnapshots() "
                + "on the stream that mapWithState returns"
        }
        context.recordDefinitionError(.invalidArgument("stateSnapshots(): \(reason)"))
        return DStream<(K, S)>(context: context, name: "stateSnapshots", parents: [self]) { _, _ in nil }
    }
}

/// The stream `mapWithState(_:)` returns: a `DStream` of the mapping function's results that also knows
/// its key and state types, so `stateSnapshots()` needs no type annotation.
/// ```swift
/// let running = pairs.mapWithState(spec)
/// running.print()
/// running.stateSnapshots().print()
/// ```
public final class MapWithStateDStream<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>: DStream<R>,
    @unchecked Sendable
{
    // @unchecked Sendable: adds no stored property to DStream, whose proof covers it.

    /// The whole state, `(key, state)` for every key, after each batch.
    public func stateSnapshots() -> DStream<(K, S)> {
        stateSnapshots(as: (K, S).self)
    }
}

/// One key's state in mapWithState, with the batch time of its last data (for timeouts).
@usableFromInline
struct MapWithStateEntry<S: Sendable>: Sendable {
    @usableFromInline var state: S
    @usableFromInline var updatedMs: Int

    @inlinable
    init(state: S, updatedMs: Int) {
        self.state = state
        self.updatedMs = updatedMs
    }
}

extension MapWithStateEntry: Codable where S: Codable {}

/// What a mapWithState stream attaches for `stateSnapshots()`, whatever its types.
protocol MapWithStateSnapshotsKey: Sendable {
    var stateTypeDescription: String { get }
}

/// The `DStream.extras` key of a mapWithState stream's snapshot source.
let mapWithStateSnapshotsKey = "mapWithState.snapshots"

/// The snapshot stream of one mapWithState stream: created on the first `stateSnapshots()` call; the
/// mapWithState node fills its cache with the state after every batch it applies.
final class MapWithStateSnapshots<K: Hashable & Sendable, S: Sendable>: MapWithStateSnapshotsKey {
    let ref = NodeRef<(K, S)>()
    private let creation = Mutex<Void>(())

    var stateTypeDescription: String { "\((K, S).self)" }

    func stream<R>(of mapped: DStream<R>) -> DStream<(K, S)> {
        creation.withLock { _ in
            if let existing = ref.node { return existing }
            let ref = self.ref
            let node = DStream<(K, S)>(
                context: mapped.context, name: "stateSnapshots", parents: [mapped], alwaysCache: true
            ) { time, run in
                // Bring the state to `time`; computing it stores the snapshot in this node's cache.
                _ = try mapped.getOrCompute(time, run)
                return ref.node?.cached(at: time).map { Stage(partitions: $0) }
            }
            ref.set(node)
            return node
        }
    }
}
