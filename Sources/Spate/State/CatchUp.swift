import Synchronization

/// The progress of a stateful node (`KeyedState.progress`): which batch time it applied last.
///
/// A stateful node must apply every parent batch exactly once and in time order, whoever asks it and when.
/// Asked for time `t`, it applies each of its slide times after the last applied one up to `t`, so a consumer
/// that asks only every second batch (a window, a slower output) still sees the state advance once per batch.
final class CatchUp: Sendable {
    private struct Progress: Sendable {
        /// The last applied time in milliseconds; nil before the first batch.
        var lastMs: Int?
        /// Set by a checkpoint's restore (even of a state that had applied nothing yet).
        var restored = false
    }

    private let progress = Mutex(Progress())

    /// The last applied time, in milliseconds (nil before the first batch).
    var lastAppliedMs: Int? { progress.withLock { $0.lastMs } }

    /// Sets the last applied time (on recovery from a checkpoint).
    func restore(lastMs value: Int?) { progress.withLock { $0 = Progress(lastMs: value, restored: true) } }

    /// Applies, in order, every time after the last applied one up to `time` (the times zero + k x `slideMs`),
    /// calling `step(stepTime, isFirst)`. Before anything was applied, it starts after zero when restored from
    /// a checkpoint, else after `startMs` (the point this run resumes from: the batches before it are not
    /// this run's). The lock is held throughout, so concurrent callers wait and nothing is applied twice.
    /// Returns false when `time` had already been applied.
    @discardableResult
    func advance(
        to time: BatchTime, startMs: Int, zeroMs: Int, slideMs: Int,
        _ step: (BatchTime, _ isFirst: Bool) throws -> Void
    ) throws -> Bool {
        try progress.withLock { p throws -> Bool in
            let start = p.restored ? zeroMs : zeroMs + (startMs - zeroMs) / slideMs * slideMs
            var next = (p.lastMs ?? start) + slideMs
            guard next <= time.milliseconds else { return false }
            while next <= time.milliseconds {
                try step(BatchTime(milliseconds: next), p.lastMs == nil)
                p.lastMs = next
                next += slideMs
            }
            return true
        }
    }
}

/// A late-bound weak reference to a DStream, so a node's compute function can reach its own (or a sibling's)
/// batch cache without a reference cycle: for batches computed while catching up, which nobody asked for yet.
final class NodeRef<T: Sendable>: Sendable {
    private struct Box: Sendable { weak var node: DStream<T>? }
    private let box = Mutex(Box())

    var node: DStream<T>? { box.withLock { $0.node } }

    func set(_ node: DStream<T>) { box.withLock { $0.node = node } }
}

extension StreamingContext {
    /// The time origin of batch times (0 for the manual clock), set at `start()`.
    var zeroTimeMs: Int { graph.zeroMs }

    /// The clock's zero time: batch times are zero + k x batch interval. Set by `start()` (from the
    /// checkpoint when recovering).
    public var zeroTime: BatchTime { BatchTime(milliseconds: zeroTimeMs) }

    /// Records an invalid operator definition; `start()` (and `advance(by:)`) will throw it.
    func recordDefinitionError(_ error: SpateError) {
        graph.recordDefinitionError(error)
    }
}
