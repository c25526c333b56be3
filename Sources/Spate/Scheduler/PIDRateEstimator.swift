/// A proportional-integral-derivative controller that estimates how many records per second a stream can
/// ingest, as Spark's `PIDRateEstimator` (backpressure).
///
/// Each completed batch gives the measured processing rate (records / processing delay). The error is the
/// difference between the rate estimated for the previous batch and that measured rate; the integral term is
/// the backlog that the scheduling delay reveals (scheduling delay x processing rate / batch interval,
/// in records/s); the derivative term is the error's change per second. The new rate is
///
///     latestRate - proportional x error - integral x historicalError - derivative x dError
///
/// clamped to at least `minRate`. The first usable batch only records its processing rate (no estimate yet);
/// batches without records, with a zero processing delay or not later than the last update are skipped.
///
/// Not thread-safe by itself (a value type): the rate controller keeps it under a lock.
public struct PIDRateEstimator: Sendable {
    /// The batch interval, in milliseconds.
    public let batchIntervalMilliseconds: Int
    /// How much the correction depends on the current error (Spark's default 1.0).
    public let proportional: Double
    /// How much the correction depends on the accumulated error seen as scheduling delay (default 0.2).
    public let integral: Double
    /// How much the correction depends on the error's rate of change (default 0.0).
    public let derivative: Double
    /// The lowest rate the estimator returns, in records per second (default 100).
    public let minRate: Double

    private var firstRun = true
    private var latestTime = -1
    private var latestRate = -1.0
    private var latestError = -1.0

    /// An estimator for batches of `batchIntervalMilliseconds`.
    ///
    /// Throws `SpateError.invalidBatchInterval` when the batch interval is not positive, and
    /// `SpateError.invalidBackpressure` when a gain is negative or not finite, or `minRate` is not positive.
    public init(
        batchIntervalMilliseconds: Int,
        proportional: Double = 1.0,
        integral: Double = 0.2,
        derivative: Double = 0.0,
        minRate: Double = 100
    ) throws {
        guard batchIntervalMilliseconds > 0 else {
            throw SpateError.invalidBatchInterval(.milliseconds(batchIntervalMilliseconds))
        }
        try Self.validate(proportional: proportional, integral: integral, derivative: derivative, minRate: minRate)
        self.batchIntervalMilliseconds = batchIntervalMilliseconds
        self.proportional = proportional
        self.integral = integral
        self.derivative = derivative
        self.minRate = minRate
    }

    /// Checks the gains (finite, 0 or more) and the minimum rate (finite, above 0).
    static func validate(proportional: Double, integral: Double, derivative: Double, minRate: Double) throws {
        for (name, value) in [("proportional", proportional), ("integral", integral), ("derivative", derivative)] {
            guard value.isFinite, value >= 0 else {
                throw SpateError.invalidBackpressure(setting: name, value: value)
            }
        }
        guard minRate.isFinite, minRate > 0 else {
            throw SpateError.invalidBackpressure(setting: "minRate", value: minRate)
        }
    }

    /// Feeds one completed batch; returns the new rate bound in records per second, or nil when there is no
    /// estimate (the first usable batch, or a batch that is skipped).
    /// - Parameters:
    ///   - time: when the batch's processing ended, in milliseconds.
    ///   - numElements: the batch's input records (from this stream).
    ///   - processingDelay: how long the batch processed, in milliseconds.
    ///   - schedulingDelay: how long the batch waited before processing, in milliseconds.
    public mutating func compute(time: Int, numElements: Int, processingDelay: Int, schedulingDelay: Int) -> Double? {
        guard time > latestTime, numElements > 0, processingDelay > 0 else { return nil }
        // Seconds since the last update (about one batch interval).
        let delaySinceUpdate = Double(time - latestTime) / 1000
        // Records per second the batch was processed at.
        let processingRate = Double(numElements) / Double(processingDelay) * 1000
        // Desired rate (the previous estimate) minus the measured one.
        let error = latestRate - processingRate
        // A scheduling delay s means about s x processingRate records overflowed earlier batches; spread
        // over one batch interval that is the rate the previous estimates were too high by.
        let historicalError = Double(schedulingDelay) * processingRate / Double(batchIntervalMilliseconds)
        let dError = (error - latestError) / delaySinceUpdate
        let newRate = Swift.max(
            latestRate - proportional * error - integral * historicalError - derivative * dError, minRate)
        latestTime = time
        if firstRun {
            latestRate = processingRate
            latestError = 0
            firstRun = false
            return nil
        }
        latestRate = newRate
        latestError = error
        return newRate
    }
}
