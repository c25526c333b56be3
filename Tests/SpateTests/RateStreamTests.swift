import Synchronization
import Testing
@testable import Spate

@Suite struct RateStreamTests {
    @Test func consecutiveValuesPerBatch() async throws {
        let ssc = manualContext(parallelism: 2)
        let partitions = Mutex<[[[Int]]]>([])
        let stream = ssc.rateStream(recordsPerSecond: 3)
        stream.foreachBatch { batch, _ in partitions.withLock { $0.append(batch.partitions) } }
        let out = Collector(stream)
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        await ssc.stop()
        #expect(out.times == [1000, 2000, 3000])
        #expect(out.results == [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
        #expect(partitions.withLock { $0 } == [[[0, 1], [2]], [[3, 4], [5]], [[6, 7], [8]]])
    }

    @Test func fractionalRatesCarryOverBetweenBatches() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(500), parallelism: 1, clock: .manual)
        let out = Collector(ssc.rateStream(recordsPerSecond: 3))
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        // Totals due at 0.5 s, 1 s, 1.5 s, 2 s: 1, 3, 4, 6.
        #expect(out.results == [[0], [1, 2], [3], [4, 5]])
    }

    @Test func countsAndInfoMatchTheRate() async throws {
        let ssc = manualContext(parallelism: 4)
        let out = Collector(ssc.rateStream(recordsPerSecond: 1000).count())
        try await ssc.start()
        try await ssc.advance(by: .seconds(4))
        await ssc.stop()
        #expect(out.results == [[1000], [1000], [1000], [1000]])
    }

    @Test(arguments: [0, -5])
    func nonPositiveRateFailsStart(rate: Int) async throws {
        let ssc = manualContext()
        ssc.rateStream(recordsPerSecond: rate).foreachBatch { _, _ in }
        do {
            try await ssc.start()
            Issue.record("start() should reject recordsPerSecond \(rate)")
        } catch let error as SpateError {
            #expect("\(error)".contains("recordsPerSecond: \(rate)"))
            #expect("\(error)".contains("positive"))
        }
        #expect(!ssc.isActive)
    }

    @Test func totalDoesNotOverflow() {
        let ssc = manualContext()
        let source = RateSource(recordsPerSecond: Int.max / 10, context: ssc)
        #expect(source.total(afterMs: 1000) == Int.max / 10)
        #expect(source.total(afterMs: 100_000) == Int.max)
        #expect(source.total(afterMs: 0) == 0)
    }

    /// Found by the Checkpoint fuzz target: a recovered program whose rate source's position was not restored
    /// (the source renamed) has a zero time long past, and its first batch tried to build every value since then
    /// (about 14 TB). A batch now takes at most 10 intervals' worth; the rest follows in later batches.
    @Test func aBacklogIsCutInBoundedBatches() {
        let ssc = manualContext()
        let source = RateSource(recordsPerSecond: 1_000, context: ssc)
        let far = BatchTime(milliseconds: 1_000_000_000_000)   // about 31 years after the zero time
        let interval = ssc.batchIntervalMs
        let cap = source.total(afterMs: 10 * interval)
        #expect(source.cutRange(far, limit: nil) == 0..<cap)
        #expect(source.cutRange(far, limit: nil) == cap..<(2 * cap))
        #expect(source.cutRange(BatchTime(milliseconds: 2 * interval), limit: nil).isEmpty)
    }
}
