import Benchmark
import Spate

/// Shape (d): per-batch inner join of two streams of 200,000 `(user, value)` events over 100,000 users.
enum JoinShape {
    static let batchesPerMeasurement = 10
    static let left = Inputs.eventBatches(batchesPerMeasurement, seed: 1)
    static let right = Inputs.eventBatches(batchesPerMeasurement, seed: 2)
    /// Input events of both streams.
    static var events: Int { 2 * batchesPerMeasurement * Inputs.eventsPerBatch }

    static func engine(_ benchmark: Benchmark) async throws {
        let (left, right) = (Self.left, Self.right)
        let ssc = benchmarkContext()
        let out = OutputCounter()
        let a = ssc.queueStream(left), b = ssc.queueStream(right)
        a.join(b).foreachBatch { batch, _ in out.add(batch.count) }
        try await ssc.start()
        try await measure(benchmark, records: events) {
            try await ssc.advance(by: .seconds(batchesPerMeasurement))
        }
        await ssc.stop()
        blackHole(out.value)
    }

    /// The hand-written hash join: each core splits its halves of both sides by key, then each core builds
    /// a table from its part of the right side and probes it with its part of the left.
    static func baseline(_ benchmark: Benchmark) async {
        let (left, right) = (Self.left, Self.right)
        var rows = 0
        await measure(benchmark, records: events) {
            for (l, r) in zip(left, right) {
                let split = onBothCores { h -> ([[(Int, Int)]], [[(Int, Int)]]) in
                    func parts(_ side: [(Int, Int)]) -> [[(Int, Int)]] {
                        var out: [[(Int, Int)]] = [[], []]
                        out[0].reserveCapacity(side.count / 3); out[1].reserveCapacity(side.count / 3)
                        let range = h == 0 ? 0..<(side.count / 2) : (side.count / 2)..<side.count
                        for kv in side[range] { out[half(kv.0)].append(kv) }
                        return out
                    }
                    return (parts(l), parts(r))
                }
                let joined = onBothCores { j -> [(Int, (Int, Int))] in
                    var table: [Int: [Int]] = [:]
                    table.reserveCapacity(split[0].1[j].count + split[1].1[j].count)
                    for s in split { for (k, w) in s.1[j] { table[k, default: []].append(w) } }
                    var out: [(Int, (Int, Int))] = []
                    out.reserveCapacity(2 * (split[0].0[j].count + split[1].0[j].count))
                    for s in split {
                        for (k, v) in s.0[j] {
                            if let ws = table[k] { for w in ws { out.append((k, (v, w))) } }
                        }
                    }
                    return out
                }
                rows += joined[0].count + joined[1].count
            }
        }
        blackHole(rows)
    }
}
