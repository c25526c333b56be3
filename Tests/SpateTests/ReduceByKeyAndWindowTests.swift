import Synchronization
import Testing
@testable import Spate

private typealias Ref = WindowReference

@Suite struct ReduceByKeyAndWindowTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let lengthS: Int, slideS: Int, parallelism: Int, seed: UInt64
        var testDescription: String { "length \(lengthS) s, slide \(slideS) s, parallelism \(parallelism)" }
    }

    static let cases: [Case] = [
        Case(lengthS: 4, slideS: 2, parallelism: 1, seed: 1),
        Case(lengthS: 4, slideS: 2, parallelism: 3, seed: 2),
        Case(lengthS: 5, slideS: 1, parallelism: 1, seed: 3),
        Case(lengthS: 5, slideS: 1, parallelism: 3, seed: 4),
        Case(lengthS: 6, slideS: 3, parallelism: 3, seed: 5),
        Case(lengthS: 2, slideS: 3, parallelism: 3, seed: 6),  // slide longer than the window
    ]

    /// The incremental form (with the inverse) equals the plain form and the reference over 20 batches,
    /// including the partial first windows and the windows the data leaves at the end.
    @Test(arguments: cases)
    func incrementalEqualsPlain(_ c: Case) async throws {
        let batches = Ref.randomPairBatches(count: 20, keys: 8, maxPerBatch: 10, seed: c.seed)
        let seconds = 20 + c.lengthS + c.slideS
        let ssc = manualContext(parallelism: c.parallelism)
        let pairs = ssc.queueStream(batches)
        let length = Duration.seconds(c.lengthS), slide = Duration.seconds(c.slideS)
        let plain = Collector(try pairs.reduceByKeyAndWindow(+, length: length, slide: slide))
        let incremental = Collector(try pairs.reduceByKeyAndWindow(
            +, inverse: -, length: length, slide: slide, filter: { $0.1 != 0 }))
        let unfiltered = Collector(try pairs.reduceByKeyAndWindow(
            +, inverse: -, length: length, slide: slide, partitions: 2))
        try await Ref.runManual(ssc, seconds: seconds)

        let times = Ref.referenceTimes(seconds: seconds, slideMs: c.slideS * 1000)
        #expect(plain.times == times)
        #expect(incremental.times == times)
        #expect(unfiltered.times == times)
        for (i, t) in times.enumerated() {
            let expected = Ref.referenceReduceByKey(Ref.referenceWindow(batches, at: t, lengthMs: c.lengthS * 1000))
            #expect(dictionary(plain.results[i]) == expected, "plain at \(t) ms")
            #expect(incremental.results[i].count == expected.count, "one entry per key at \(t) ms")
            #expect(dictionary(incremental.results[i]) == expected, "incremental at \(t) ms")
            // Without a filter, like Spark, every key of the windows so far stays, with 0 once its values left.
            var withZeros: [String: Int] = [:]
            for earlier in times[...i] {
                for (k, _) in Ref.referenceWindow(batches, at: earlier, lengthMs: c.lengthS * 1000).joined() { withZeros[k] = 0 }
            }
            withZeros.merge(expected) { $1 }
            #expect(dictionary(unfiltered.results[i]) == withZeros, "unfiltered at \(t) ms")
        }
        #expect(incremental.results.last?.isEmpty == true)
    }

    @Test func partialFirstWindowsByHand() async throws {
        let ssc = manualContext(parallelism: 2)
        let batches = [[("a", 1)], [("a", 2), ("b", 5)], [("b", 1)], [], [("c", 7)], []]
        let out = Collector(try ssc.queueStream(batches).reduceByKeyAndWindow(
            +, inverse: -, length: .seconds(3), slide: .seconds(1), filter: { $0.1 != 0 }))
        try await Ref.runManual(ssc, seconds: 8)
        #expect(out.times == [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000])
        let expected: [[String: Int]] = [
            ["a": 1], ["a": 3, "b": 5], ["a": 3, "b": 6], ["a": 2, "b": 6], ["b": 1, "c": 7], ["c": 7], ["c": 7], [:],
        ]
        #expect(out.results.map { dictionary($0) } == expected)
    }

    /// `filter` drops keys from the result and from the kept state (Spark's filterFunc).
    @Test(arguments: [1, 3])
    func filterDropsKeysFromResultAndState(parallelism: Int) async throws {
        let batches = Ref.randomPairBatches(count: 18, keys: 6, maxPerBatch: 8, seed: 77)
        let ssc = manualContext(parallelism: parallelism)
        let out = Collector(try ssc.queueStream(batches).reduceByKeyAndWindow(
            +, inverse: -, length: .seconds(4), slide: .seconds(2),
            filter: { kv in kv.0 != "k2" && kv.1 != 0 }))
        try await Ref.runManual(ssc, seconds: 24)
        #expect(out.times == Ref.referenceTimes(seconds: 24, slideMs: 2000))
        for (i, t) in out.times.enumerated() {
            let expected = Ref.referenceReduceByKey(Ref.referenceWindow(batches, at: t, lengthMs: 4000)).filter { $0.key != "k2" }
            #expect(dictionary(out.results[i]) == expected, "at \(t) ms")
        }
    }

    /// Each slide applies `inverse` once per distinct key of each leaving batch: the work follows the batches
    /// that enter and leave, not the window length.
    @Test func inverseRunsOnlyOnLeavingBatches() async throws {
        let batches = Ref.randomPairBatches(count: 20, keys: 10, maxPerBatch: 6, seed: 12)
        let inverses = Mutex(0)
        let ssc = manualContext(parallelism: 3)
        let out = Collector(try ssc.queueStream(batches).reduceByKeyAndWindow(
            +, inverse: { a, b in inverses.withLock { $0 += 1 }; return a - b },
            length: .seconds(8), slide: .seconds(1)))
        try await Ref.runManual(ssc, seconds: 24)
        #expect(out.times.count == 24)
        // Slides at t = 9...24 s remove the batch of time t - 8 s (batches 1...16).
        let expected = batches[0..<16].map { Set($0.map(\.0)).count }.reduce(0, +)
        #expect(inverses.withLock { $0 } == expected)
    }

    /// A window read at a coarser slide than its own (a gap between computed windows) is recomputed from its
    /// batches and stays correct.
    @Test func catchesUpAfterAGap() async throws {
        let batches = Ref.randomPairBatches(count: 15, keys: 5, maxPerBatch: 6, seed: 31)
        let ssc = manualContext(parallelism: 2)
        let sums = try ssc.queueStream(batches).reduceByKeyAndWindow(
            +, inverse: -, length: .seconds(4), slide: .seconds(1), filter: { $0.1 != 0 })
        // Reads `sums` only every 3 s: times 3, 6, 9, ... so each read follows a gap of 2 windows.
        let out = Collector(try sums.window(length: .seconds(1), slide: .seconds(3)))
        try await Ref.runManual(ssc, seconds: 18)
        #expect(out.times == Ref.referenceTimes(seconds: 18, slideMs: 3000))
        for (i, t) in out.times.enumerated() {
            #expect(dictionary(out.results[i]) == Ref.referenceReduceByKey(Ref.referenceWindow(batches, at: t, lengthMs: 4000)),
                    "at \(t) ms")
        }
    }

    @Test func reducedWindowKeepsPerBatchReductions() async throws {
        // With slide 1 s and a 5 s window, each record goes through the user's map once (batches are
        // remembered, never recomputed for the leaving side).
        let batches = Ref.randomPairBatches(count: 16, keys: 5, maxPerBatch: 5, seed: 41)
        let mapped = Mutex(0)
        let ssc = manualContext(parallelism: 3)
        let pairs = ssc.queueStream(batches).map { kv -> (String, Int) in mapped.withLock { $0 += 1 }; return kv }
        let out = Collector(try pairs.reduceByKeyAndWindow(+, inverse: -, length: .seconds(5), slide: .seconds(1),
                                                           filter: { $0.1 != 0 }))
        try await Ref.runManual(ssc, seconds: 22)
        #expect(mapped.withLock { $0 } == batches.joined().count)
        for (i, t) in out.times.enumerated() {
            #expect(dictionary(out.results[i]) == Ref.referenceReduceByKey(Ref.referenceWindow(batches, at: t, lengthMs: 5000)))
        }
    }
}
