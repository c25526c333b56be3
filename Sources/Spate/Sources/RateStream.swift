import Foundation
import Synchronization

/// The generator behind `rateStream(recordsPerSecond:)`: it computes each batch from the batch time alone, so
/// runs are reproducible and no receiver task is needed.
final class RateSource: Sendable {
    let recordsPerSecond: Int
    private let context: StreamingContext
    /// Values emitted so far (the next value to emit).
    private let emitted = Mutex(0)
    /// Set when a checkpoint restored `emitted`, so start() keeps it.
    private let restored = Mutex(false)
    /// The backpressure / max-rate bound: a bounded batch takes fewer values and the generator falls behind.
    let rateLimiter = SourceRateLimiter()

    init(recordsPerSecond: Int, context: StreamingContext) {
        self.recordsPerSecond = recordsPerSecond
        self.context = context
    }

    var hooks: SourceHooks {
        SourceHooks(start: { [self] in try start() })
    }

    private func start() throws {
        guard recordsPerSecond > 0 else {
            throw SpateError.invalidArgument(
                "rateStream(recordsPerSecond: \(recordsPerSecond)): the rate must be positive; "
                    + "use 1 or more records per second, such as rateStream(recordsPerSecond: 100)")
        }
        if !restored.withLock({ $0 }) { emitted.withLock { $0 = 0 } }
    }

    /// The next value to emit (the source's checkpointed position).
    var position: Int { emitted.withLock { $0 } }

    /// Continues from a checkpointed position.
    func restore(position: Int) {
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

    /// The values from the running count up to the total due at `time`, split into contiguous partitions.
    func cut(_ time: BatchTime, into parallelism: Int) -> [[Int]] {
        Self.parts(cutRange(time), into: parallelism)
    }

    /// The values of the batch at `time`.
    func cutRange(_ time: BatchTime) -> Range<Int> {
        let zero = context.zeroTimeMs
        let due = total(afterMs: time.milliseconds - zero)
        let allowance = rateLimiter.allowance()
        let range = emitted.withLock { next -> Range<Int> in
            let from = next
            var to = Swift.max(from, due)
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
    /// or less makes `start()` throw `SpateError.invalidArgument`.
    ///
    /// With backpressure or a maximum rate (`backpressure(_:)`), a batch holds at most the rate bound x batch
    /// interval values: the generator falls behind its nominal schedule, values stay consecutive, none is lost.
    public func rateStream(recordsPerSecond: Int) -> DStream<Int> {
        let source = RateSource(recordsPerSecond: recordsPerSecond, context: self)
        let parallelism = self.parallelism
        let stream = recoverableInputStream(
            name: "rateStream", hooks: source.hooks,
            source: RecoverableRateSource(source: source, parallelism: parallelism))
        rateControl.register(source.rateLimiter, sourceId: stream.id)
        return stream
    }
}

/// Checkpoint support: a batch is described by its value range, the position is the next value.
struct RecoverableRateSource: RecoverableSource {
    let source: RateSource
    let parallelism: Int

    func cut(_ time: BatchTime) -> (parts: [[Int]], descriptor: Data) {
        let range = source.cutRange(time)
        return (RateSource.parts(range, into: parallelism), Data("\(range.lowerBound),\(range.upperBound)".utf8))
    }

    func replay(_ descriptor: Data, at time: BatchTime) throws -> [[Int]] {
        let bounds = String(decoding: descriptor, as: UTF8.self).split(separator: ",").compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else {
            throw SpateError.invalidArgument("rateStream: unreadable checkpointed range at \(time)")
        }
        return RateSource.parts(bounds[0]..<bounds[1], into: parallelism)
    }

    func position() -> Data { Data("\(source.position)".utf8) }

    func restore(position: Data) throws {
        guard let next = Int(String(decoding: position, as: UTF8.self)) else {
            throw SpateError.invalidArgument("rateStream: unreadable checkpointed position")
        }
        source.restore(position: next)
    }
}
