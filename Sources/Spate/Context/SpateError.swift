/// Errors Spate throws. Each message says what to change.
public enum SpateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A window length or slide is not a positive multiple of the batch interval.
    case durationNotMultiple(what: String, milliseconds: Int, batchIntervalMilliseconds: Int)
    /// `start()` was called on a context that was already started or stopped.
    case alreadyStarted
    /// An operator or output was defined after `start()`.
    case operatorAddedAfterStart(String)
    /// `start()` found no output operation.
    case noOutputOperations
    /// The context was stopped (or never started) when the call needed it running.
    case notActive(String)
    /// `advance(by:)` needs the manual clock.
    case manualClockRequired
    /// A batch interval is below 1 ms (a `StreamingContext`'s or a `PIDRateEstimator`'s).
    case invalidBatchInterval(Duration)
    /// A window length or slide (`what`) is not a multiple of the parent stream's own slide.
    case durationNotMultipleOfSlide(what: String, milliseconds: Int, slideMilliseconds: Int)
    /// `rateStream(recordsPerSecond:)` was given a rate of 0 or less.
    case invalidRate(recordsPerSecond: Int)
    /// A state timeout (of `operation`, such as `mapWithState`) is not positive.
    case invalidTimeout(operation: String, timeout: Duration)
    /// A `BackpressureConfiguration` value (`setting` names its property) is out of range.
    case invalidBackpressure(setting: String, value: Double)
    /// A source's longest line (`socketTextStream(host:port:maxLineBytes:)`) is below 1 byte.
    case invalidMaxLineBytes(source: String, maxLineBytes: Int)
    /// A setting (such as `backpressure(_:)`) was changed after `start()`, when it no longer takes effect.
    case configuredAfterStart(String)
    /// A recovered `queueStream` lacks the batches its checkpoint needs to replay.
    case queueBatchesMissing(range: Range<Int>)
    /// The receiver write-ahead log at `path` could not be created or written.
    case writeAheadLogFailed(path: String, reason: String)
    /// Records `range` are not all in the receiver write-ahead log in `directory` (from `missingFrom` on): their
    /// segment was removed, or their frame was torn by a power cut or damaged.
    case writeAheadLogRecordsMissing(directory: String, range: Range<Int>, missingFrom: Int)
    /// A batch recovered from a checkpoint (pending, or history a window needs) could not be rebuilt by its
    /// source, so the program would compute without its records.
    case recoveredBatchLost(source: String, batchMilliseconds: Int, reason: String)
    /// A source could not bind, connect or read.
    case sourceFailed(source: String, reason: String)
    /// An output operation failed.
    case outputFailed(operation: String, reason: String)

    public var description: String {
        switch self {
        case let .durationNotMultiple(what, ms, batch):
            return "\(what) of \(ms) ms is not a positive multiple of the batch interval (\(batch) ms): "
                + "use a multiple of \(batch) ms such as \(Swift.max(batch, (ms / Swift.max(batch, 1)) * batch)) ms"
        case .alreadyStarted:
            return "the StreamingContext was already started (or stopped): create a new StreamingContext "
                + "to run again, and call start() once"
        case let .operatorAddedAfterStart(name):
            return "operator '\(name)' was defined after start(): define every input, transformation and "
                + "output before calling start()"
        case .noOutputOperations:
            return "no output operation is registered, so nothing would run: add print(), saveAsTextFiles(prefix:suffix:) "
                + "or foreachBatch(_:) before start()"
        case let .notActive(what):
            return "\(what): the StreamingContext is not running; call start() first (a stopped context cannot restart)"
        case .manualClockRequired:
            return "advance(by:) only works with the manual clock: create the context with clock: .manual"
        case let .invalidBatchInterval(interval):
            return "batch interval \(interval) is below 1 ms: use a batch interval of at least 1 ms, "
                + "such as .seconds(1)"
        case let .durationNotMultipleOfSlide(what, ms, slide):
            return "\(what) of \(ms) ms is not a multiple of the parent stream's slide (\(slide) ms): "
                + "use a multiple of \(slide) ms such as \(Swift.max(1, ms / Swift.max(slide, 1)) * slide) ms"
        case let .invalidRate(rate):
            return "rateStream(recordsPerSecond: \(rate)): the rate must be positive; "
                + "use 1 or more records per second, such as rateStream(recordsPerSecond: 100)"
        case let .invalidTimeout(operation, timeout):
            return "\(operation): timeout \(timeout) is not positive: use a timeout of at least 1 ms, "
                + "or no timeout to keep idle keys"
        case let .invalidBackpressure(setting, value):
            return "backpressure \(setting) \(value) is invalid: set BackpressureConfiguration.\(setting) to "
                + Self.backpressureFix(setting)
        case let .invalidMaxLineBytes(source, value):
            return "\(source): maxLineBytes \(value) is below 1: use 1 or more bytes (the default is 1 MiB, "
                + "1 << 20); longer lines are dropped and counted in BatchInfo.invalidRecords"
        case let .configuredAfterStart(setting):
            return "\(setting) was called after start(), so it has no effect: call it before start()"
        case let .queueBatchesMissing(range):
            return "queueStream: batches \(range.lowerBound)..<\(range.upperBound) are not in the rebuilt queue; "
                + "create it with the same batches"
        case let .writeAheadLogFailed(path, reason):
            return "cannot write the receiver write-ahead log \(path) (\(reason)): check that the checkpoint "
                + "directory exists, is writable and has free space"
        case let .writeAheadLogRecordsMissing(directory, range, from):
            return "the receiver write-ahead log \(directory) lacks records \(from)..<\(range.upperBound) of "
                + "\(range.lowerBound)..<\(range.upperBound) (a segment was removed, or a frame was torn or damaged): "
                + "fsync what the upstream is told was stored with storeReliably(contentsOf:), and keep receivedData/"
        case let .recoveredBatchLost(source, ms, reason):
            return "the recovered batch of time \(ms) ms of source \(source) cannot be rebuilt (\(reason)): bring "
                + "the source's data back and start again, start from an empty checkpoint directory, or accept the "
                + "loss with ssc.recovery(RecoveryConfiguration(acceptLostBatches: true)) (counted in "
                + "BatchInfo.lostInputStreams)"
        case let .sourceFailed(source, reason):
            return "source \(source) failed: \(reason)"
        case let .outputFailed(operation, reason):
            return "output operation \(operation) failed: \(reason)"
        }
    }

    /// The range a backpressure `setting` must lie in, and its default.
    private static func backpressureFix(_ setting: String) -> String {
        switch setting {
        case "proportional": "a finite value of 0 or more (the default, as Spark's, is 1.0)"
        case "integral": "a finite value of 0 or more (the default, as Spark's, is 0.2)"
        case "derivative": "a finite value of 0 or more (the default, as Spark's, is 0.0)"
        case "minRate": "a finite number of records per second above 0 (the default, as Spark's, is 100)"
        case "maxRatePerSecond": "1 or more records per second, or nil for no maximum"
        case "initialRate": "1 or more records per second, or nil for no initial bound"
        case "maxBufferedRecords": "1 or more records (the default is 1,000,000)"
        case "maxBufferedBytes": "1 or more bytes (the default is 128 MiB)"
        case "maxQueuedBatches": "1 or more batches (the default is 2)"
        case "maxStoreWait": "zero or more seconds (the default is 30 s)"
        default: "a valid value (see BackpressureConfiguration's documentation)"
        }
    }
}
