import Benchmark
import Spate

/// W3 running state per user: the running sum of value per user across batches; 200,000 events a batch over
/// 100,000 users. Records are typed events (as the issue measured this shape); `mapWithState` emits
/// `(user, total)` per event, `updateStateByKey` every user's total per batch.
/// Checksum: the sum of the emitted totals in cents.
enum W3RunningState {
    static let name = "w3-running"
    static let eventsPerBatch = 200_000
    static let events = WorkloadData.events(batches: Workload.distinctBatches, size: eventsPerBatch)
    static var records: Int { Workload.timedBatches * eventsPerBatch }

    /// The reference: `[Int: Double]`, events in order. `.0`: per event (mapWithState), `.1`: every key per
    /// batch (updateStateByKey).
    static let expected: (perEvent: Int, perKey: Int) = {
        var totals: [Int: Double] = [:]
        var perEvent = 0, perKey = 0
        for i in Workload.runBatches {
            var batchSum = 0
            for e in events[Workload.cycled(i)] {
                let t = (totals[Int(e.user)] ?? 0) + e.value
                totals[Int(e.user)] = t
                batchSum &+= cents(t)
            }
            if Workload.timed.contains(i) {
                perEvent &+= batchSum
                for t in totals.values { perKey &+= cents(t) }
            }
        }
        return (perEvent, perKey)
    }()

    static func stream(_ ssc: StreamingContext) -> DStream<(Int, Double)> {
        ssc.queueStream(Workload.runBatches.map { events[Workload.cycled($0)] })
            .map { (Int($0.user), $0.value) }
    }

    static func totalsChecksum(_ batch: Batch<(Int, Double)>) -> Int {
        var s = 0
        for part in batch.partitions { for (_, t) in part { s &+= cents(t) } }
        return s
    }

    /// The user's path with `mapWithState` (Spark's `StateSpec.function`).
    static func userMapWithState(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        let spec = StateSpec<Int, Double, Double, (Int, Double)>.function { user, value, state in
            let total = (state.exists ? state.get() : 0) + (value ?? 0)
            state.update(total)
            return (user, total)
        }
        stream(ssc).mapWithState(spec).stream.foreachBatch { batch, _ in sum.add(totalsChecksum(batch)) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected.perEvent)
    }

    /// The user's path with `updateStateByKey`.
    static func userUpdateStateByKey(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        stream(ssc)
            .updateStateByKey { (values: [Double], total: Double?) in values.reduce(total ?? 0, +) }
            .foreachBatch { batch, _ in sum.add(totalsChecksum(batch)) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected.perKey)
    }

    /// The hand loop: each core owns half of the users (by key hash) in its own flat table of totals and
    /// scans the whole batch, adding its users' events in order.
    static func hand(_ benchmark: Benchmark) throws {
        let tables = [IntTable<Double>(maxKeys: Workload.users, zero: 0), IntTable<Double>(maxKeys: Workload.users, zero: 0)]
        try runHand(benchmark, name, records: records, expected: expected.perEvent) { i in
            let batch = events[Workload.cycled(i)]
            return onBothCores { h -> Int in
                let table = tables[h]
                var s = 0
                batch.withUnsafeBufferPointer { p in
                    for e in p {
                        let user = Int(e.user)
                        guard half(user) == h else { continue }
                        let slot = table.slot(user)
                        let t = table.values[slot] + e.value
                        table.values[slot] = t
                        s &+= cents(t)
                    }
                }
                return s
            }.reduce(0, &+)
        }
    }
}
