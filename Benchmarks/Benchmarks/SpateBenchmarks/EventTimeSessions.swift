import Benchmark
import Spate

/// Sessions per user (`reduceByKeyAndSession`, a 30 s gap, counts, delay 5 s, `.append`) over
/// `EventTimeWorkload`'s events, beside a hand loop: a flat table from user to its first open session in a
/// pool of sessions linked in time order.
enum EventTimeSessions {
    static let name = "event-time-sessions"
    static let expected = EventTimeWorkload.referenceSessions()

    static func engine(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        try EventTimeWindows.timed(ssc)
            .reduceByKeyAndSession(key: { Int($0.user) }, value: { _ in 1 }, +,
                                   gap: .milliseconds(EventTimeWorkload.gapMs))
            .foreachBatch { batch, _ in sum.add(EventTimeWorkload.checksum(batch)) }
        try await runEngine(benchmark, name, ssc, records: EventTimeWorkload.records, checksum: sum, expected: expected)
    }

    /// The hand loop: each core owns the users of its half, scans the whole batch and adds each on-time event
    /// to its user's sessions; after the batch it walks every user's sessions and emits the closed ones.
    static func hand(_ benchmark: Benchmark) throws {
        let delayMs = EventTimeWorkload.delayMs
        let cores = [SessionPool(users: Workload.users), SessionPool(users: Workload.users)]
        var newestSeen = Int64.min
        try runHand(benchmark, name, records: EventTimeWorkload.records, expected: expected) { i in
            let batch = EventTimeWorkload.events[i], seen = newestSeen
            let before = seen == .min ? Int64.min : seen - delayMs
            let results = onBothCores { h -> (newest: Int64, sum: Int) in
                let pool = cores[h]
                var newest = seen
                batch.withUnsafeBufferPointer { events in
                    for e in events {
                        if e.ts > newest { newest = e.ts }
                        let user = Int(e.user)
                        guard e.ts >= before, half(user) == h else { continue }
                        pool.add(user: user, time: e.ts)
                    }
                }
                return (newest, pool.close(through: newest &- delayMs))
            }
            newestSeen = results[0].newest
            return results[0].sum &+ results[1].sum
        }
    }
}

/// One core's open sessions: `heads` maps a user to its earliest open session; sessions live in one flat
/// buffer of slots (start, end, count, next), linked in time order per user, freed slots reused. No
/// per-event allocation (the buffer doubles when full, a few times per run).
///
/// `@unchecked Sendable` is safe: as `IntTable`, one core uses a pool at a time, handed over by `onBothCores`.
final class SessionPool: @unchecked Sendable {
    struct Slot {
        var start: Int64
        var end: Int64
        var count: Int
        var next: Int32
    }

    private let heads: IntTable<Int32>
    private var slots: UnsafeMutablePointer<Slot>
    private var capacity = 1 << 16
    private var used = 0
    private var free: Int32 = -1
    private let gapMs = EventTimeWorkload.gapMs

    init(users: Int) {
        heads = IntTable(maxKeys: users, zero: -1)
        slots = .allocate(capacity: capacity)
    }

    deinit { slots.deallocate() }

    @inline(__always)
    private func allocate(_ slot: Slot) -> Int32 {
        if free >= 0 {
            let i = free
            free = slots[Int(i)].next
            slots[Int(i)] = slot
            return i
        }
        if used == capacity {
            let grown = UnsafeMutablePointer<Slot>.allocate(capacity: 2 * capacity)
            grown.moveInitialize(from: slots, count: used)
            slots.deallocate()
            slots = grown
            capacity *= 2
        }
        (slots + used).initialize(to: slot)
        used += 1
        return Int32(used - 1)
    }

    @inline(__always)
    private func release(_ i: Int32) {
        slots[Int(i)].next = free
        free = i
    }

    /// Adds an event: its span `[time, time + gap)` merges with every session it overlaps, else is a new one.
    @inline(__always)
    func add(user: Int, time: Int64) {
        let slot = heads.slot(user), spanEnd = time + gapMs
        var prev: Int32 = -1, cur = heads.values[slot]
        while cur >= 0 && slots[Int(cur)].end <= time { prev = cur; cur = slots[Int(cur)].next }
        if cur >= 0 && slots[Int(cur)].start < spanEnd {
            let c = Int(cur)
            slots[c].start = Swift.min(slots[c].start, time)
            slots[c].end = Swift.max(slots[c].end, spanEnd)
            slots[c].count += 1
            // A span that bridges sessions absorbs every later one it overlaps.
            while slots[c].next >= 0 && slots[Int(slots[c].next)].start < spanEnd {
                let n = slots[c].next
                slots[c].end = Swift.max(slots[c].end, slots[Int(n)].end)
                slots[c].count += slots[Int(n)].count
                slots[c].next = slots[Int(n)].next
                release(n)
            }
            return
        }
        let fresh = allocate(Slot(start: time, end: spanEnd, count: 1, next: cur))
        if prev >= 0 { slots[Int(prev)].next = fresh } else { heads.values[slot] = fresh }
    }

    /// Emits and frees every session that ends at or before `watermark`; returns their checksum.
    func close(through watermark: Int64) -> Int {
        var sum = 0
        heads.forEachSlot { slot in
            var cur = heads.values[slot]
            while cur >= 0 && slots[Int(cur)].end <= watermark {
                let x = slots[Int(cur)]
                sum &+= EventTimeWorkload.checksum(key: heads.keys[slot], start: x.start, end: x.end, value: x.count)
                release(cur)
                cur = x.next
            }
            heads.values[slot] = cur
        }
        return sum
    }
}
