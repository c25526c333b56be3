import Logging
import Metrics
import Synchronization

/// The rate bound of one input source (Spark's receiver `RateLimiter`, applied when a batch is cut).
///
/// The bound in records per second is min(`maxRatePerSecond`, latest estimate), where the estimate is the
/// configured initial rate until the rate controller publishes one; no maximum and no estimate means no bound.
/// A source asks `allowance()` when it cuts a batch and takes at most that many records, leaving the rest
/// for later batches, so nothing is lost. Fractions of a record carry over to the next batch, so a bound of
/// 150 records/s with 100 ms batches takes 15 records per batch, and 155 takes 15, 16, 15, 16, ...
final class SourceRateLimiter: Sendable {
    private struct State: Sendable {
        var batchIntervalMs = 1000
        var maxRate: Int?
        var estimate: Int?
        /// Set by a graceful stop: the final batches take everything still buffered.
        var released = false
        var carry = 0.0
        var lastCutBound: Int?
        var buffer = ReceiveBufferBound()
        /// Times a reader found the buffer full, and when that was last logged.
        var fullWaits = 0
        var fullLoggedAtMs: Int?
        /// How long a `store` from a thread of its own waits for room (`BackpressureConfiguration.maxStoreWait`).
        var maxStoreWait = BackpressureConfiguration().maxStoreWait
        /// Records `store` refused since the last batch, and when a refusal was last logged.
        var refused = 0
        var refusedLoggedAtMs: Int?
    }

    private let state = Mutex(State())

    /// Sets the batch interval and the configured rates, and forgets previous estimates (at `start()`).
    func configure(
        batchIntervalMs: Int, maxRate: Int?, initialRate: Int?, buffer: ReceiveBufferBound = ReceiveBufferBound(),
        maxStoreWait: Duration = BackpressureConfiguration().maxStoreWait
    ) {
        state.withLock { s in
            s = State()
            s.batchIntervalMs = Swift.max(1, batchIntervalMs)
            s.maxRate = maxRate
            s.estimate = initialRate
            s.buffer = buffer
            s.maxStoreWait = maxStoreWait
        }
    }

    private static func bound(_ s: State) -> Int? {
        if s.released { return nil }
        switch (s.maxRate, s.estimate) {
        case let (max?, estimate?): return Swift.min(max, estimate)
        case let (max?, nil): return max
        case let (nil, estimate?): return estimate
        case (nil, nil): return nil
        }
    }

    /// The current bound in records per second, or nil when the source is not bounded.
    var bound: Int? { state.withLock { Self.bound($0) } }

    /// The bound the last `allowance()` applied (what `BatchInfo` reports for the batch just cut).
    var lastCutBound: Int? { state.withLock { $0.lastCutBound } }

    /// Takes a new estimate from the rate controller; like Spark, only positive rates are used.
    func publish(estimatedRate: Double) {
        guard estimatedRate.isFinite, estimatedRate >= 1 else { return }
        let rate = estimatedRate >= Double(Int.max / 2) ? Int.max / 2 : Int(estimatedRate)
        state.withLock { $0.estimate = rate }
    }

    /// How many records the batch being cut may take (nil: any number), and remembers the bound applied.
    func allowance() -> Int? {
        state.withLock { s in
            guard let bound = Self.bound(s) else {
                s.carry = 0
                s.lastCutBound = nil
                return nil
            }
            s.lastCutBound = bound
            let credit = s.carry + Double(bound) * Double(s.batchIntervalMs) / 1000
            let whole = credit.rounded(.down)
            s.carry = credit - whole
            return whole >= Double(Int.max / 2) ? Int.max / 2 : Int(whole)
        }
    }

    /// Lifts the bound for good: a gracefully stopping source hands everything it holds to the final batch.
    func release() { state.withLock { $0.released = true } }

    /// The receive buffer's bound: records (two batches at the current rate bound, at least 1, and at most
    /// `maxBufferedRecords`) and bytes (`maxBufferedBytes`).
    var capacity: ReceiveBufferBound {
        state.withLock { s in
            guard let bound = Self.bound(s) else { return s.buffer }
            let records = Double(bound) * Double(2 * s.batchIntervalMs) / 1000
            let byRate = records >= Double(Int.max / 2) ? Int.max / 2 : Swift.max(1, Int(records))
            return ReceiveBufferBound(records: Swift.min(byRate, s.buffer.records), bytes: s.buffer.bytes)
        }
    }

    /// The receive buffer's hard bound (`maxBufferedRecords`, `maxBufferedBytes`), whatever the rate bound.
    var bufferBound: ReceiveBufferBound { state.withLock { $0.buffer } }

    /// How long a `store` from a thread of its own waits for room before it refuses what does not fit.
    var maxStoreWait: Duration { state.withLock { $0.maxStoreWait } }

    /// How often a waiting reader or storer looks at the buffer again: a few times per batch interval.
    var pollInterval: Duration {
        .milliseconds(Swift.max(1, Swift.min(50, state.withLock { $0.batchIntervalMs } / 10)))
    }

    /// Counts `records` that `store` refused because the buffer stayed full (the metric
    /// `spate_receive_buffer_refused_total`, the next batch's metadata), logged at most every 10 s.
    func refused(_ records: Int, logger: Logger) {
        Self.refusedMetric.increment(by: records)
        let now = StreamingContext.wallClockMs()
        let log = state.withLock { s -> Bool in
            s.refused += records
            if let at = s.refusedLoggedAtMs, now - at < 10_000 { return false }
            s.refusedLoggedAtMs = now
            return true
        }
        guard log else { return }
        logger.error("receive buffer full: store refused records", metadata: [
            "refused": "\(records)", "maxBufferedRecords": "\(bufferBound.records)",
            "maxBufferedBytes": "\(bufferBound.bytes)",
            "fix": "\(Self.refusalFix)"])
    }

    /// Records `store` refused since the last call: the generator reports them with each batch
    /// (`BatchInfo.streamIdToMetadata[id]["receiveBufferRefused"]`).
    func takeRefused() -> Int {
        state.withLock { s in
            defer { s.refused = 0 }
            return s.refused
        }
    }

    /// How many times the reader found its buffer full and waited since the last call: the generator reports it
    /// with each batch (`BatchInfo.streamIdToMetadata[id]["receiveBufferFull"]`).
    func takeFullWaits() -> Int {
        state.withLock { s in
            defer { s.fullWaits = 0 }
            return s.fullWaits
        }
    }

    /// Waits while `buffered()` (records, bytes) is at `capacity`, polling a few times per batch interval, so
    /// the reader stops reading until a batch takes what waits. Each wait is counted (the metric
    /// `spate_receive_buffer_full_total`) and logged at most every 10 s. Ends early when `stopped()` or the
    /// task is cancelled. With `hard`, it waits only at the hard bound (`bufferBound`), not the rate's capacity.
    func waitForCapacity(
        buffered: () -> (records: Int, bytes: Int), stopped: () -> Bool, logger: Logger, hard: Bool = false
    ) async {
        let capacity = { hard ? self.bufferBound : self.capacity }
        guard !capacity().admits(buffered()) else { return }
        reportFull(buffered(), logger)
        let poll = pollInterval
        while !capacity().admits(buffered()), !stopped(), !Task.isCancelled {
            do { try await Task.sleep(for: poll) } catch { return }
        }
    }

    private func reportFull(_ held: (records: Int, bytes: Int), _ logger: Logger) {
        Self.fullMetric.increment()
        let now = StreamingContext.wallClockMs()
        let capacity = state.withLock { s -> ReceiveBufferBound? in
            s.fullWaits += 1
            if let at = s.fullLoggedAtMs, now - at < 10_000 { return nil }
            s.fullLoggedAtMs = now
            return s.buffer
        }
        guard let capacity else { return }
        logger.warning("receive buffer full: reading paused until a batch takes the buffered records", metadata: [
            "bufferedRecords": "\(held.records)", "bufferedBytes": "\(held.bytes)",
            "maxBufferedRecords": "\(capacity.records)", "maxBufferedBytes": "\(capacity.bytes)",
            "fix": "if batches keep up, raise BackpressureConfiguration.maxBufferedRecords/maxBufferedBytes"])
    }

    private static let fullMetric = Counter(label: "spate_receive_buffer_full_total")
    private static let refusalFix = "call `await context.awaitCapacity()` before `store` (or store from a thread "
        + "of its own, where store waits for room), or raise BackpressureConfiguration.maxBufferedRecords/maxBufferedBytes"
    private static let refusedMetric = Counter(label: "spate_receive_buffer_refused_total")
}

/// How much a receiving source holds for its next batches before its reader waits
/// (`BackpressureConfiguration.maxBufferedRecords` and `maxBufferedBytes`).
struct ReceiveBufferBound: Sendable, Equatable {
    var records = BackpressureConfiguration().maxBufferedRecords
    var bytes = BackpressureConfiguration().maxBufferedBytes

    /// Whether a buffer holding `held` may take more.
    func admits(_ held: (records: Int, bytes: Int)) -> Bool { held.records < records && held.bytes < bytes }
}

/// A listener that feeds every completed batch to one `PIDRateEstimator` per rate-limited source and
/// publishes the estimates to the sources' limiters, as Spark's `RateController`.
final class RateController: StreamingListener {
    private let limiters: [Int: SourceRateLimiter]
    private let estimators: Mutex<[Int: PIDRateEstimator]>

    init(limiters: [Int: SourceRateLimiter], estimators: [Int: PIDRateEstimator]) {
        self.limiters = limiters
        self.estimators = Mutex(estimators)
    }

    func batchCompleted(_ info: BatchInfo) {
        guard let end = info.processingEndTime, let work = info.processingDelay,
              let wait = info.schedulingDelay else { return }
        for (id, limiter) in limiters {
            guard let records = info.streamIdToNumRecords[id] else { continue }
            let rate = estimators.withLock { e in
                e[id]?.compute(time: end, numElements: records, processingDelay: work.wholeMilliseconds,
                               schedulingDelay: wait.wholeMilliseconds)
            }
            if let rate { limiter.publish(estimatedRate: rate) }
        }
    }
}

/// The context's backpressure settings and the rate limiters of its sources.
final class RateControl: Sendable {
    private let state = Mutex<(configuration: BackpressureConfiguration, limiters: [Int: SourceRateLimiter])>(
        (BackpressureConfiguration(), [:]))

    var configuration: BackpressureConfiguration {
        get { state.withLock { $0.configuration } }
        set { state.withLock { $0.configuration = newValue } }
    }

    /// Makes the input stream `sourceId` honour the rate bound through `limiter`.
    func register(_ limiter: SourceRateLimiter, sourceId: Int) {
        state.withLock { $0.limiters[sourceId] = limiter }
    }

    /// The limiter of input stream `sourceId`, if that source honours rate bounds.
    func limiter(for sourceId: Int) -> SourceRateLimiter? { state.withLock { $0.limiters[sourceId] } }

    /// At `start()`: validates the configuration, sets up every limiter, and returns the rate controller
    /// to register as a listener when backpressure is enabled.
    func activate(batchIntervalMs: Int) throws -> RateController? {
        let (config, limiters) = state.withLock { ($0.configuration, $0.limiters) }
        try config.validate()
        for limiter in limiters.values {
            limiter.configure(batchIntervalMs: batchIntervalMs, maxRate: config.maxRatePerSecond,
                              initialRate: config.enabled ? config.initialRate : nil,
                              buffer: ReceiveBufferBound(records: config.maxBufferedRecords,
                                                         bytes: config.maxBufferedBytes),
                              maxStoreWait: config.maxStoreWait)
        }
        guard config.enabled, !limiters.isEmpty else { return nil }
        var estimators: [Int: PIDRateEstimator] = [:]
        for id in limiters.keys {
            estimators[id] = try PIDRateEstimator(
                batchIntervalMilliseconds: batchIntervalMs, proportional: config.proportional,
                integral: config.integral, derivative: config.derivative, minRate: config.minRate)
        }
        return RateController(limiters: limiters, estimators: estimators)
    }
}
