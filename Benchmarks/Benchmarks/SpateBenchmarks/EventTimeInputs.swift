import Spate

/// The event-time benchmarks' input and reference (issue 13, point 7): W2's events (../shared/WORKLOADS.md:
/// one event a millisecond, 100,000 users, 1,000 campaigns, 90% views), 200,000 a batch, with 5% of them out
/// of order: moved back in event time by 1 ms to the delay (5 s), so none is late by the watermark's rule.
///
/// Event time must advance from batch to batch, so unlike W1-W5 the 23 batches of a run are all distinct
/// (about 150 MB of events, held by every form alike). The events arrive parsed (`Event` values): these
/// benchmarks measure the event-time operators, W2 measures the parse.
enum EventTimeWorkload {
    static let eventsPerBatch = 200_000
    static let delayMs: Int64 = 5_000
    static let windowMs: Int64 = 10_000
    static let gapMs: Int64 = 30_000
    static var records: Int { Workload.timedBatches * eventsPerBatch }

    static let events: [[Event]] = {
        var random = SeededRandom(seed: 13)
        let batches = Workload.warmBatches + Workload.timedBatches
        return WorkloadData.events(batches: batches, size: eventsPerBatch).map { batch in
            batch.map { e in
                guard Double.random(in: 0..<1, using: &random) < 0.05 else { return e }
                let ts = e.ts - Int64.random(in: 1...delayMs, using: &random)
                return Event(ts: ts, user: e.user, campaign: e.campaign, kind: e.kind, value: e.value)
            }
        }
    }()

    /// A closed window's or session's part of a checksum (wrapping, so the order of emission does not matter).
    @inline(__always)
    static func checksum(key: Int, start: Int64, end: Int64, value: Int) -> Int {
        (key &+ 1) &* value &+ Int(truncatingIfNeeded: start) &* 3 &+ Int(truncatingIfNeeded: end)
    }

    /// What the engine emits, summed: each `(Windowed<Int>, value)` row's checksum.
    static func checksum(_ batch: Batch<(Windowed<Int>, Int)>) -> Int {
        var s = 0
        for part in batch.partitions {
            for (w, v) in part { s &+= checksum(key: w.key, start: w.window.start, end: w.window.end, value: v) }
        }
        return s
    }

    /// The watermark rule of API.md in plain Swift: W(t) from the batches before, late records dropped,
    /// W(t+1) after. `batch(i, onTime, after)` gets each batch's on-time events and returns its checksum,
    /// summed over the timed batches.
    static func reference(_ batch: (_ onTime: [Event], _ after: Int64) -> Int) -> Int {
        var newest: Int64?, total = 0
        for (i, events) in events.enumerated() {
            let w = newest.map { $0 - delayMs }
            let onTime = events.filter { w == nil || $0.ts >= w! }
            for e in events { newest = Swift.max(newest ?? e.ts, e.ts) }
            let s = batch(onTime, newest! - delayMs)
            if Workload.timed.contains(i) { total &+= s }
        }
        return total
    }

    /// Plain-Swift tumbling windows: `(key, value)` of each on-time event summed per `(key, window)`, each
    /// window emitted once the watermark after a batch reaches its end.
    static func referenceWindows(_ keyValue: @escaping (Event) -> (Int, Int)?) -> Int {
        var open: [Int64: [Int: Int]] = [:]
        return reference { onTime, after in
            for e in onTime {
                guard let (k, v) = keyValue(e) else { continue }
                open[e.ts / windowMs * windowMs, default: [:]][k, default: 0] += v
            }
            var s = 0
            for (start, keys) in open where start + windowMs <= after {
                for (k, v) in keys { s &+= checksum(key: k, start: start, end: start + windowMs, value: v) }
                open[start] = nil
            }
            return s
        }
    }

    /// Plain-Swift sessions per user: spans `[ts, ts + gap)` merged while they overlap, counted, each emitted
    /// once the watermark after a batch reaches its end.
    static func referenceSessions() -> Int {
        var open: [Int: [(start: Int64, end: Int64, count: Int)]] = [:]
        return reference { onTime, after in
            for e in onTime {
                let user = Int(e.user), spanEnd = e.ts + gapMs
                var sessions = open[user] ?? []
                let overlapping = sessions.filter { $0.end > e.ts && $0.start < spanEnd }
                sessions.removeAll { $0.end > e.ts && $0.start < spanEnd }
                sessions.append((
                    overlapping.map(\.start).min().map { Swift.min($0, e.ts) } ?? e.ts,
                    overlapping.map(\.end).max().map { Swift.max($0, spanEnd) } ?? spanEnd,
                    overlapping.map(\.count).reduce(1, +)))
                open[user] = sessions
            }
            var s = 0
            for (user, sessions) in open {
                let kept = sessions.filter { $0.end > after }
                for x in sessions where x.end <= after {
                    s &+= checksum(key: user, start: x.start, end: x.end, value: x.count)
                }
                open[user] = kept.isEmpty ? nil : kept
            }
            return s
        }
    }
}
