import Testing
@testable import Spate

/// An order or a payment: key, event time, id.
private typealias Event = (key: String, time: Int64, id: Int)

/// `intervalJoin`: every pair with `a.time + lower <= b.time <= a.time + upper` exactly once, in the batch in
/// which the later record arrives; buffers dropped once the common watermark rules out a partner.
@Suite struct EventTimeJoinTests {
    /// Runs the join of `left` and `right` (batch by batch) and returns each batch's pairs as sorted
    /// "leftID-rightID" strings, and the batches' infos.
    private func join(
        _ left: [[Event]], _ right: [[Event]], lower: Duration, upper: Duration, delay: Duration, idle: Int = 0
    ) async throws -> (pairs: [[String]], infos: [BatchInfo]) {
        let ssc = manualContext(parallelism: 3)
        let recorder = BatchInfoRecorder()
        ssc.addListener(recorder)
        let orders = try ssc.queueStream(left, default: []).withWatermark(eventTime: { $0.time }, delay: delay)
        let payments = try ssc.queueStream(right, default: []).withWatermark(eventTime: { $0.time }, delay: delay)
        let joined = try orders.intervalJoin(payments, key: { $0.key }, otherKey: { $0.key }, lower: lower, upper: upper)
            .named("join")
        let out = Collector(joined.map { "\($0.1.0.id)-\($0.1.1.id)" })
        try await ssc.start()
        try await ssc.advance(by: .seconds(Swift.max(left.count, right.count) + idle))
        await ssc.stop(graceful: false)
        return (out.results.map { $0.sorted() }, recorder.all)
    }

    @Test func eachPairComesOnceInTheBatchOfTheLaterRecord() async throws {
        // Payments within [0, 10 s] after their order. Delay 60 s: nothing is late or evicted here.
        let orders: [[Event]] = [[("o1", 1_000, 1)], [], [("o2", 5_000, 2), ("o1", 2_000, 3)]]
        let payments: [[Event]] = [[("o1", 3_000, 101)], [("o1", 11_000, 102), ("o2", 4_000, 103)], [("o2", 5_000, 104)]]
        let (pairs, _) = try await join(orders, payments, lower: .zero, upper: .seconds(10), delay: .seconds(60))
        // Batch 1: 1-101 (both new). Batch 2: 1-102 (the order was buffered); o2 has no order yet. Batch 3: order 2 meets 104 (same batch) but not 103 (4 s < 5 s); order 3 meets 101 and 102
        // (both within [2 s, 12 s]).
        #expect(pairs == [["1-101"], ["1-102"], ["2-104", "3-101", "3-102"]])
    }

    @Test func pairsMatchThePlainSwiftReferenceAndTheBuffersEmpty() async throws {
        var random = SeededGenerator(seed: 21)
        let batches = 25
        var id = 0
        let make = { (random: inout SeededGenerator, b: Int) -> [Event] in
            (0..<Int.random(in: 0..<12, using: &random)).map { _ in
                id += 1
                let time = Int64(b) * 1000 + Int64.random(in: -2500..<1000, using: &random)
                return ("k\(Int.random(in: 0..<5, using: &random))", time, id)
            }
        }
        // The last batch moves both watermarks far ahead with one record each, of their own key.
        let left = (0..<batches - 1).map { make(&random, $0) } + [[("z", 1_000_000, 10_000)]]
        let right = (0..<batches - 1).map { make(&random, $0) } + [[("z", 1_000_000, 10_001)]]
        // Reference: every pair of on-time records, in the batch of the later one.
        var wl = ReferenceWatermark(delay: 1000), wr = ReferenceWatermark(delay: 1000)
        var seenLeft: [Event] = [], seenRight: [Event] = []
        let idle = 2
        let expected = (0..<(batches + idle)).map { b -> [String] in
            let l = wl.batch(b < batches ? left[b] : []) { $0.time }.onTime
            let r = wr.batch(b < batches ? right[b] : []) { $0.time }.onTime
            let pairs = { (ls: [Event], rs: [Event]) in
                ls.flatMap { a in
                    rs.filter { $0.key == a.key && a.time - 500 <= $0.time && $0.time <= a.time + 1500 }.map { "\(a.id)-\($0.id)" }
                }
            }
            let out = pairs(l, seenRight + r) + pairs(seenLeft, r)
            seenLeft += l
            seenRight += r
            return out.sorted()
        }
        let (pairs, infos) = try await join(left, right, lower: .milliseconds(-500), upper: .milliseconds(1500), delay: .seconds(1), idle: idle)
        #expect(pairs == expected)
        #expect(expected.joined().count > 30)
        // Once both watermarks passed every earlier record's partner window, only the last key is buffered.
        #expect(infos.last?.stateKeys["join"] == 1)
        #expect((infos.map { $0.stateKeys["join"] ?? 0 }.max() ?? 0) > 0)
    }

    @Test func aSideIsKeptUntilTheSmallerWatermarkRulesOutAPartner() async throws {
        // Orders move the left watermark far ahead; payments stay at 0 s, so the common watermark stays low
        // and the order at 1 s is kept: the payment at 5 s (on time for its own stream) still meets it.
        let orders: [[Event]] = [[("o", 1_000, 1)], [("x", 500_000, 2)], []]
        let payments: [[Event]] = [[("y", 0, 100)], [], [("o", 5_000, 101)]]
        let (pairs, infos) = try await join(orders, payments, lower: .zero, upper: .seconds(10), delay: .zero)
        #expect(pairs == [[], [], ["1-101"]])
        #expect(infos.map(\.lateRecords) == [0, 0, 0])
    }

    @Test func reversedBoundsFailAtDefinition() throws {
        let ssc = manualContext()
        let a = try ssc.queueStream([[Int64(1)]]).withWatermark(eventTime: { $0 }, delay: .zero)
        let b = try ssc.queueStream([[Int64(1)]]).withWatermark(eventTime: { $0 }, delay: .zero)
        #expect(throws: EventTimeError.joinBoundsReversed(lower: .seconds(1), upper: .zero)) {
            try a.intervalJoin(b, key: { $0 }, otherKey: { $0 }, lower: .seconds(1), upper: .zero)
        }
    }
}
