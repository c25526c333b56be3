import Testing
@testable import Spate

/// Given fixed batches, when each per-record or per-batch operator runs, then every batch equals a plain-Swift
/// computation over the same input.
@Suite struct TransformationTests {
    static let input: [[Int]] = [[1, 2, 3, 4, 5], [], [6, 7], [8, 9, 10, 11, 12, 13, 14], [15]]

    /// Runs `build` over `input` for every batch and returns the collected output per batch.
    func run<U: Sendable>(
        parallelism: Int = 2, _ build: (DStream<Int>) throws -> DStream<U>
    ) async throws -> [[U]] {
        let ssc = manualContext(parallelism: parallelism)
        let out = Collector(try build(ssc.queueStream(Self.input)))
        try await ssc.start()
        try await ssc.advance(by: .seconds(Self.input.count))
        await ssc.stop()
        #expect(out.times == Array(1...Self.input.count).map { $0 * 1000 })
        return out.results
    }

    @Test(arguments: [1, 2, 3])
    func mapFilterFlatMapFused(parallelism: Int) async throws {
        let got = try await run(parallelism: parallelism) { s in
            s.map { $0 * 10 }.filter { $0 % 20 != 0 }.flatMap { [$0, -$0] }
        }
        let want = Self.input.map { b in b.map { $0 * 10 }.filter { $0 % 20 != 0 }.flatMap { [$0, -$0] } }
        #expect(got == want)
    }

    @Test func mapPartitionsSeesWholePartitions() async throws {
        let got = try await run(parallelism: 1) { s in s.mapPartitions { [$0.reduce(0, +)] } }
        #expect(got == Self.input.map { [$0.reduce(0, +)] })
    }

    @Test func repartitionKeepsRecords() async throws {
        let ssc = manualContext(parallelism: 1)
        let parts = Collector(ssc.queueStream(Self.input).repartition(3).mapPartitions { [$0.count] })
        try await ssc.start()
        try await ssc.advance(by: .seconds(5))
        await ssc.stop()
        for (got, batch) in zip(parts.results, Self.input) {
            #expect(got.count == 3)
            #expect(got.reduce(0, +) == batch.count)
            #expect(got.max()! - got.min()! <= 1)
        }
    }

    @Test func unionConcatenatesBothStreams() async throws {
        let ssc = manualContext()
        let a = ssc.queueStream([[1, 2], [3]]), b = ssc.queueStream([[10], [], [20]])
        let out = Collector(a.union(b))
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        await ssc.stop()
        #expect(out.results.map { $0.sorted() } == [[1, 2, 10], [3], [20]])
    }

    @Test func countReduceAndCountByValue() async throws {
        let counts = try await run { $0.count() }
        #expect(counts == Self.input.map { [$0.count] })
        let sums = try await run { $0.reduce(+) }
        #expect(sums == Self.input.map { $0.isEmpty ? [] : [$0.reduce(0, +)] })
        let byValue = try await run { $0.map { $0 % 3 }.countByValue() }
        for (got, batch) in zip(byValue, Self.input) {
            let want = Dictionary(batch.map { ($0 % 3, 1) }, uniquingKeysWith: +)
            #expect(dictionary(got) == want)
            #expect(got.count == want.count)
        }
    }

    @Test func transformAndTransformWith() async throws {
        let got = try await run { s in s.transform { batch in batch.map { $0 + batch.time.milliseconds } } }
        #expect(got == Self.input.enumerated().map { i, b in b.map { $0 + (i + 1) * 1000 } })

        let ssc = manualContext()
        let a = ssc.queueStream([[1, 2], [3]]), b = ssc.queueStream([["x"], ["y", "z"]])
        let out = Collector(a.transformWith(b) { left, right in
            Batch(time: left.time, elements: ["\(left.count)-\(right.count)"])
        })
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        #expect(out.results == [["2-1"], ["1-2"]])
    }

    @Test func throwingClosureCountsFailedRecordsAndGoesOn() async throws {
        struct Odd: Error {}
        let ssc = manualContext()
        let listener = InfoRecorder()
        ssc.addListener(listener)
        let out = Collector(ssc.queueStream(Self.input).map { x -> Int in
            if x % 2 == 1 { throw Odd() }
            return x
        })
        try await ssc.start()
        try await ssc.advance(by: .seconds(5))
        await ssc.stop()
        #expect(out.results == Self.input.map { $0.filter { $0 % 2 == 0 } })
        #expect(listener.infos.map(\.failedRecords) == Self.input.map { $0.filter { $0 % 2 == 1 }.count })
        #expect(listener.infos.map(\.numRecords) == Self.input.map(\.count))
        #expect(listener.infos[0].recordErrors.first?.contains("map") == true)
    }
}

/// Keeps every completed BatchInfo.
final class InfoRecorder: StreamingListener {
    private let stored = Mutex<[BatchInfo]>([])
    var infos: [BatchInfo] { stored.withLock { $0 } }
    func batchCompleted(_ info: BatchInfo) { stored.withLock { $0.append(info) } }
}

import Synchronization
