/// A validated event-time window definition: windows `[k*slide, k*slide + length)` for every integer k,
/// `length` a multiple of `slide`, both positive, independent of the batch interval.
@usableFromInline
struct EventWindowSpec: Sendable {
    @usableFromInline let lengthMs: Int64
    @usableFromInline let slideMs: Int64

    /// Checks `length` and `slide` (default: `length`, tumbling) for `operation`.
    /// - Throws: `EventTimeError.nonPositiveWindow` or `.lengthNotMultipleOfSlide`.
    @usableFromInline
    init(operation: String, length: Duration, slide: Duration?) throws {
        let slide = slide ?? length
        for (what, duration) in [("length", length), ("slide", slide)] where duration.wholeMilliseconds < 1 {
            throw EventTimeError.nonPositiveWindow(operation: operation, what: what, duration: duration)
        }
        lengthMs = Int64(length.wholeMilliseconds)
        slideMs = Int64(slide.wholeMilliseconds)
        guard lengthMs % slideMs == 0 else {
            throw EventTimeError.lengthNotMultipleOfSlide(
                operation: operation, lengthMilliseconds: lengthMs, slideMilliseconds: slideMs)
        }
    }

    /// Calls `body` with every window that holds `time` (start <= time < end), newest first:
    /// `length / slide` windows.
    @inlinable @inline(__always)
    func forEachWindow(containing time: Int64, _ body: (EventWindow) -> Void) {
        var start = EventTimeMath.floor(time, multipleOf: slideMs)
        let before = EventTimeMath.subtract(time, lengthMs)
        while start > before {
            body(EventWindow(start: start, end: EventTimeMath.add(start, lengthMs)))
            let (next, overflow) = start.subtractingReportingOverflow(slideMs)
            if overflow { return }
            start = next
        }
    }
}
