/// The time of one batch: milliseconds since the clock's origin (the Unix epoch for the system clock,
/// 0 for the manual clock). Batch times are multiples of the batch interval.
public struct BatchTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the clock's origin.
    public let milliseconds: Int

    /// A batch time of `milliseconds`.
    public init(milliseconds: Int) { self.milliseconds = milliseconds }

    public static func < (lhs: BatchTime, rhs: BatchTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// Spark's rendering, `"<ms> ms"`.
    public var description: String { "\(milliseconds) ms" }

    static func + (lhs: BatchTime, rhs: Int) -> BatchTime { BatchTime(milliseconds: lhs.milliseconds + rhs) }
    static func - (lhs: BatchTime, rhs: Int) -> BatchTime { BatchTime(milliseconds: lhs.milliseconds - rhs) }
}

extension Duration {
    /// Whole milliseconds of this duration (sub-millisecond parts are dropped).
    /// Saturates at `Int.max` / `Int.min` milliseconds (about 292 million years) instead of trapping.
    package var wholeMilliseconds: Int {
        let c = components
        let (ms, overflow) = c.seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return c.seconds < 0 ? Int.min : Int.max }
        let (total, overflowAdding) = Int(ms).addingReportingOverflow(Int(c.attoseconds / 1_000_000_000_000_000))
        guard !overflowAdding else { return ms < 0 ? Int.min : Int.max }
        return total
    }
}
