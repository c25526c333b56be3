import Synchronization
import Testing
@testable import Spate

/// Plain-Swift reference computations shared by the window test suites.
enum WindowReference {
    /// Batch times are k x 1000 ms (k = 1, 2, ...) and `batches[k - 1]` is the batch of time k x 1000 ms; later
    /// batches are empty. The window at `t` holds the batches at times in `(t - lengthMs, t]` that exist (> 0).
    static func referenceWindow<T>(_ batches: [[T]], at t: Int, lengthMs: Int) -> [[T]] {
        stride(from: t - lengthMs + 1000, through: t, by: 1000).compactMap { time in
            guard time > 0 else { return nil }
            let i = time / 1000 - 1
            return i < batches.count ? batches[i] : []
        }
    }

    /// The window times of a slide over `seconds` seconds of the manual clock.
    static func referenceTimes(seconds: Int, slideMs: Int) -> [Int] {
        Array(stride(from: slideMs, through: seconds * 1000, by: slideMs))
    }

    static func referenceReduceByKey(_ batches: [[(String, Int)]], _ combine: (Int, Int) -> Int = (+)) -> [String: Int] {
        var out: [String: Int] = [:]
        for (k, v) in batches.joined() { out[k] = out[k].map { combine($0, v) } ?? v }
        return out
    }

    /// Random (key, value) batches, some of them empty.
    static func randomPairBatches(count: Int, keys: Int, maxPerBatch: Int, seed: UInt64) -> [[(String, Int)]] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let n = Int.random(in: 0...maxPerBatch, using: &g)
            return (0..<n).map { _ in ("k\(Int.random(in: 0..<keys, using: &g))", Int.random(in: 1...9, using: &g)) }
        }
    }

    static func randomIntBatches(count: Int, maxPerBatch: Int, seed: UInt64) -> [[Int]] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...maxPerBatch, using: &g)).map { _ in Int.random(in: 0..<20, using: &g) }
        }
    }

    /// Starts `ssc`, runs `seconds` batch intervals of one second, stops.
    static func runManual(_ ssc: StreamingContext, seconds: Int) async throws {
        try await ssc.start()
        try await ssc.advance(by: .seconds(seconds))
        await ssc.stop()
    }
}

private typealias Ref = WindowReference

@Suite struct WindowTests {
    @Test(arguments: [1, 3])
    func slidingWindowEqualsConcatenatedBatches(parallelism: Int) async throws {
        let batches = Ref.randomIntBatches(count: 12, maxPerBatch: 7, seed: 7)
        let ssc = manualContext(parallelism: parallelism)
        let out = Collector(try ssc.queueStream(batches).window(length: .seconds(3)))
        try await Ref.runManual(ssc, seconds: 15)
        #expect(out.times == Ref.referenceTimes(seconds: 15, slideMs: 1000))
        for (i, t) in out.times.enumerated() {
            // Oldest batch first, each batch's records in order.
            #expect(out.results[i] == Array(Ref.referenceWindow(batches, at: t, lengthMs: 3000).joined()), "window at \(t) ms")
        }
        // Partial first windows: only the batches since the zero time.
        #expect(out.results[0] == batches[0])
        #expect(out.results[1] == batches[0] + batches[1])
    }

    @Test(arguments: [1, 3])
    func slideOfSeveralBatchesRunsOnlyAtSlideTimes(parallelism: Int) async throws {
        let batches = Ref.randomIntBatches(count: 16, maxPerBatch: 5, seed: 11)
        let ssc = manualContext(parallelism: parallelism)
        let out = Collector(try ssc.queueStream(batches).window(length: .seconds(4), slide: .seconds(2)))
        try await Ref.runManual(ssc, seconds: 18)
        #expect(out.times == [2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000])
        for (i, t) in out.times.enumerated() {
            #expect(out.results[i] == Array(Ref.referenceWindow(batches, at: t, lengthMs: 4000).joined()), "window at \(t) ms")
        }
    }

    @Test func slideLongerThanLengthSkipsBatches() async throws {
        let batches = (1...9).map { [$0] }
        let ssc = manualContext()
        let out = Collector(try ssc.queueStream(batches).window(length: .seconds(2), slide: .seconds(3)))
        try await Ref.runManual(ssc, seconds: 9)
        #expect(out.times == [3000, 6000, 9000])
        #expect(out.results == [[2, 3], [5, 6], [8, 9]])
    }

    @Test func windowOfAWindow() async throws {
        let batches = (1...8).map { [$0, 10 * $0] }
        let ssc = manualContext()
        let inner = try ssc.queueStream(batches).window(length: .seconds(2), slide: .seconds(2))
        let out = Collector(try inner.window(length: .seconds(4), slide: .seconds(4)))
        try await Ref.runManual(ssc, seconds: 8)
        #expect(out.times == [4000, 8000])
        #expect(out.results == [Array(batches[0..<4].joined()), Array(batches[4..<8].joined())])
        // The outer window must be a multiple of the inner window's slide.
        #expect(throws: SpateError.self) { try inner.window(length: .seconds(3), slide: .seconds(2)) }
    }

    @Test func durationsThatAreNotMultiplesOfTheIntervalThrow() throws {
        let ssc = manualContext()
        let s = ssc.queueStream([[1]])
        let pairs = s.map { ($0, $0) }
        let failing: [(String, () throws -> Void)] = [
            ("window length", { _ = try s.window(length: .milliseconds(1500)) }),
            ("window slide", { _ = try s.window(length: .seconds(4), slide: .milliseconds(2500)) }),
            ("zero length", { _ = try s.window(length: .zero) }),
            ("countByWindow", { _ = try s.countByWindow(length: .milliseconds(2200)) }),
            ("reduceByWindow", { _ = try s.reduceByWindow(+, length: .seconds(2), slide: .milliseconds(10)) }),
            ("reduceByWindow inverse", { _ = try s.reduceByWindow(+, inverse: -, length: .milliseconds(999)) }),
            ("countByValueAndWindow", { _ = try s.countByValueAndWindow(length: .milliseconds(1001)) }),
            ("groupByKeyAndWindow", { _ = try pairs.groupByKeyAndWindow(length: .milliseconds(300)) }),
            ("reduceByKeyAndWindow", { _ = try pairs.reduceByKeyAndWindow(+, length: .seconds(3), slide: .milliseconds(1500)) }),
            ("reduceByKeyAndWindow inverse", { _ = try pairs.reduceByKeyAndWindow(+, inverse: -, length: .milliseconds(4500)) }),
        ]
        for (name, define) in failing {
            do {
                try define()
                Issue.record("\(name) should have thrown")
            } catch let error as SpateError {
                #expect("\(error)".contains("multiple"), "\(name): \(error)")
                if case .durationNotMultiple = error {} else { Issue.record("\(name): unexpected \(error)") }
            }
        }
    }

    @Test(arguments: [(3, 1), (4, 2), (2, 2)])
    func countByWindowCountsTheWindowsRecords(lengthS: Int, slideS: Int) async throws {
        var batches = Ref.randomIntBatches(count: 12, maxPerBatch: 6, seed: 3)
        batches[0] = []  // a window with no record yet still counts 0
        let ssc = manualContext(parallelism: 3)
        let out = Collector(try ssc.queueStream(batches).countByWindow(length: .seconds(lengthS), slide: .seconds(slideS)))
        try await Ref.runManual(ssc, seconds: 16)
        #expect(out.times == Ref.referenceTimes(seconds: 16, slideMs: slideS * 1000))
        let expected = out.times.map { [Ref.referenceWindow(batches, at: $0, lengthMs: lengthS * 1000).joined().count] }
        #expect(out.results == expected)
        #expect(out.results.last == [0])
    }

    @Test func reduceByWindowWithAndWithoutInverse() async throws {
        let batches = Ref.randomIntBatches(count: 15, maxPerBatch: 4, seed: 5) + [[], [], []]
        let ssc = manualContext(parallelism: 3)
        let s = ssc.queueStream(batches)
        let plain = Collector(try s.reduceByWindow(+, length: .seconds(4), slide: .seconds(2)))
        let incremental = Collector(try s.reduceByWindow(+, inverse: -, length: .seconds(4), slide: .seconds(2)))
        let maxima = Collector(try s.reduceByWindow(max, length: .seconds(3)))
        try await Ref.runManual(ssc, seconds: 22)
        #expect(plain.times == Ref.referenceTimes(seconds: 22, slideMs: 2000))
        #expect(incremental.times == plain.times)
        for (i, t) in plain.times.enumerated() {
            let window = Array(Ref.referenceWindow(batches, at: t, lengthMs: 4000).joined())
            // Without an inverse, an empty window has no record; with one, it keeps the "empty" sum (as Spark).
            #expect(plain.results[i] == (window.isEmpty ? [] : [window.reduce(0, +)]), "at \(t) ms")
            let seenSoFar = !Ref.referenceWindow(batches, at: t, lengthMs: t).joined().isEmpty
            #expect(incremental.results[i] == (seenSoFar ? [window.reduce(0, +)] : []), "at \(t) ms")
        }
        #expect(incremental.results.last == [0])
        for (i, t) in maxima.times.enumerated() {
            let window = Ref.referenceWindow(batches, at: t, lengthMs: 3000).joined()
            #expect(maxima.results[i] == (window.max().map { [$0] } ?? []), "at \(t) ms")
        }
    }

    @Test(arguments: [(1, 5, 1), (3, 4, 2), (2, 3, 3)])
    func countByValueAndWindowMatchesReference(parallelism: Int, lengthS: Int, slideS: Int) async throws {
        let batches = Ref.randomIntBatches(count: 16, maxPerBatch: 8, seed: 99).map { $0.map { $0 % 7 } } + [[], [], [], [], []]
        let ssc = manualContext(parallelism: parallelism)
        let out = Collector(try ssc.queueStream(batches)
            .countByValueAndWindow(length: .seconds(lengthS), slide: .seconds(slideS), partitions: parallelism + 1))
        try await Ref.runManual(ssc, seconds: 21)
        #expect(out.times == Ref.referenceTimes(seconds: 21, slideMs: slideS * 1000))
        for (i, t) in out.times.enumerated() {
            var counts: [Int: Int] = [:]
            for x in Ref.referenceWindow(batches, at: t, lengthMs: lengthS * 1000).joined() { counts[x, default: 0] += 1 }
            #expect(out.results[i].count == counts.count, "no duplicate or zero-count entries at \(t) ms")
            #expect(dictionary(out.results[i]) == counts, "at \(t) ms")
        }
        #expect(out.results.last?.isEmpty == true)
    }

    @Test(arguments: [1, 3])
    func groupByKeyAndWindowMatchesReference(parallelism: Int) async throws {
        let batches = Ref.randomPairBatches(count: 15, keys: 5, maxPerBatch: 6, seed: 21)
        let ssc = manualContext(parallelism: parallelism)
        let out = Collector(try ssc.queueStream(batches).groupByKeyAndWindow(length: .seconds(4), slide: .seconds(2)))
        try await Ref.runManual(ssc, seconds: 18)
        #expect(out.times == Ref.referenceTimes(seconds: 18, slideMs: 2000))
        for (i, t) in out.times.enumerated() {
            var groups: [String: [Int]] = [:]
            for (k, v) in Ref.referenceWindow(batches, at: t, lengthMs: 4000).joined() { groups[k, default: []].append(v) }
            let got = dictionary(out.results[i].map { ($0.0, $0.1.sorted()) })
            #expect(out.results[i].count == groups.count, "one group per key at \(t) ms")
            #expect(got == groups.mapValues { $0.sorted() }, "at \(t) ms")
        }
    }

    @Test func plainReduceByKeyAndWindowMatchesReference() async throws {
        let batches = Ref.randomPairBatches(count: 15, keys: 6, maxPerBatch: 8, seed: 8)
        let ssc = manualContext(parallelism: 3)
        let out = Collector(try ssc.queueStream(batches).reduceByKeyAndWindow(+, length: .seconds(5), slide: .seconds(1)))
        try await Ref.runManual(ssc, seconds: 20)
        #expect(out.times == Ref.referenceTimes(seconds: 20, slideMs: 1000))
        for (i, t) in out.times.enumerated() {
            #expect(dictionary(out.results[i]) == Ref.referenceReduceByKey(Ref.referenceWindow(batches, at: t, lengthMs: 5000)),
                    "at \(t) ms")
        }
    }

    /// A parent with two consumers: its own output and windows over it. Each record is mapped exactly once.
    @Test(arguments: [1, 3])
    func windowsOverAStreamThatIsAlsoOutputDirectly(parallelism: Int) async throws {
        let batches = Ref.randomPairBatches(count: 14, keys: 4, maxPerBatch: 6, seed: 17)
        let mapped = Mutex(0)
        let ssc = manualContext(parallelism: parallelism)
        let doubled = ssc.queueStream(batches).map { kv -> (String, Int) in
            mapped.withLock { $0 += 1 }
            return (kv.0, kv.1 * 2)
        }
        let direct = Collector(doubled)
        let windowed = Collector(try doubled.window(length: .seconds(3), slide: .seconds(2)))
        let sums = Collector(try doubled.reduceByKeyAndWindow(+, inverse: -, length: .seconds(4), slide: .seconds(2),
                                                               filter: { $0.1 != 0 }))
        try await Ref.runManual(ssc, seconds: 16)
        let doubledBatches = batches.map { $0.map { ($0.0, $0.1 * 2) } }
        #expect(direct.times == Ref.referenceTimes(seconds: 16, slideMs: 1000))
        for (i, t) in direct.times.enumerated() {
            let expected = t / 1000 <= batches.count ? doubledBatches[t / 1000 - 1] : []
            #expect(direct.results[i].map(\.0) == expected.map(\.0))
            #expect(direct.results[i].map(\.1) == expected.map(\.1))
        }
        #expect(windowed.times == Ref.referenceTimes(seconds: 16, slideMs: 2000))
        for (i, t) in windowed.times.enumerated() {
            let expected = Array(Ref.referenceWindow(doubledBatches, at: t, lengthMs: 3000).joined())
            #expect(windowed.results[i].map(\.0) == expected.map(\.0), "at \(t) ms")
            #expect(windowed.results[i].map(\.1) == expected.map(\.1), "at \(t) ms")
        }
        #expect(sums.times == windowed.times)
        for (i, t) in sums.times.enumerated() {
            #expect(dictionary(sums.results[i]) == Ref.referenceReduceByKey(Ref.referenceWindow(doubledBatches, at: t, lengthMs: 4000)),
                    "at \(t) ms")
        }
        #expect(mapped.withLock { $0 } == batches.joined().count)
    }
}
