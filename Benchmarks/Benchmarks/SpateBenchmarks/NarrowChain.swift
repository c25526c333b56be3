import Benchmark
import Spate

/// The per-record cost of a fused narrow chain (map -> filter -> map over integers, 1,000,000 records a
/// batch), as DStream operators, as `Batch` operations in `foreachBatch`, and as a hand loop. The work per
/// record is a few instructions, so the figures are the chain's own overhead.
/// Checksum: the sum of the outputs.
enum NarrowChain {
    static let name = "narrow-chain"
    static let recordsPerBatch = 1_000_000
    static let input: [Int] = Array(0..<recordsPerBatch)
    static var records: Int { Workload.timedBatches * recordsPerBatch }

    @inline(__always) static func first(_ x: Int) -> Int { x &* 3 }
    @inline(__always) static func keep(_ x: Int) -> Bool { x & 1 == 0 }
    @inline(__always) static func second(_ x: Int) -> Int { x &+ 1 }

    static let expected: Int = {
        let perBatch = input.lazy.map(first).filter(keep).map(second).reduce(0, &+)
        return Workload.timedBatches &* perBatch
    }()

    static func sum(_ partitions: [[Int]]) -> Int {
        var s = 0
        for part in partitions { for x in part { s &+= x } }
        return s
    }

    static func engine(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let total = Checksum()
        ssc.queueStream(Workload.runBatches.map { _ in input })
            .map(first).filter(keep).map(second)
            .foreachBatch { batch, _ in total.add(sum(batch.partitions)) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: total, expected: expected)
    }

    static func batch(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let total = Checksum()
        ssc.queueStream(Workload.runBatches.map { _ in input }).foreachBatch { batch, _ in
            total.add(sum(batch.map(first).filter(keep).map(second).partitions))
        }
        try await runEngine(benchmark, name, ssc, records: records, checksum: total, expected: expected)
    }

    /// Each core runs the chain over its half into its own output array, then the arrays are summed (the
    /// engine forms also materialize the batch before the sum).
    static func hand(_ benchmark: Benchmark) throws {
        try runHand(benchmark, name, records: records, expected: expected) { _ in
            onBothCores { h -> [Int] in
                let range = h == 0 ? 0..<(input.count / 2) : (input.count / 2)..<input.count
                var out: [Int] = []
                out.reserveCapacity(range.count)
                for x in input[range] {
                    let y = first(x)
                    if keep(y) { out.append(second(y)) }
                }
                return out
            }.reduce(0) { $0 &+ sum([$1]) }
        }
    }
}
