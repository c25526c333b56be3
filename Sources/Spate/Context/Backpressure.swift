/// Backpressure settings, as Spark's `spark.streaming.backpressure.*` and `spark.streaming.receiver.maxRate`.
///
/// With `enabled`, a `PIDRateEstimator` per input source turns every completed batch's record count,
/// processing delay and scheduling delay into a rate bound (records per second), so a job that cannot keep
/// up ingests less instead of queueing batches without end. `rateStream`, `socketTextStream` and
/// `receiverStream` honour min(`maxRatePerSecond`, estimate); a bounded batch takes at most bound x batch
/// interval records and leaves the rest for the next batches (nothing is lost: a rate stream falls behind
/// its nominal schedule, receivers keep records buffered and `ReceiverContext.awaitCapacity()` /
/// the socket reader pause while about two batches are waiting).
///
/// `maxRatePerSecond` applies even when `enabled` is false, as Spark's `spark.streaming.receiver.maxRate`.
/// ```swift
/// ssc.backpressure(BackpressureConfiguration(enabled: true, maxRatePerSecond: 50_000))
/// ```
public struct BackpressureConfiguration: Sendable, Equatable {
    /// Whether the rate estimator bounds the sources (Spark's `spark.streaming.backpressure.enabled`).
    public var enabled: Bool
    /// The bound, in records per second, before the first estimate
    /// (Spark's `spark.streaming.backpressure.initialRate`); nil for none. Used only when `enabled`.
    public var initialRate: Int?
    /// The highest rate, in records per second, of each source, with or without backpressure
    /// (Spark's `spark.streaming.receiver.maxRate`); nil for no maximum.
    public var maxRatePerSecond: Int?
    /// The PID estimator's proportional gain (0 or more; Spark's default 1.0).
    public var proportional: Double
    /// The PID estimator's integral gain (0 or more; Spark's default 0.2).
    public var integral: Double
    /// The PID estimator's derivative gain (0 or more; Spark's default 0.0).
    public var derivative: Double
    /// The lowest rate the estimator sets, in records per second (above 0; Spark's default 100).
    public var minRate: Double
    /// The most records a receiving source (`socketTextStream`, `receiverStream`) holds for the next batches,
    /// with or without backpressure: at the bound the socket reader stops reading (TCP slows the peer),
    /// `ReceiverContext.awaitCapacity()` waits, and `ReceiverContext.store` waits (on a thread of its own, up to
    /// `maxStoreWait`) or refuses what does not fit, until a batch takes them. Default 1,000,000.
    public var maxBufferedRecords: Int
    /// The most bytes of received lines `socketTextStream` holds for the next batches (as `maxBufferedRecords`).
    /// Default 128 MiB.
    public var maxBufferedBytes: Int
    /// How long `ReceiverContext.store` called from a thread of its own (not a Swift task) waits for room in a
    /// full receive buffer, as Spark's blocking `Receiver.store`, before it refuses what does not fit (counted,
    /// reported and returned). A store from a task never blocks: it refuses at once. Default 30 s; zero: never
    /// wait.
    public var maxStoreWait: Duration
    /// The most generated batches that wait for the one running (Spark's backlog, unbounded there): when
    /// processing falls behind, the generator waits for room before cutting the next batch, so records stay
    /// in the sources and the lag shows in `BatchInfo.generationDelay` and `schedulingDelay`. Default 2.
    public var maxQueuedBatches: Int

    /// Settings with Spark's defaults: disabled, no initial or maximum rate, gains 1.0 / 0.2 / 0.0, min rate 100;
    /// receive buffers bounded at 1,000,000 records and 128 MiB (a full one makes `store` wait up to 30 s on a
    /// thread of its own), at most 2 batches waiting to run.
    public init(
        enabled: Bool = false,
        initialRate: Int? = nil,
        maxRatePerSecond: Int? = nil,
        proportional: Double = 1.0,
        integral: Double = 0.2,
        derivative: Double = 0.0,
        minRate: Double = 100,
        maxBufferedRecords: Int = 1_000_000,
        maxBufferedBytes: Int = 128 << 20,
        maxQueuedBatches: Int = 2,
        maxStoreWait: Duration = .seconds(30)
    ) {
        self.enabled = enabled
        self.initialRate = initialRate
        self.maxRatePerSecond = maxRatePerSecond
        self.proportional = proportional
        self.integral = integral
        self.derivative = derivative
        self.minRate = minRate
        self.maxBufferedRecords = maxBufferedRecords
        self.maxBufferedBytes = maxBufferedBytes
        self.maxQueuedBatches = maxQueuedBatches
        self.maxStoreWait = maxStoreWait
    }

    /// Checks every value; throws `SpateError.invalidBackpressure` naming the setting and what to change.
    public func validate() throws {
        if let maxRatePerSecond, maxRatePerSecond <= 0 {
            throw SpateError.invalidBackpressure(setting: "maxRatePerSecond", value: Double(maxRatePerSecond))
        }
        if let initialRate, initialRate <= 0 {
            throw SpateError.invalidBackpressure(setting: "initialRate", value: Double(initialRate))
        }
        if maxBufferedRecords <= 0 {
            throw SpateError.invalidBackpressure(setting: "maxBufferedRecords", value: Double(maxBufferedRecords))
        }
        if maxBufferedBytes <= 0 {
            throw SpateError.invalidBackpressure(setting: "maxBufferedBytes", value: Double(maxBufferedBytes))
        }
        if maxQueuedBatches <= 0 {
            throw SpateError.invalidBackpressure(setting: "maxQueuedBatches", value: Double(maxQueuedBatches))
        }
        if maxStoreWait < .zero {
            throw SpateError.invalidBackpressure(setting: "maxStoreWait", value: Double(maxStoreWait.wholeMilliseconds) / 1000)
        }
        try PIDRateEstimator.validate(proportional: proportional, integral: integral, derivative: derivative,
                                      minRate: minRate)
    }
}

extension StreamingContext {
    /// The backpressure settings; set them before `start()`, which validates them.
    ///
    /// Setting them after `start()` has no effect and is reported as an error, like defining an operator
    /// after start.
    public var backpressureConfiguration: BackpressureConfiguration {
        get { rateControl.configuration }
        set { backpressure(newValue) }
    }

    /// Sets the backpressure settings (Spark's `spark.streaming.backpressure.*` and `receiver.maxRate`).
    ///
    /// Call it before `start()`; `start()` throws `SpateError.invalidBackpressure` if a value is invalid (such as
    /// a negative gain). A call after `start()` has no effect and is reported by `awaitTermination()`.
    public func backpressure(_ configuration: BackpressureConfiguration) {
        state.withLock { s in
            // Under the context's lock, so a concurrent start() sees either the old or the new settings.
            guard s.phase == .initialized else {
                graph.recordDefinitionError(.configuredAfterStart("backpressure(_:)"))
                return
            }
            rateControl.configuration = configuration
        }
    }
}
