import Foundation
import Spate
import Testing
@testable import SpateML

@Suite("OnlineStatistics")
struct OnlineStatisticsTests {
    func twoPass(_ xs: [Double]) -> (mean: Double, variance: Double) {
        let mean = xs.reduce(0, +) / Double(xs.count)
        return (mean, xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count))
    }

    @Test("Welford's one pass agrees with the two-pass formulas")
    func welford() {
        var rng = TestRandom(seed: 1)
        let xs = (0..<1000).map { _ in 1e6 + rng.gaussian() }
        let s = OnlineStatistics(xs)
        let (mean, variance) = twoPass(xs)
        #expect(s.count == 1000)
        #expect(close(s.mean, mean, 1e-12))
        #expect(close(s.variance, variance, 1e-6))
        #expect(close(s.sampleVariance, variance * 1000 / 999, 1e-6))
        #expect(s.min == xs.min() && s.max == xs.max())
    }

    @Test("merging statistics of parts equals the statistics of the whole")
    func merge() {
        var rng = TestRandom(seed: 2)
        let xs = (0..<500).map { _ in rng.uniform(-5...5) }
        for cut in [0, 1, 30, 250, 499, 500] {
            let merged = OnlineStatistics(xs[..<cut]).merging(OnlineStatistics(xs[cut...]))
            let whole = OnlineStatistics(xs)
            #expect(merged.count == whole.count && close(merged.mean, whole.mean, 1e-12))
            #expect(close(merged.variance, whole.variance, 1e-12))
            #expect(merged.min == whole.min && merged.max == whole.max)
        }
    }

    @Test("NaN and infinite values are skipped and counted")
    func nonFinite() {
        let s = OnlineStatistics([1, .nan, 3, .infinity])
        #expect(s.count == 2 && s.mean == 2 && s.nonFiniteCount == 2 && s.variance == 1)
    }

    @Test("given a pair stream, statistics per key per batch and running since the start")
    func perKey() async throws {
        let ssc = manualContext()
        let input = ssc.queueStream([
            [("a", 1.0), ("b", 10.0), ("a", 3.0)],
            [("a", 5.0), ("c", 7.0)],
        ])
        let perBatch = Collector(input.statisticsByKey())
        let running = Collector(input.onlineStatisticsByKey())
        let whole = Collector(input.map { $0.1 }.statistics())
        try await run(ssc, batches: 2)
        let first = Dictionary(uniqueKeysWithValues: perBatch.results[0])
        #expect(first["a"]?.mean == 2 && first["a"]?.variance == 1 && first["b"]?.count == 1)
        let last = Dictionary(uniqueKeysWithValues: running.results[1])
        #expect(last["a"]?.count == 3 && last["a"]?.mean == 3 && last["a"]?.max == 5)
        #expect(close(last["a"]!.variance, 8.0 / 3.0))
        #expect(last["b"]?.count == 1 && last["c"]?.mean == 7)
        #expect(whole.results.map { $0.first?.count } == [3, 2])
    }
}
