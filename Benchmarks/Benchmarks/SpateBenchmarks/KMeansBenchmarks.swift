import Foundation
import Benchmark
import Spate
import SpateML

/// Shape (k-means): streaming k-means with k = 10 in dimension 10, 100,000 points a batch, decay 1. The
/// engine runs `StreamingKMeans.trainOn` (parallel assignment and per-cluster sums over the batch's
/// partitions, then Spark's update); the hand-written baseline does the same assignment and update on flat
/// arrays with one thread per core. 2 batches warm up before 10 measured batches.
enum KMeansShape {
    static let k = 10
    static let dimension = 10
    static let pointsPerBatch = 100_000
    static let warmBatches = 2
    static let measuredBatches = 10
    static var points: Int { measuredBatches * pointsPerBatch }

    /// Three distinct batches, cycled (arrays share storage, so the input stays small): points around 10
    /// random blob centres with unit Gaussian noise.
    static let distinct: [[[Double]]] = {
        var rng = SeededGenerator(seed: 17)
        func gaussian() -> Double {
            var u = 0.0
            while u == 0 { u = Double.random(in: 0..<1, using: &rng) }
            let v = Double.random(in: 0..<1, using: &rng)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let blobs = (0..<k).map { _ in (0..<dimension).map { _ in Double.random(in: -20...20, using: &rng) } }
        return (0..<3).map { _ in
            (0..<pointsPerBatch).map { _ in
                let blob = blobs[Int.random(in: 0..<k, using: &rng)]
                return blob.map { $0 + gaussian() }
            }
        }
    }()

    static func batch(_ i: Int) -> [[Double]] { distinct[i % distinct.count] }

    /// The first point of each distinct blob region: a fixed start for both contestants.
    static let initialCenters: [[Double]] = (0..<k).map { batch(0)[$0] }

    static let engineInput: [[Vector]] = distinct.map { $0.map(Vector.init) }

    static func engine(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let kmeans = try StreamingKMeans(
            k: k, decayFactor: 1.0,
            initialCenters: .given(centers: initialCenters.map(Vector.init), weights: Array(repeating: 0, count: k)))
        let batches = (0..<(warmBatches + measuredBatches)).map { engineInput[$0 % engineInput.count] }
        kmeans.trainOn(ssc.queueStream(batches))
        try await ssc.start()
        try await ssc.advance(by: .seconds(warmBatches))
        try await measure(benchmark, records: points) {
            try await ssc.advance(by: .seconds(measuredBatches))
        }
        await ssc.stop()
        blackHole(kmeans.latestModel.clusterWeights)
    }

    /// The hand-written loop: each core assigns its half of the batch's points (flat, contiguous) to the
    /// nearest centre and sums them per cluster; the two halves' sums are merged and Spark's update applied.
    static func baseline(_ benchmark: Benchmark) async {
        let flat: [[Double]] = distinct.map { $0.flatMap { $0 } }
        var centers = initialCenters.flatMap { $0 }
        var weights = [Double](repeating: 0, count: k)
        func apply(_ data: [Double]) {
            let current = centers
            let partials = onBothCores { h -> ([Double], [Int]) in
                let n = data.count / dimension
                let range = h == 0 ? 0..<(n / 2) : (n / 2)..<n
                var sums = [Double](repeating: 0, count: k * dimension)
                var counts = [Int](repeating: 0, count: k)
                data.withUnsafeBufferPointer { x in
                    current.withUnsafeBufferPointer { c in
                        sums.withUnsafeMutableBufferPointer { s in
                            for i in range {
                                let p = x.baseAddress! + i * dimension
                                var best = 0
                                var bestDistance = Double.infinity
                                for j in 0..<k {
                                    let q = c.baseAddress! + j * dimension
                                    var d = 0.0
                                    for t in 0..<dimension {
                                        let diff = p[t] - q[t]
                                        d += diff * diff
                                    }
                                    if d < bestDistance { bestDistance = d; best = j }
                                }
                                counts[best] += 1
                                for t in 0..<dimension { s[best * dimension + t] += p[t] }
                            }
                        }
                    }
                }
                return (sums, counts)
            }
            for j in 0..<k {
                let m = partials[0].1[j] + partials[1].1[j]
                guard m > 0 else { continue }
                let n = weights[j] + Double(m)
                let lambda = Double(m) / max(n, 1e-16)
                weights[j] = n
                for t in 0..<dimension {
                    let sum = partials[0].0[j * dimension + t] + partials[1].0[j * dimension + t]
                    centers[j * dimension + t] = centers[j * dimension + t] * (1 - lambda) + sum * (lambda / Double(m))
                }
            }
        }
        for b in 0..<warmBatches { apply(flat[b % flat.count]) }
        await measure(benchmark, records: points) {
            for b in warmBatches..<(warmBatches + measuredBatches) { apply(flat[b % flat.count]) }
        }
        blackHole(weights)
    }
}
