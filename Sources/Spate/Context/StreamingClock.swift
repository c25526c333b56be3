/// The clock that drives batch generation.
public enum StreamingClock: Sendable, Equatable {
    /// Wall-clock time: one batch every batch interval, aligned to multiples of the interval.
    case system
    /// A deterministic clock for tests: starts at 0 and moves only with `StreamingContext.advance(by:)`.
    case manual
}
