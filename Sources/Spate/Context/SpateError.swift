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
    /// A configuration value is invalid.
    case invalidArgument(String)
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
        case let .invalidArgument(message):
            return message
        case let .sourceFailed(source, reason):
            return "source \(source) failed: \(reason)"
        case let .outputFailed(operation, reason):
            return "output operation \(operation) failed: \(reason)"
        }
    }
}
