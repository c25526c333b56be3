import Synchronization
import Testing
@testable import Spate

/// Plain-Swift updateStateByKey: the state after each batch, in batch order.
private func referenceStates<K: Hashable, V, S>(
    _ batches: [[(K, V)]], initial: [K: S] = [:], _ update: ([V], S?) -> S?
) -> [[K: S]] {
    var state = initial
    var out: [[K: S]] = []
    for batch in batches {
        var groups: [K: [V]] = [:]
        var order: [K] = []
        for (k, v) in batch {
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(v)
        }
        var next: [K: S] = [:]
        for key in Set(state.keys).union(order) {
            if let s = update(groups[key] ?? [], state[key]) { next[key] = s }
        }
        state = next
        out.append(state)
    }
    return out
}

/// Counts failed records per completed batch.
private final class FailureCounter: StreamingListener {
    private let stored = Mutex<[(failed: Int, errors: [String])]>([])
    var failed: [Int] { stored.withLock { $0.map(\.failed) } }
    var errors: [String] { stored.withLock { $0.flatMap(\.errors) } }
    func batchCompleted(_ info: BatchInfo) { stored.withLock { $0.append((info.failedRecords, info.recordErrors)) } }
}

/// Running sums: a 0 value removes the key; a key without new values decays by 1 and goes at 0.
@Sendable private func decayingSum(_ values: [Int], _ state: Int?) -> Int? {
    if values.contains(0) { return nil }
    if values.isEmpty {
        let next = (state ?? 0) - 1
        return next > 0 ? next : nil
    }
    return (state ?? 0) + values.reduce(0, +)
}

@Suite struct UpdateStateByKeyTests {
    static let batches: [[(String, Int)]] = [
        [("a", 1), ("b", 2), ("a", 3)],
        [("c", 5)],
        [],
        [("a", 0), ("b", 4)],
        [("a", 2), ("c", 1), ("c", 1)],
        [("d", 9), ("b", 0)],
        [],
        [("e", 1), ("a", 1)],
        [("c", 0), ("d", 1)],
        [("a", 4)],
    ]

    @Test func runningStateWithRemovalMatchesReference() async throws {
        let ssc = manualContext(parallelism: 3)
        let totals = ssc.queueStream(Self.batches).updateStateByKey(decayingSum)
        let out = Collector(totals)
        try await ssc.start()
        try await ssc.advance(by: .seconds(Self.batches.count))
        await ssc.stop()
        let expected = referenceStates(Self.batches, decayingSum)
        #expect(out.times == Array(1...Self.batches.count).map { $0 * 1000 })
        #expect(out.results.map { dictionary($0) } == expected)
        // Each key appears once per batch.
        for batch in out.results { #expect(Set(batch.map(\.0)).count == batch.count) }
        // Spot checks: keys without new values decay ("b" is gone after the empty batch 3); "a" is removed by
        // its 0 at batch 4 and "b" comes back new.
        #expect(expected[2] == ["a": 2, "c": 4])
        #expect(expected[3] == ["b": 4, "c": 3])
    }

    @Test func valuesArriveInBatchOrderAcrossPartitions() async throws {
        let ssc = manualContext(parallelism: 3)
        let batches: [[(Int, String)]] = (0..<8).map { b in
            (0..<12).map { i in (i % 4, "\(b)\(i)") }
        }
        let joined = ssc.queueStream(batches).updateStateByKey(
            { (values: [String], state: String?) in (state ?? "") + values.joined(separator: ",") + ";" },
            partitions: 2)
        let out = Collector(joined)
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches.count))
        await ssc.stop()
        let expected = referenceStates(batches) { (values: [String], state: String?) in
            (state ?? "") + values.joined(separator: ",") + ";"
        }
        #expect(out.results.map { dictionary($0) } == expected)
        #expect(out.results.allSatisfy { $0.count == 4 })
    }

    @Test func initialStateIsTheFirstOldState() async throws {
        let ssc = manualContext()
        let initial = [("x", 10), ("a", 5), ("x", 7)]  // the last "x" wins
        let totals = ssc.queueStream(Self.batches).updateStateByKey(decayingSum, initialState: initial)
        let out = Collector(totals)
        try await ssc.start()
        try await ssc.advance(by: .seconds(Self.batches.count))
        await ssc.stop()
        let expected = referenceStates(Self.batches, initial: ["x": 7, "a": 5], decayingSum)
        #expect(out.results.map { dictionary($0) } == expected)
        #expect(expected[0]["x"] == 6 && expected[0]["a"] == 9)
    }

    @Test func throwingUpdateIsCountedAndKeepsTheOldState() async throws {
        struct Odd: Error {}
        let ssc = manualContext()
        let failures = FailureCounter()
        ssc.addListener(failures)
        // Odd values make the update throw: the key keeps its state (or stays absent).
        let batches: [[(String, Int)]] = [
            [("a", 2)], [("a", 3), ("b", 1)], [("b", 4)], [("a", 4)], [], [("c", 5)], [("c", 2)], [("a", 1)],
        ]
        let update: @Sendable ([Int], Int?) throws -> Int? = { values, state in
            if values.contains(where: { $0 % 2 == 1 }) { throw Odd() }
            return (state ?? 0) + values.reduce(0, +)
        }
        let totals = ssc.queueStream(batches).updateStateByKey(update)
        let out = Collector(totals)
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches.count))
        await ssc.stop()
        let expected = referenceStates(batches) { values, state -> Int? in
            if values.contains(where: { $0 % 2 == 1 }) { return state }
            return (state ?? 0) + values.reduce(0, +)
        }
        #expect(out.results.map { dictionary($0) } == expected)
        #expect(failures.failed == [0, 2, 0, 0, 0, 1, 0, 1])
        #expect(failures.errors.first?.contains("updateStateByKey") == true)
    }

    /// A consumer that asks only every second batch still sees the state advance once per batch.
    @Test func everySecondBatchConsumerSeesEveryBatchApplied() async throws {
        let ssc = manualContext(parallelism: 2)
        let calls = Atomic<Int>(0)
        let totals = ssc.queueStream(Self.batches).updateStateByKey { (values: [Int], state: Int?) -> Int? in
            calls.add(1, ordering: .relaxed)
            return decayingSum(values, state)
        }
        let everySecond = DStream<(String, Int)>(
            context: ssc, name: "everySecond", parents: [totals], slideMs: 2000
        ) { time, run in try totals.getOrCompute(time, run) }
        let out = Collector(everySecond)
        try await ssc.start()
        try await ssc.advance(by: .seconds(Self.batches.count))
        await ssc.stop()
        let expected = referenceStates(Self.batches, decayingSum)
        #expect(out.times == [2000, 4000, 6000, 8000, 10000])
        #expect(out.results.map { dictionary($0) } == [expected[1], expected[3], expected[5], expected[7], expected[9]])
        // One call per key with new values or state, per batch: nothing applied twice.
        var expectedCalls = 0
        var previous: [String: Int] = [:]
        for (i, batch) in Self.batches.enumerated() {
            expectedCalls += Set(previous.keys).union(batch.map(\.0)).count
            previous = expected[i]
        }
        #expect(calls.load(ordering: .relaxed) == expectedCalls)
    }

    /// Asking the node for time 3 when nothing asked for times 1 and 2 applies 1, 2, 3 in order; asking
    /// again (or for the skipped times) applies nothing twice.
    @Test func askingALaterTimeCatchesUp() async throws {
        let ssc = manualContext(parallelism: 3)
        let source = ssc.queueStream(Self.batches)
        let totals = source.updateStateByKey(decayingSum)
        source.foreachBatch { _, _ in }  // the only output: nothing asks `totals` during the batches
        source.remember(60_000)
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        let expected = referenceStates(Self.batches, decayingSum)
        let at3 = try #require(try totals.getOrCompute(BatchTime(milliseconds: 3000), BatchRun(time: BatchTime(milliseconds: 3000))))
        #expect(dictionary(at3.materialize(BatchRun(time: BatchTime(milliseconds: 3000))).flatMap { $0 }) == expected[2])
        let at2 = try #require(try totals.getOrCompute(BatchTime(milliseconds: 2000), BatchRun(time: BatchTime(milliseconds: 2000))))
        #expect(dictionary(at2.materialize(BatchRun(time: BatchTime(milliseconds: 2000))).flatMap { $0 }) == expected[1])
        let again = try #require(try totals.getOrCompute(BatchTime(milliseconds: 3000), BatchRun(time: BatchTime(milliseconds: 3000))))
        #expect(dictionary(again.materialize(BatchRun(time: BatchTime(milliseconds: 3000))).flatMap { $0 }) == expected[2])
        await ssc.stop()
    }

    @Test(arguments: [1, 3])
    func randomBatchesMatchReference(parallelism: Int) async throws {
        for seed in UInt64(1)...4 {
            var rng = SeededGenerator(seed: seed &* 7919 &+ UInt64(parallelism))
            let batches: [[(Int, Int)]] = (0..<12).map { _ in
                let n = Int.random(in: 0...15, using: &rng)
                return (0..<n).map { _ in (Int.random(in: 0..<10, using: &rng), Int.random(in: 0...9, using: &rng)) }
            }
            let partitions = Int.random(in: 1...4, using: &rng)
            let ssc = manualContext(parallelism: parallelism)
            let totals = ssc.queueStream(batches).updateStateByKey(decayingSum, partitions: partitions)
            let out = Collector(totals)
            try await ssc.start()
            try await ssc.advance(by: .seconds(batches.count))
            await ssc.stop()
            let expected = referenceStates(batches, decayingSum)
            #expect(out.results.map { dictionary($0) } == expected, "seed \(seed), partitions \(partitions)")
            #expect(out.results.map(\.count) == expected.map(\.count))
        }
    }
}
