import Benchmark
import Spate

/// Shape (c): a running sum per user over 100,000 users, 200,000 `(user, value)` events a batch, with
/// `updateStateByKey` and with `mapWithState`. 5 batches fill the state before 10 measured batches.
enum RunningState {
    static let warmBatches = 5
    static let measuredBatches = 10
    static let input = Inputs.eventBatches(warmBatches + measuredBatches, seed: 3)
    static var events: Int { measuredBatches * Inputs.eventsPerBatch }

    static func updateStateByKey(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let out = OutputCounter()
        ssc.queueStream(input)
            .updateStateByKey { (values: [Int], total: Int?) in (total ?? 0) + values.reduce(0, +) }
            .foreachBatch { batch, _ in out.add(batch.count) }
        try await run(ssc, benchmark)
        blackHole(out.value)
    }

    static func mapWithState(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let out = OutputCounter()
        let spec = StateSpec<Int, Int, Int, (Int, Int)>.function { user, value, state in
            let total = (state.exists ? state.get() : 0) + (value ?? 0)
            state.update(total)
            return (user, total)
        }
        ssc.queueStream(input)
            .mapWithState(spec).stream
            .foreachBatch { batch, _ in out.add(batch.count) }
        try await run(ssc, benchmark)
        blackHole(out.value)
    }

    static func run(_ ssc: StreamingContext, _ benchmark: Benchmark) async throws {
        try await ssc.start()
        try await ssc.advance(by: .seconds(warmBatches))
        try await measure(benchmark, records: events) {
            try await ssc.advance(by: .seconds(measuredBatches))
        }
        await ssc.stop()
    }

    /// The hand-written loop: each core splits its half of the events by user, then each core adds its
    /// users' events into its own table of running sums.
    static func baseline(_ benchmark: Benchmark) async {
        let input = Self.input
        var totals: [[Int: Int]] = [[:], [:]]
        for t in 0..<2 { totals[t].reserveCapacity(Inputs.users) }
        func apply(_ events: [(Int, Int)]) {
            let split = onBothCores { h -> [[(Int, Int)]] in
                var out: [[(Int, Int)]] = [[], []]
                out[0].reserveCapacity(events.count / 3); out[1].reserveCapacity(events.count / 3)
                let range = h == 0 ? 0..<(events.count / 2) : (events.count / 2)..<events.count
                for e in events[range] { out[half(e.0)].append(e) }
                return out
            }
            let current = totals
            totals = onBothCores { j -> [Int: Int] in
                var table = current[j]
                for s in split { for (user, value) in s[j] { table[user, default: 0] += value } }
                return table
            }
        }
        for b in 0..<warmBatches { apply(input[b]) }
        await measure(benchmark, records: events) {
            for b in warmBatches..<(warmBatches + measuredBatches) { apply(input[b]) }
        }
        blackHole(totals[0].count + totals[1].count)
    }
}
