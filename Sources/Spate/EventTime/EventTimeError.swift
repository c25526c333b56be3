/// An invalid event-time definition, thrown where the operator is defined. Each message says what to change.
public enum EventTimeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `withWatermark(eventTime:delay:)` was given a negative delay.
    case negativeDelay(Duration)
    /// A per-partition `withWatermark` was given an idle timeout below 1 ms.
    case nonPositiveIdleTimeout(Duration)
    /// A window's length or slide (`what`) of an event-time window operator (`operation`) is not a positive
    /// number of milliseconds.
    case nonPositiveWindow(operation: String, what: String, duration: Duration)
    /// An event-time window's length is not a multiple of its slide.
    case lengthNotMultipleOfSlide(operation: String, lengthMilliseconds: Int64, slideMilliseconds: Int64)
    /// A session gap is not a positive number of milliseconds.
    case nonPositiveGap(operation: String, gap: Duration)
    /// An interval join's lower bound is above its upper bound.
    case joinBoundsReversed(lower: Duration, upper: Duration)
    /// Two event-time streams of different contexts, or of different slides, were combined.
    case streamsIncompatible(operation: String, reason: String)

    public var description: String {
        switch self {
        case let .negativeDelay(delay):
            return "withWatermark(eventTime:delay:): delay \(delay) is negative: use a delay of zero or more, "
                + "the longest a record may arrive after newer ones, such as .seconds(5)"
        case let .nonPositiveIdleTimeout(timeout):
            return "withWatermark(eventTime:delay:partition:idleTimeout:): idle timeout \(timeout) is not a positive "
                + "number of milliseconds: use at least 1 ms, the batch time after which a partition with no records "
                + "stops holding the watermark back, such as .seconds(30)"
        case let .nonPositiveWindow(operation, what, duration):
            return "\(operation): window \(what) \(duration) is not a positive number of milliseconds: "
                + "use at least 1 ms, such as .seconds(10)"
        case let .lengthNotMultipleOfSlide(operation, length, slide):
            let divisor = Self.largestDivisor(of: length, atMost: slide)
            return "\(operation): window length \(length) ms is not a multiple of slide \(slide) ms: "
                + "use a slide that divides the length, such as \(divisor) ms, or a length of "
                + "\(Swift.max(1, length / slide) * slide) ms"
        case let .nonPositiveGap(operation, gap):
            return "\(operation): session gap \(gap) is not a positive number of milliseconds: use at least "
                + "1 ms, such as .seconds(30)"
        case let .joinBoundsReversed(lower, upper):
            return "intervalJoin: lower bound \(lower) is above upper bound \(upper): pass lower <= upper "
                + "(the other record's time relative to this one's, such as lower: .zero, upper: .minutes(10))"
        case let .streamsIncompatible(operation, reason):
            return "\(operation): \(reason)"
        }
    }

    /// The largest divisor of `n` that is at most `limit` (a slide that fits the length).
    private static func largestDivisor(of n: Int64, atMost limit: Int64) -> Int64 {
        var best: Int64 = 1, i: Int64 = 1
        while i * i <= n {
            if n % i == 0 {
                if i <= limit { best = Swift.max(best, i) }
                if n / i <= limit { best = Swift.max(best, n / i) }
            }
            i += 1
        }
        return best
    }
}
