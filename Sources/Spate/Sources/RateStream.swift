import Foundation
import Synchronization

/// The generator behind `rateStream(recordsPerSecond:)`: it computes each batch from the batch time alone, so
/// runs are reproducible and no receiver task is needed. A batch is described by its value range, the
/// position is the next value. Rate-limited: a bounded batch takes fewer values and the generator falls
/// behind. A batch also takes at most `maxBatchIntervals` batch intervals' worth of values: a backlog (a
/// checkpoint whose zero time is long past but whose rate position was not restored) follows over later batches
/// instead of being built in one.
final class RateSource: StreamSource {
    /// The most batch intervals of values one batch takes.
    static var maxBatchIntervals: Int { 10 }
    let recordsPerSecond: Int
    let parallelism: Int
    private let context: StreamingContext
    /// Values emitted so far (the next value to emit).
    private let emitted = Mutex(0)
    /// Set when a checkpoint restored `emitted`, so start() keeps it.
    private let restored = Mutex(false)

    init(recordsPerSecond: Int, context: StreamingContext) {
        self.recordsPerSecond = recordsPerSecond
        self.parallelism = context.parallelism
        self.context = context
    }

    var name: String { "rateStream" }
    var isRateLimited: Bool { true }

    func start() async throws {
        guard recordsPerSecond > 0 else {
            throw SpateError.invalidRate(recordsPerSecond: recordsPerSecond)
        }
        if !restored.withLock({ $0 }) { emitted.withLock { $0 = 0 } }
    }

    /// The next value to emit (the source's checkpointed position).
    var position: Int { emitted.withLock { $0 } }

    /// Continues from a checkpointed position.
    func restore(position: Int) async throws {
        emitted.withLock { $0 = position }
        restored.withLock { $0 = true }
    }

    /// How many values exist `elapsedMs` after the zero time: recordsPerSecond x elapsed seconds, rounded down
    /// (computed without overflowing for any realistic rate).
    func total(afterMs elapsedMs: Int) -> Int {
        guard elapsedMs > 0 else { return 0 }
        let (whole, rest) = elapsedMs.quotientAndRemainder(dividingBy: 1000)
        let (a, overflowA) = whole.multipliedReportingOverflow(by: recordsPerSecond)
        let (b, overflowB) = rest.multipliedReportingOverflow(by: recordsPerSecond)
        guard !overflowA, !overflowB else { return Int.max }
        let (sum, overflowSum) = a.addingReportingOverflow(b / 1000)
        return overflowSum ? Int.max : sum
    }

    /// The values from the running count up to the total due at `time` (at most `limit` of them), split
    /// into contiguous partitions.
    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Int, Range<Int>> {
        let range = cutRange(time, limit: limit)
        return SourceBatch(partitions: Self.parts(range, into: parallelism), descriptor: range)
    }

    func replay(_ range: Range<Int>, at time: BatchTime) async throws -> [[Int]] {
        Self.parts(range, into: parallelism)
    }

    /// The most values one batch takes: `maxBatchIntervals` intervals at the rate (at least one value).
    var batchCap: Int {
        let ms = context.batchIntervalMs.multipliedReportingOverflow(by: Self.maxBatchIntervals)
        return ms.overflow ? Int.max : Swift.max(1, total(afterMs: ms.partialValue))
    }

    /// The values of the batch at `time`.
    func cutRange(_ time: BatchTime, limit allowance: Int?) -> Range<Int> {
        let zero = context.zeroTimeMs
        let due = total(afterMs: time.milliseconds - zero)
        let range = emitted.withLock { next -> Range<Int> in
            let from = next
            var to = Swift.max(from, due)
            let (cap, capOverflow) = from.addingReportingOverflow(batchCap)
            if !capOverflow { to = Swift.min(to, cap) }
            if let allowance {
                let (limit, overflow) = from.addingReportingOverflow(allowance)
                if !overflow { to = Swift.min(to, limit) }
            }
            next = to
            return from..<to
        }
        return range
    }

    /// `range` split in `parallelism` contiguous partitions.
    static func parts(_ range: Range<Int>, into parallelism: Int) -> [[Int]] {
        let n = Swift.max(1, parallelism)
        let size = range.count / n, extra = range.count % n
        var parts: [[Int]] = []
        parts.reserveCapacity(n)
        var start = range.lowerBound
        for i in 0..<n {
            let end = start + size + (i < extra ? 1 : 0)
            parts.append(Array(start..<end))
            start = end
        }
        return parts
    }
}

extension StreamingContext {
    /// A generator of consecutive integers 0, 1, 2, ... at `recordsPerSecond`, for demos and load tests.
    ///
    /// Deterministic: the batch at time t holds the values from where the previous batch stopped up to
    /// recordsPerSecond x (t - zero time) / 1000, split into `parallelism` contiguous partitions. A rate of 0
    /// or less makes `start()` throw `SpateError.invalidRate`.
    ///
    /// With backpressure or a maximum rate (`backpressure(_:)`), a batch holds at most the rate bound x batch
    /// interval values: the generator falls behind its nominal schedule, values stay consecutive, none is lost.
    public func rateStream(recordsPerSecond: Int) -> DStream<Int> {
        inputStream(RateSource(recordsPerSecond: recordsPerSecond, context: self))
    }
}
