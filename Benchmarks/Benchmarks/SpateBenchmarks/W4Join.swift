import Benchmark
import Spate

/// W4 per-batch join: stream A's views keyed by user, stream B's purchases keyed by user (each 200,000
/// events a batch before the filter), inner join per batch, count the results. Events/s counts both streams.
/// Checksum per batch: the output rows times 2^32 plus the sum of both sides' values in cents.
enum W4Join {
    static let name = "w4-join"
    static let eventsPerBatch = 200_000
    /// Stream A takes the even generated batches, stream B the odd ones.
    static let generated = WorkloadData.events(batches: 2 * Workload.distinctBatches, size: eventsPerBatch)
    static let left = (0..<Workload.distinctBatches).map { generated[2 * $0] }
    static let right = (0..<Workload.distinctBatches).map { generated[2 * $0 + 1] }
    static var records: Int { 2 * Workload.timedBatches * eventsPerBatch }

    /// The reference: `[Int: [Double]]` of B's purchases, probed by A's views.
    static let expected: Int = {
        let perBatch = (0..<Workload.distinctBatches).map { b -> Int in
            var purchases: [Int: [Double]] = [:]
            for e in right[b] where e.kind == 2 { purchases[Int(e.user), default: []].append(e.value) }
            var s = 0
            for e in left[b] where e.kind == 0 {
                for w in purchases[Int(e.user)] ?? [] { s &+= (1 << 32) + cents(e.value) + cents(w) }
            }
            return s
        }
        return Workload.timed.reduce(0) { $0 &+ perBatch[Workload.cycled($1)] }
    }()

    /// The user's path: two queue streams of events, filter, key by user, `join`, count in `foreachBatch`.
    static func user(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        let views = ssc.queueStream(Workload.runBatches.map { left[Workload.cycled($0)] })
            .filter { $0.kind == 0 }
            .map { (Int($0.user), $0.value) }
        let purchases = ssc.queueStream(Workload.runBatches.map { right[Workload.cycled($0)] })
            .filter { $0.kind == 2 }
            .map { (Int($0.user), $0.value) }
        views.join(purchases).foreachBatch { batch, _ in
            var s = 0
            for part in batch.partitions { for (_, (v, w)) in part { s &+= (1 << 32) + cents(v) + cents(w) } }
            sum.add(s)
        }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// The hand loop: each core owns half of the users; it chains its half of B's purchases in a flat table
    /// (user -> first row, rows linked through an index array), then probes it with its half of A's views.
    static func hand(_ benchmark: Benchmark) throws {
        try runHand(benchmark, name, records: records, expected: expected) { i in
            let (l, r) = (left[Workload.cycled(i)], right[Workload.cycled(i)])
            return onBothCores { h -> Int in
                let heads = IntTable<Int>(maxKeys: 8_192, zero: -1)
                var next: [Int] = [], values: [Int] = []
                next.reserveCapacity(4_096); values.reserveCapacity(4_096)
                r.withUnsafeBufferPointer { p in
                    for e in p where e.kind == 2 && half(Int(e.user)) == h {
                        let slot = heads.slot(Int(e.user))
                        next.append(heads.values[slot])
                        values.append(cents(e.value))
                        heads.values[slot] = values.count - 1
                    }
                }
                var s = 0
                l.withUnsafeBufferPointer { p in
                    for e in p where e.kind == 0 && half(Int(e.user)) == h {
                        guard let slot = heads.find(Int(e.user)) else { continue }
                        let v = cents(e.value)
                        var at = heads.values[slot]
                        while at >= 0 {
                            s &+= (1 << 32) + v + values[at]
                            at = next[at]
                        }
                    }
                }
                return s
            }.reduce(0, &+)
        }
    }
}
