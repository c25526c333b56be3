import Benchmark
import Foundation
import Spate
import SpateML
import Synchronization

/// W5 streaming k-means step: k = 10, dimension 10, decay 1, 100,000 points a batch from 10 Gaussian blobs;
/// per batch assign each point to its nearest centre, reduce (sum, count) per centre, update the model
/// (Spark's rule). The centres start at the blobs' centres with weight 0, so no cluster dies (Spark's split
/// never runs) and every form computes the same assignments.
/// Checksum: the sum over timed batches and clusters of (cluster + 1) x points assigned.
enum W5KMeans {
    static let name = "w5-kmeans"
    static let k = 10
    static let dimension = 10
    static let pointsPerBatch = 100_000
    static var records: Int { Workload.timedBatches * pointsPerBatch }

    static let generated: (blobs: [[Double]], points: [[[Double]]]) = {
        var rng = SeededRandom(seed: 42)
        let blobs = (0..<k).map { _ in (0..<dimension).map { _ in Double.random(in: -20...20, using: &rng) } }
        let points = (0..<Workload.distinctBatches).map { _ in
            (0..<pointsPerBatch).map { _ in blobs[Int.random(in: 0..<k, using: &rng)].map { $0 + rng.gaussian() } }
        }
        return (blobs, points)
    }()
    static var blobs: [[Double]] { generated.blobs }
    static var points: [[[Double]]] { generated.points }
    static let vectors = points.map { $0.map(Vector.init) }
    static let flat = points.map { $0.flatMap { $0 } }

    /// The index of the centre nearest to `p` (the user's code: arrays, indexes).
    static func closest(_ p: [Double], _ centers: [[Double]]) -> Int {
        var best = 0, bestDistance = Double.infinity
        for (j, c) in centers.enumerated() {
            var d = 0.0
            for t in 0..<p.count { let x = p[t] - c[t]; d += x * x }
            if d < bestDistance { bestDistance = d; best = j }
        }
        return best
    }

    /// The model as the user keeps it between batches: centres and weights, updated by Spark's rule.
    final class Model: Sendable {
        let state: Mutex<(centers: [[Double]], weights: [Double])>
        init(centers: [[Double]]) { state = Mutex((centers, [Double](repeating: 0, count: centers.count))) }
        var centers: [[Double]] { state.withLock { $0.centers } }

        func update(_ stats: [(Int, ([Double], Int))]) {
            state.withLock { m in
                for (j, (sum, count)) in stats {
                    let n = m.weights[j] + Double(count)
                    let lambda = Double(count) / Swift.max(n, 1e-16)
                    m.weights[j] = n
                    m.centers[j] = (0..<sum.count).map { t in m.centers[j][t] * (1 - lambda) + sum[t] * (lambda / Double(count)) }
                }
            }
        }
    }

    /// The reference: the user's code, one thread.
    static let expected: Int = {
        let model = Model(centers: blobs)
        var total = 0
        for i in Workload.runBatches {
            let centers = model.centers
            var stats: [Int: ([Double], Int)] = [:]
            for p in points[Workload.cycled(i)] {
                let j = closest(p, centers)
                let s = stats[j] ?? ([Double](repeating: 0, count: dimension), 0)
                stats[j] = (zip(s.0, p).map(+), s.1 + 1)
            }
            model.update(stats.map { ($0.key, $0.value) })
            if Workload.timed.contains(i) { for (j, s) in stats { total &+= (j + 1) * s.1 } }
        }
        return total
    }()

    /// The user's path: `Batch.map` and `reduceByKey` inside `foreachBatch`, as Spark users write it with RDD
    /// operations in `foreachRDD`.
    static func user(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        let model = Model(centers: blobs)
        ssc.queueStream(Workload.runBatches.map { points[Workload.cycled($0)] }).foreachBatch { batch, _ in
            let centers = model.centers
            let stats = batch.map { p in (closest(p, centers), (p, 1)) }
                .reduceByKey { a, b in (zip(a.0, b.0).map(+), a.1 + b.1) }
                .collect()
            model.update(stats)
            sum.add(stats.reduce(0) { $0 + ($1.0 + 1) * $1.1.1 })
        }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// SpateML's `StreamingKMeans.trainOn`; the checksum from the growth of its cluster weights (decay 1:
    /// a weight is the count of points assigned so far).
    static func fast(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let kmeans = try StreamingKMeans(
            k: k, decayFactor: 1.0,
            initialCenters: .given(centers: blobs.map(Vector.init), weights: Array(repeating: 0, count: k)))
        kmeans.trainOn(ssc.queueStream(Workload.runBatches.map { vectors[Workload.cycled($0)] }))
        let sum = Checksum()
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected) {
            sum.add(-weighted(kmeans.latestModel.clusterWeights))
        } completed: {
            sum.add(weighted(kmeans.latestModel.clusterWeights))
        }
    }

    static func weighted(_ weights: [Double]) -> Int {
        weights.enumerated().reduce(0) { $0 + ($1.offset + 1) * Int($1.element) }
    }

    /// The hand loop (`HandKMeans`): each core assigns its half of the batch's points (flat, contiguous) and
    /// sums them per cluster; the halves merge and Spark's update runs on flat centres.
    static func hand(_ benchmark: Benchmark) throws {
        var model = HandKMeans(centers: blobs)
        try runHand(benchmark, name, records: records, expected: expected) { i in
            model.step(flat[Workload.cycled(i)]).enumerated().reduce(0) { $0 + ($1.offset + 1) * $1.element }
        }
    }
}
