import Foundation
import Synchronization
import Testing
@testable import Spate

/// Keyed state whose keys expire: updateStateByKey's `timeout`, mapWithState's `StateSpec.timeout` and
/// reduceByKeyAndWindow's `filter` keep the state bounded while keys churn, count what they drop, and keep
/// the clocks across a recovery.
@Suite struct StateTTLTests {
    /// Batch `b` (1-based) holds one record for each of the keys `k<b>` ... `k<b + 4>`: every key is seen in
    /// five batches in a row, then never again.
    static func churn(_ batches: Int) -> [[(String, Int)]] {
        (1...batches).map { b in (b..<(b + 5)).map { ("k\($0)", 1) } }
    }

    /// What updateStateByKey with a timeout of `ttl` batches holds after batch `b`: every key seen in the last
    /// `ttl` batches... and the count it saw (a key's last batch is `min(n, b)`; it expires `ttl` batches later).
    static func reference(_ batches: [[(String, Int)]], after b: Int, ttl: Int) -> [String: Int] {
        var counts: [String: Int] = [:], last: [String: Int] = [:]
        for (i, batch) in batches.prefix(b).enumerated() {
            for (k, v) in batch { counts[k, default: 0] += v; last[k] = i + 1 }
        }
        return counts.filter { b - last[$0.key]! < ttl }
    }

    @Test func updateStateByKeyDropsKeysWithoutValuesForTheTimeoutAndCountsThem() async throws {
        let batches = Self.churn(60)
        let ssc = manualContext()
        let totals = ssc.queueStream(batches)
            .updateStateByKey({ (ones: [Int], total: Int?) in (total ?? 0) + ones.count }, timeout: .seconds(3))
        let out = Collector(totals)
        let recorder = InfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        try await ssc.advance(by: .seconds(60))
        await ssc.stop()

        for (i, result) in out.results.enumerated() {
            #expect(dictionary(result) == Self.reference(batches, after: i + 1, ttl: 3), "batch \(i + 1)")
        }
        // Five keys live in each batch and each lingers three batches without values: at most 7 keys, ever.
        let sizes = recorder.infos.map { $0.stateKeys["updateStateByKey#1"] ?? -1 }
        #expect(sizes.max() == 7, "\(sizes)")
        let expired = recorder.infos.map { $0.expiredStateKeys["updateStateByKey#1"] ?? 0 }
        #expect(expired.reduce(0, +) == 64 - sizes.last!, "\(expired)")
    }

    @Test func theClocksSurviveARecoveryAndKeysExpireAsInAnUninterruptedRun() async throws {
        let batches = Self.churn(20)
        final class Out: Sendable { let m = Mutex<[Int: [String: Int]]>([:]) }
        func program(_ ssc: StreamingContext, _ sink: Out) {
            ssc.queueStream(batches)
                .updateStateByKey({ (ones: [Int], total: Int?) in (total ?? 0) + ones.count }, timeout: .seconds(4))
                .named("totals").checkpoint(interval: .seconds(1))
                .foreachBatch { batch, time in sink.m.withLock { $0[time.milliseconds] = dictionary(batch.collect()) } }
        }
        let reference = Out()
        let uninterrupted = manualContext()
        program(uninterrupted, reference)
        try await uninterrupted.start()
        try await uninterrupted.advance(by: .seconds(20))
        await uninterrupted.stop()

        let dir = CheckpointTests.tempDir("ttl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let recovered = Out()
        let first = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = manualContext()
            program(ssc, recovered)
            return ssc
        }
        try await first.start()
        try await first.advance(by: .seconds(9))
        await first.stop(graceful: true)
        let second = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = manualContext(parallelism: 3)
            program(ssc, recovered)
            return ssc
        }
        try await second.start()
        try await second.advance(by: .seconds(11))
        await second.stop()
        let want = reference.m.withLock { $0 }, got = recovered.m.withLock { $0 }
        #expect(want.count == 20)
        for t in stride(from: 1000, through: 20_000, by: 1000) { #expect(got[t] == want[t], "batch \(t)") }
        #expect(want[20_000] == Self.reference(batches, after: 20, ttl: 4))
    }

    @Test func anInvalidTimeoutIsADefinitionError() async throws {
        let ssc = manualContext()
        ssc.queueStream([[("a", 1)]])
            .updateStateByKey({ (ones: [Int], total: Int?) in (total ?? 0) + ones.count }, timeout: .zero)
            .foreachBatch { _, _ in }
        await #expect(throws: SpateError.invalidTimeout(operation: "updateStateByKey", timeout: .zero)) {
            try await ssc.start()
        }
    }

    @Test func mapWithStateTimeoutsAreCountedAndBoundTheState() async throws {
        let batches = Self.churn(30)
        let ssc = manualContext()
        let spec = StateSpec.function { (key: String, one: Int?, state: State<Int>) -> Int in
            if !state.isTimingOut { state.update((state.getOption() ?? 0) + (one ?? 0)) }
            return state.getOption() ?? 0
        }.timeout(.seconds(2))
        let running = ssc.queueStream(batches).mapWithState(spec)
        running.stream.foreachBatch { _, _ in }
        let recorder = InfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        try await ssc.advance(by: .seconds(30))
        await ssc.stop()
        let sizes = recorder.infos.map { $0.stateKeys["mapWithState#1"] ?? -1 }
        // Spark's rule: a key idle for at least the timeout (2 batches) times out; 5 live + 1 idle.
        #expect(sizes.max() == 6, "\(sizes)")
        let expired = recorder.infos.map { $0.expiredStateKeys["mapWithState#1"] ?? 0 }
        #expect(expired.reduce(0, +) == 34 - sizes.last!, "\(expired)")
    }

    @Test func reduceByKeyAndWindowDropsKeysItsFilterRejectsAndCountsThem() async throws {
        let batches = Self.churn(40)
        let ssc = manualContext()
        let windowed = try ssc.queueStream(batches)
            .reduceByKeyAndWindow(+, inverse: -, length: .seconds(3), filter: { $0.1 != 0 })
        let out = Collector(windowed)
        let recorder = InfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        try await ssc.advance(by: .seconds(40))
        await ssc.stop()
        // Keys of the window's 3 batches: 7 at most, whatever the churn.
        let sizes = recorder.infos.map { $0.stateKeys["reduceByKeyAndWindow#1"] ?? -1 }
        #expect(sizes.max() == 7, "\(sizes)")
        #expect(out.results.last.map { Set($0.map(\.0)) } == Set((38...44).map { "k\($0)" }))
        let expired = recorder.infos.map { $0.expiredStateKeys["reduceByKeyAndWindow#1"] ?? 0 }
        #expect(expired.reduce(0, +) == 44 - 7, "\(expired)")
    }
}
