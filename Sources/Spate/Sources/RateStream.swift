import Synchronization

/// The generator behind `rateStream(recordsPerSecond:)`: it computes each batch from the batch time alone, so
/// runs are reproducible and no receiver task is needed.
final class RateSource: Sendable {
    let recordsPerSecond: Int
    private let context: StreamingContext
    /// Values emitted so far (the next value to emit).
    private let emitted = Mutex(0)
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
        emitted.withLock { $0 = 0 }
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
        let zero = context.state.withLock { $0.zeroMs }
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
        let stream = inputStream(name: "rateStream", hooks: source.hooks) { time in
            source.cut(time, into: parallelism)
        }
        rateControl.register(source.rateLimiter, sourceId: stream.id)
        return stream
    }
}
