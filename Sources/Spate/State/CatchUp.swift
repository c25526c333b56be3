import Synchronization

/// The progress of a stateful node (updateStateByKey, mapWithState): which parent batch it applied last.
///
/// A stateful node must apply every parent batch exactly once and in time order, whoever asks it and when.
/// Asked for time `t`, it applies each parent slide time after the last applied one up to `t`, so a consumer
/// that asks only every second batch (a window, a slower output) still sees the state advance once per batch.
final class CatchUp: Sendable {
    /// The last applied time in milliseconds; nil before the first batch.
    private let lastMs = Mutex<Int?>(nil)

    /// The last applied time, if any.
    var last: BatchTime? { lastMs.withLock { $0.map(BatchTime.init(milliseconds:)) } }

    /// The last applied time, in milliseconds (nil before the first batch).
    var lastAppliedMs: Int? { lastMs.withLock { $0 } }

    /// Sets the last applied time (on recovery from a checkpoint).
    func restore(lastMs value: Int?) { lastMs.withLock { $0 = value } }

    /// Applies, in order, every time after the last applied one up to `time` (steps of `slideMs` from
    /// `zeroMs`), calling `step(stepTime, isFirst)`. The lock is held throughout, so concurrent callers wait
    /// and nothing is applied twice. Returns false when `time` had already been applied.
    @discardableResult
    func advance(
        to time: BatchTime, zeroMs: Int, slideMs: Int,
        _ step: (BatchTime, _ isFirst: Bool) throws -> Void
    ) throws -> Bool {
        try lastMs.withLock { last throws -> Bool in
            var next = (last ?? zeroMs) + slideMs
            guard next <= time.milliseconds else { return false }
            while next <= time.milliseconds {
                try step(BatchTime(milliseconds: next), last == nil)
                last = next
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
