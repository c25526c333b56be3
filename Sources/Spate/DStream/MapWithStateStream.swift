import Synchronization

/// What `mapWithState(_:)` returns (Spark's `MapWithStateDStream`): the stream of the mapping function's
/// return values, `stream`, and the whole state after each batch, `stateSnapshots()`. It knows its key and
/// state types, so `stateSnapshots()` needs no type annotation.
///
/// Chain operators and outputs on `stream`, as on any DStream:
/// ```swift
/// let running = pairs.mapWithState(spec)      // spec: StateSpec<String, Int, Int, (String, Int)>
/// running.stream.print()
/// running.stateSnapshots().print()            // DStream<(String, Int)>
/// ```
public final class MapWithStateStream<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>: Sendable {
    /// The mapping function's return values, one batch per batch of the parent.
    public let stream: DStream<R>
    /// The snapshot stream, once asked for: the mapWithState step then fills its cache after every batch.
    private let snapshots: NodeRef<(K, S)>
    private let creation = Mutex<Void>(())

    init(stream: DStream<R>, snapshots: NodeRef<(K, S)>) {
        self.stream = stream
        self.snapshots = snapshots
    }

    /// The context the stream belongs to.
    public var context: StreamingContext { stream.context }

    /// The whole state after each batch (Spark's `stateSnapshots()`): every key with its state. The same
    /// stream on every call.
    /// - Complexity: O(keys in the state) per batch, on top of the mapping.
    public func stateSnapshots() -> DStream<(K, S)> {
        creation.withLock { _ in
            if let existing = snapshots.node { return existing }
            let mapped = stream, ref = snapshots
            let node = DStream<(K, S)>(
                context: mapped.context, name: "stateSnapshots", parents: [mapped], alwaysCache: true
            ) { time, run in
                // Bring the state to `time`; applying it stores the snapshot in this node's cache.
                _ = try mapped.getOrCompute(time, run)
                return ref.node?.cached(at: time).map { Stage(partitions: $0) }
            }
            ref.set(node)
            return node
        }
    }

    /// Names the operator, as `DStream.named(_:)`: its state is checkpointed under this name.
    @discardableResult
    public func named(_ name: String) -> Self {
        stream.named(name)
        return self
    }

    /// Sets how often checkpoints are written, as `DStream.checkpoint(interval:)` (Spark's
    /// `MapWithStateDStream.checkpoint`): the context checkpoints at the shortest interval any stream asks for.
    @discardableResult
    public func checkpoint(interval: Duration) -> Self {
        stream.checkpoint(interval: interval)
        return self
    }
}
