/// A span of event time, `[start, end)` in milliseconds since the epoch (`end` exclusive): a tumbling or
/// sliding window, or a session.
public struct EventWindow: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The first millisecond of the window.
    public let start: Int64
    /// The first millisecond after the window.
    public let end: Int64

    /// The window `[start, end)`.
    @inlinable
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// `[start, end)`, in milliseconds.
    public var description: String { "[\(start), \(end))" }
}

/// A key in one event-time window or session: the key of the results of `countByKeyAndWindow`,
/// `reduceByKeyAndWindow`, `combineByKeyAndWindow` and `reduceByKeyAndSession`.
public struct Windowed<K: Hashable & Sendable>: Hashable, Sendable, CustomStringConvertible {
    /// The record's key.
    public let key: K
    /// The window or session the result covers.
    public let window: EventWindow

    /// `key` in `window`.
    @inlinable
    public init(key: K, window: EventWindow) {
        self.key = key
        self.window = window
    }

    /// `key@[start, end)`.
    public var description: String { "\(key)@\(window)" }
}

extension Windowed: Codable where K: Codable {}

extension Windowed {
    /// Hashes the key with `KeyHash` (seeded; a multiply-mix for `Int` and `String` keys) folded with the
    /// window's bounds, so `Hasher` runs at most once per hash instead of SipHash over the key and both bounds.
    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(_rawHashValue(seed: 0)) }

    /// The hash Dictionary and Set use under their `seed`, with no `Hasher` at all: the event-time window
    /// operators hash every record's `(key, window)` in their combine and state tables (SipHash of the pair
    /// was a third of their time). Equal values hash alike: `KeyHash` agrees with the key's `==`.
    @inlinable
    public func _rawHashValue(seed: Int) -> Int {
        let k = KeyHash.seeded(key, seed: seed)
        let w = Int(truncatingIfNeeded: window.start) &* -0x61C8_8646_80B5_83EB ^ Int(truncatingIfNeeded: window.end)
        return KeyHash.int(k &+ w, seed: seed)
    }
}

/// When an event-time window or session operator emits its results.
public enum OutputMode: Sendable, Hashable {
    /// Each window or session once, in the batch after which it closed (the watermark passed its end), with
    /// its final value; its state is then dropped. Rows are final: a sink can insert them and never update.
    case append
    /// Every batch, each open window or session that received records in that batch, with its value so far;
    /// the state is dropped when it closes. Rows are upserts by `(key, window)`.
    case update
}

/// Saturating arithmetic on event times, so that a record with an extreme time (a bad input) is placed at
/// the edge of time instead of trapping.
@usableFromInline
enum EventTimeMath {
    /// `a + b`, clamped to `Int64`'s range.
    @inlinable @inline(__always)
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    /// `a - b`, clamped to `Int64`'s range.
    @inlinable @inline(__always)
    static func subtract(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b > 0 ? .min : .max) : difference
    }

    /// Whole milliseconds of `duration` (sub-millisecond parts dropped; saturating).
    @usableFromInline
    static func milliseconds(_ duration: Duration) -> Int64 { Int64(duration.wholeMilliseconds) }

    /// The largest multiple of `step` (positive) at or below `a`.
    @inlinable @inline(__always)
    static func floor(_ a: Int64, multipleOf step: Int64) -> Int64 {
        let r = a % step
        return r < 0 ? subtract(a - r, step) : a - r
    }
}
