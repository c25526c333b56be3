import Benchmark
import Spate

/// Tumbling event-time windows of 10 s over `EventTimeWorkload`'s events (delay 5 s, `.append`): views per
/// campaign (`countByKeyAndWindow`) and cents per campaign (`reduceByKeyAndWindow` with `key:`/`value:`),
/// each beside a hand loop on flat tables keyed by (window, campaign) as one integer.
enum EventTimeWindows {
    static let countName = "event-time-count"
    static let reduceName = "event-time-reduce"
    static let expectedCount = EventTimeWorkload.referenceWindows { $0.kind == 0 ? (Int($0.campaign), 1) : nil }
    static let expectedReduce = EventTimeWorkload.referenceWindows { (Int($0.campaign), cents($0.value)) }

    /// The engine's watermarked stream of the events.
    static func timed(_ ssc: StreamingContext) throws -> EventTimeStream<Event> {
        try ssc.queueStream(EventTimeWorkload.events)
            .withWatermark(eventTime: { $0.ts }, delay: .milliseconds(EventTimeWorkload.delayMs))
    }

    static func engineCount(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        try timed(ssc).filter { $0.kind == 0 }
            .countByKeyAndWindow(key: { Int($0.campaign) }, length: .milliseconds(EventTimeWorkload.windowMs))
            .foreachBatch { batch, _ in sum.add(EventTimeWorkload.checksum(batch)) }
        try await runEngine(
            benchmark, countName, ssc, records: EventTimeWorkload.records, checksum: sum, expected: expectedCount)
    }

    static func engineReduce(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        try timed(ssc)
            .reduceByKeyAndWindow(key: { Int($0.campaign) }, value: { cents($0.value) }, +,
                                  length: .milliseconds(EventTimeWorkload.windowMs))
            .foreachBatch { batch, _ in sum.add(EventTimeWorkload.checksum(batch)) }
        try await runEngine(
            benchmark, reduceName, ssc, records: EventTimeWorkload.records, checksum: sum, expected: expectedReduce)
    }

    static func handCount(_ benchmark: Benchmark) throws { try hand(benchmark, countName, Views.self, expectedCount) }

    static func handReduce(_ benchmark: Benchmark) throws { try hand(benchmark, reduceName, Cents.self, expectedReduce) }

    /// What a hand loop adds per event, resolved at compile time (no closure call per event).
    protocol WindowValue { static func value(_ e: Event) -> Int? }
    /// Views count 1, other kinds nothing.
    enum Views: WindowValue { @inline(__always) static func value(_ e: Event) -> Int? { e.kind == 0 ? 1 : nil } }
    /// Every event's value, in cents.
    enum Cents: WindowValue { @inline(__always) static func value(_ e: Event) -> Int? { cents(e.value) } }

    /// The hand loop: each core owns the campaigns of its half and scans the whole batch (no merge step),
    /// adding each on-time event's value into a flat table keyed by `window << 10 | campaign`; after the
    /// batch it moves the windows still open into a fresh table and sums the closed ones.
    static func hand<Value: WindowValue>(
        _ benchmark: Benchmark, _ name: String, _: Value.Type, _ expected: Int
    ) throws {
        let windowMs = EventTimeWorkload.windowMs, delayMs = EventTimeWorkload.delayMs
        var open = [IntTable<Int>(maxKeys: 16_384, zero: 0), IntTable<Int>(maxKeys: 16_384, zero: 0)]
        var newestSeen = Int64.min
        try runHand(benchmark, name, records: EventTimeWorkload.records, expected: expected) { i in
            let batch = EventTimeWorkload.events[i], tables = open, seen = newestSeen
            // W(t): the newest event time of the batches before, minus the delay (none before the first).
            let before = seen == .min ? Int64.min : seen - delayMs
            let results = onBothCores { h -> (newest: Int64, sum: Int, open: IntTable<Int>) in
                let table = tables[h]
                var newest = seen
                batch.withUnsafeBufferPointer { events in
                    for e in events {
                        if e.ts > newest { newest = e.ts }
                        let campaign = Int(e.campaign)
                        guard e.ts >= before, half(campaign) == h, let v = Value.value(e) else { continue }
                        table.values[table.slot(Int(e.ts / windowMs) << 10 | campaign)] &+= v
                    }
                }
                let after = newest &- delayMs
                let kept = IntTable<Int>(maxKeys: 16_384, zero: 0)
                var sum = 0
                table.forEachSlot { s in
                    let key = table.keys[s], start = Int64(key >> 10) * windowMs
                    if start + windowMs <= after {
                        sum &+= EventTimeWorkload.checksum(
                            key: key & 1023, start: start, end: start + windowMs, value: table.values[s])
                    } else {
                        kept.values[kept.slot(key)] = table.values[s]
                    }
                }
                return (newest, sum, kept)
            }
            newestSeen = results[0].newest
            open = [results[0].open, results[1].open]
            return results[0].sum &+ results[1].sum
        }
    }
}
