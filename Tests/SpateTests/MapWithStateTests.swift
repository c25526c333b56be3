import Synchronization
import Testing
@testable import Spate

/// Plain-Swift mapWithState for `runningSum`: mapped records and the state after each batch.
private struct ReferenceMapWithState {
    var entries: [String: (state: Int, updatedMs: Int)] = [:]
    let timeoutMs: Int?

    init(timeoutMs: Int?, initial: [String: Int] = [:], firstBatchMs: Int = 1000) {
        self.timeoutMs = timeoutMs
        entries = initial.mapValues { ($0, firstBatchMs) }
    }

    /// Applies one batch at `timeMs`; returns the mapped records.
    mutating func apply(_ batch: [(String, Int)], timeMs: Int) -> [(String, Int)] {
        var out: [(String, Int)] = []
        for (k, v) in batch {
            if v == 0 {
                entries[k] = nil
                out.append((k, -1))
            } else if v % 5 == 0 {
                out.append((k, entries[k]?.state ?? 0))
                if let e = entries[k], timeoutMs != nil { entries[k] = (e.state, timeMs) }
            } else {
                let s = (entries[k]?.state ?? 0) + v
                entries[k] = (s, timeMs)
                out.append((k, s))
            }
        }
        if let timeoutMs {
            for (k, e) in entries where e.updatedMs <= timeMs - timeoutMs {
                out.append((k, -1000 - e.state))
                entries[k] = nil
            }
        }
        return out
    }

    var states: [String: Int] { entries.mapValues(\.state) }
}

/// Running sums: 0 removes the key, multiples of 5 only read, the final timing-out call reports the state.
@Sendable private func runningSum(_ key: String, _ value: Int?, _ state: State<Int>) -> (String, Int) {
    guard let value else {
        precondition(state.isTimingOut && state.exists)
        return (key, -1000 - state.get())
    }
    precondition(!state.isTimingOut)
    if value == 0 {
        state.remove()
        return (key, -1)
    }
    if value % 5 == 0 { return (key, state.getOption() ?? 0) }
    let sum = (state.exists ? state.get() : 0) + value
    state.update(sum)
    return (key, sum)
}

private func sortedRecords(_ records: [(String, Int)]) -> [String] {
    records.map { "\($0.0)=\($0.1)" }.sorted()
}

/// Counts failed records per completed batch.
private final class FailureRecorder: StreamingListener {
    private let stored = Mutex<[(failed: Int, errors: [String])]>([])
    var failed: [Int] { stored.withLock { $0.map(\.failed) } }
    var errors: [String] { stored.withLock { $0.flatMap(\.errors) } }
    func batchCompleted(_ info: BatchInfo) { stored.withLock { $0.append((info.failedRecords, info.recordErrors)) } }
}

@Suite struct MapWithStateTests {
    static let batches: [[(String, Int)]] = [
        [("a", 1), ("b", 2), ("a", 3)],
        [("c", 4), ("a", 5)],
        [],
        [("a", 0), ("b", 1)],
        [("a", 2), ("c", 1), ("c", 1)],
        [("d", 9), ("b", 10)],
        [],
        [("e", 1), ("a", 1)],
        [],
        [("d", 2)],
    ]

    /// Runs `spec` over `batches`; returns mapped records and state snapshots per batch.
    private func run(
        _ spec: StateSpec<String, Int, Int, (String, Int)>, _ batches: [[(String, Int)]],
        parallelism: Int = 3
    ) async throws -> (mapped: [[(String, Int)]], snapshots: [[(String, Int)]]) {
        let ssc = manualContext(parallelism: parallelism)
        let mapped = ssc.queueStream(batches).mapWithState(spec)
        let snapshots: DStream<(String, Int)> = mapped.stateSnapshots()
        let mappedOut = Collector(mapped.stream)
        let snapshotOut = Collector(snapshots)
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches.count))
        await ssc.stop()
        #expect(mappedOut.times == Array(1...batches.count).map { $0 * 1000 })
        #expect(snapshotOut.times == mappedOut.times)
        return (mappedOut.results, snapshotOut.results)
    }

    /// API.md: mapWithState's result reads as a DStream; the common operators chain on it directly.
    @Test func resultChainsLikeADStream() async throws {
        let ssc = manualContext()
        let spec = StateSpec.function { (key: String, value: Int?, state: State<Int>) -> (String, Int) in
            let sum = (state.getOption() ?? 0) + (value ?? 0)
            state.update(sum)
            return (key, sum)
        }
        let mapped = ssc.queueStream([[("a", 1), ("b", 2)], [("a", 3)]]).mapWithState(spec)
        let sums = Mutex<[[String]]>([])
        mapped.filter { $0.0 == "a" }.map { "\($0.0)=\($0.1)" }.foreachBatch { batch, _ in
            sums.withLock { $0.append(batch.collect()) }
        }
        let counts = Mutex<[Int]>([])
        mapped.count().foreachBatch { batch, _ in counts.withLock { $0.append(contentsOf: batch.collect()) } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        #expect(sums.withLock { $0 } == [["a=1"], ["a=4"]])
        #expect(counts.withLock { $0 } == [2, 1])
    }

    @Test func mappedRecordsAndSnapshotsMatchReference() async throws {
        let (mapped, snapshots) = try await run(StateSpec.function(runningSum), Self.batches)
        var reference = ReferenceMapWithState(timeoutMs: nil)
        for (i, batch) in Self.batches.enumerated() {
            let expected = reference.apply(batch, timeMs: (i + 1) * 1000)
            #expect(sortedRecords(mapped[i]) == sortedRecords(expected), "batch \(i + 1)")
            #expect(dictionary(snapshots[i]) == reference.states, "batch \(i + 1)")
        }
        // Spot checks: the running sum per record, and removal by a 0 value.
        #expect(sortedRecords(mapped[0]) == ["a=1", "a=4", "b=2"])
        #expect(sortedRecords(mapped[3]) == ["a=-1", "b=3"])
        #expect(dictionary(snapshots[3]) == ["b": 3, "c": 4])
    }

    @Test func idleKeysTimeOutWithAFinalCall() async throws {
        let spec = StateSpec.function(runningSum).timeout(.seconds(2))
        let (mapped, snapshots) = try await run(spec, Self.batches)
        var reference = ReferenceMapWithState(timeoutMs: 2000)
        for (i, batch) in Self.batches.enumerated() {
            let expected = reference.apply(batch, timeMs: (i + 1) * 1000)
            #expect(sortedRecords(mapped[i]) == sortedRecords(expected), "batch \(i + 1)")
            #expect(dictionary(snapshots[i]) == reference.states, "batch \(i + 1)")
        }
        // "b" last got data at 1 s: idle for 2 s at 3 s, so its final call comes with batch 3.
        #expect(sortedRecords(mapped[2]) == ["b=-1002"])
        #expect(!snapshots[2].contains { $0.0 == "b" })
        // "c" got data at 2 s only: it times out at 4 s, when "a" is removed by its 0.
        #expect(sortedRecords(mapped[3]) == ["a=-1", "b=1", "c=-1004"])
        // A read-only record (multiple of 5) refreshes the idle time: "b" read at 6 s survives 7 s.
        #expect(sortedRecords(mapped[5]) == ["b=1", "d=9"])
        #expect(sortedRecords(mapped[6]) == ["a=-1002", "c=-1002"])
        #expect(dictionary(snapshots[6]) == ["b": 1, "d": 9])
    }

    @Test func timeoutAtExactlyTheDurationAndRefreshByReadOnlyData() async throws {
        // "k" is updated at 1 s, only read at 2 s (refreshing its idle time), then idle: times out at 4 s.
        let batches: [[(String, Int)]] = [[("k", 3)], [("k", 5)], [], [], [], [("k", 1)], [], [], []]
        let spec = StateSpec.function(runningSum).timeout(.seconds(2))
        let (mapped, snapshots) = try await run(spec, batches, parallelism: 1)
        #expect(mapped.map(sortedRecords) == [["k=3"], ["k=3"], [], ["k=-1003"], [], ["k=1"], [], ["k=-1001"], []])
        #expect(snapshots.map { dictionary($0) } == [["k": 3], ["k": 3], ["k": 3], [:], [:], ["k": 1], ["k": 1], [:], [:]])
    }

    @Test func initialStateSeedsKeysAndTimesOutFromTheFirstBatch() async throws {
        let spec = StateSpec.function(runningSum)
            .initialState([("z", 100), ("a", 10), ("z", 50)])
            .timeout(.seconds(3))
            .numPartitions(2)
        let (mapped, snapshots) = try await run(spec, Self.batches)
        var reference = ReferenceMapWithState(timeoutMs: 3000, initial: ["z": 50, "a": 10])
        for (i, batch) in Self.batches.enumerated() {
            let expected = reference.apply(batch, timeMs: (i + 1) * 1000)
            #expect(sortedRecords(mapped[i]) == sortedRecords(expected), "batch \(i + 1)")
            #expect(dictionary(snapshots[i]) == reference.states, "batch \(i + 1)")
        }
        #expect(sortedRecords(mapped[0]) == ["a=11", "a=14", "b=2"])
        #expect(dictionary(snapshots[0])["z"] == 50)
        // "z" never gets data: idle for 3 s of batch time at 4 s.
        #expect(sortedRecords(mapped[3]).contains("z=-1050"))
    }

    @Test func stateMisuseAndThrowingFunctionsAreCountedNotFatal() async throws {
        struct Boom: Error {}
        let ssc = manualContext()
        let failures = FailureRecorder()
        ssc.addListener(failures)
        let spec = StateSpec.function { (key: String, value: Int?, state: State<Int>) throws -> Int in
            guard let value else {
                state.update(0)  // not allowed while timing out: counted
                state.remove()   // not allowed either: counted
                return -state.get()
            }
            if value < 0 { throw Boom() }  // counted; the state stays as it was
            if value == 7 {
                state.remove()
                state.update(7)  // update after remove: counted and ignored
                return 0
            }
            state.update((state.getOption() ?? 0) + value)
            return state.get()
        }.timeout(.seconds(1))
        let batches: [[(String, Int)]] = [[("a", 1)], [("a", 2), ("a", -1)], [("a", 7)], [("b", 3)], [], [], [], []]
        let mapped = ssc.queueStream(batches).mapWithState(spec)
        let snapshots = mapped.stateSnapshots()
        let out = Collector(mapped.stream)
        let snapshotOut = Collector(snapshots)
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches.count))
        await ssc.stop()
        #expect(out.results == [[1], [3], [0], [3], [-3], [], [], []])
        #expect(snapshotOut.results.map { dictionary($0) } == [["a": 1], ["a": 3], [:], ["b": 3], [:], [:], [:], [:]])
        #expect(failures.failed == [0, 1, 1, 0, 2, 0, 0, 0])
        #expect(failures.errors.contains { $0.contains("timing out") })
        #expect(failures.errors.allSatisfy { $0.hasPrefix("mapWithState") })
    }

    /// Nothing asks the mapWithState node in odd batches; state still advances once per batch.
    @Test func everySecondBatchConsumerSeesEveryBatchApplied() async throws {
        let ssc = manualContext(parallelism: 2)
        let mapped = ssc.queueStream(Self.batches).mapWithState(StateSpec.function(runningSum).timeout(.seconds(2)))
        let snapshots: DStream<(String, Int)> = mapped.stateSnapshots()
        let mappedEvery2 = DStream<(String, Int)>(context: ssc, name: "every2", parents: [mapped.stream], slideMs: 2000) {
            time, run in try mapped.stream.getOrCompute(time, run)
        }
        let snapshotsEvery2 = DStream<(String, Int)>(context: ssc, name: "every2", parents: [snapshots], slideMs: 2000) {
            time, run in try snapshots.getOrCompute(time, run)
        }
        // Asks the snapshot of the odd batch too (after the even one was computed), as a window would.
        let oddSnapshots = DStream<(String, Int)>(context: ssc, name: "odd", parents: [snapshots], slideMs: 2000) {
            time, run in try snapshots.getOrCompute(time - 1000, run)
        }
        let mappedOut = Collector(mappedEvery2)
        let snapshotOut = Collector(snapshotsEvery2)
        let oddOut = Collector(oddSnapshots)
        try await ssc.start()
        try await ssc.advance(by: .seconds(Self.batches.count))
        await ssc.stop()
        var reference = ReferenceMapWithState(timeoutMs: 2000)
        var expectedMapped: [[String]] = [], expectedStates: [[String: Int]] = []
        for (i, batch) in Self.batches.enumerated() {
            expectedMapped.append(sortedRecords(reference.apply(batch, timeMs: (i + 1) * 1000)))
            expectedStates.append(reference.states)
        }
        #expect(mappedOut.times == [2000, 4000, 6000, 8000, 10000])
        #expect(mappedOut.results.map(sortedRecords) == stride(from: 1, to: 10, by: 2).map { expectedMapped[$0] })
        #expect(snapshotOut.results.map { dictionary($0) } == stride(from: 1, to: 10, by: 2).map { expectedStates[$0] })
        #expect(oddOut.results.map { dictionary($0) } == stride(from: 0, to: 10, by: 2).map { expectedStates[$0] })
    }

    @Test func askingALaterTimeCatchesUp() async throws {
        let ssc = manualContext(parallelism: 3)
        let source = ssc.queueStream(Self.batches)
        let mapped = source.mapWithState(StateSpec.function(runningSum))
        source.foreachBatch { _, _ in }
        source.remember(60_000)
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        var reference = ReferenceMapWithState(timeoutMs: nil)
        let expected = (0..<3).map { reference.apply(Self.batches[$0], timeMs: ($0 + 1) * 1000) }
        func records(_ ms: Int) throws -> [String] {
            let t = BatchTime(milliseconds: ms)
            let stage = try #require(try mapped.stream.getOrCompute(t, BatchRun(time: t)))
            return sortedRecords(stage.materialize(BatchRun(time: t)).flatMap { $0 })
        }
        #expect(try records(2000) == sortedRecords(expected[1]))
        #expect(try records(3000) == sortedRecords(expected[2]))
        #expect(try records(1000) == sortedRecords(expected[0]))
        #expect(try records(2000) == sortedRecords(expected[1]))
        await ssc.stop()
    }

    @Test func stateSnapshotsReturnsOneStreamPerMapWithState() {
        let ssc = manualContext()
        let mapped = ssc.queueStream(Self.batches).mapWithState(StateSpec.function(runningSum))
        let a: DStream<(String, Int)> = mapped.stateSnapshots()
        let b = mapped.stateSnapshots()
        #expect(a === b)
    }

    @Test(arguments: [1, 3])
    func randomBatchesMatchReference(parallelism: Int) async throws {
        for seed in UInt64(1)...4 {
            var rng = SeededGenerator(seed: seed &* 104_729 &+ UInt64(parallelism))
            let batches: [[(String, Int)]] = (0..<12).map { _ in
                let n = Int.random(in: 0...3, using: &rng) == 0 ? 0 : Int.random(in: 1...14, using: &rng)
                return (0..<n).map { _ in ("k\(Int.random(in: 0..<9, using: &rng))", Int.random(in: 0...12, using: &rng)) }
            }
            let timeoutSeconds = Int.random(in: 0...3, using: &rng)  // 0: no timeout
            let initial = (0..<Int.random(in: 0...3, using: &rng)).map { i in ("k\(i * 3)", i + 1) }
            var spec = StateSpec.function(runningSum).initialState(initial).numPartitions(Int.random(in: 1...4, using: &rng))
            if timeoutSeconds > 0 { spec = spec.timeout(.seconds(timeoutSeconds)) }
            let (mapped, snapshots) = try await run(spec, batches, parallelism: parallelism)
            var reference = ReferenceMapWithState(
                timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : nil, initial: dictionary(initial))
            for (i, batch) in batches.enumerated() {
                let expected = reference.apply(batch, timeMs: (i + 1) * 1000)
                #expect(sortedRecords(mapped[i]) == sortedRecords(expected), "seed \(seed), batch \(i + 1)")
                #expect(dictionary(snapshots[i]) == reference.states, "seed \(seed), batch \(i + 1)")
            }
        }
    }
}

/// Spark's `MapWithStateDStream.checkpoint(interval)`: the wrapper sets the context's checkpoint interval as a
/// DStream's `checkpoint(interval:)` does (the soak program needed it and it was missing).
@Suite struct MapWithStateCheckpointIntervalTests {
    @Test func checkpointIntervalOnTheResultSetsTheContextsInterval() {
        let ssc = manualContext()
        let sums = ssc.queueStream([[("a", 1)]]).mapWithState(
            StateSpec.function { (_: String, value: Int?, state: State<Int>) -> Int in
                state.update((state.getOption() ?? 0) + (value ?? 0))
                return state.get()
            })
            .checkpoint(interval: .seconds(3))
        sums.print()
        #expect(ssc.graph.checkpointIntervalMs == 3000)
    }
}
