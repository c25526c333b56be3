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
        let blobs = (0..<k).map { _ in (0..<dimension).map { _ in Double.random(in: -20...20, using: &rng) } }
        return (0..<3).map { _ in
            (0..<pointsPerBatch).map { _ in
                let blob = blobs[Int.random(in: 0..<k, using: &rng)]
                return blob.map { $0 + rng.gaussian() }
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

    /// The hand-written loop (`HandKMeans`): each core assigns its half of the batch's points to the nearest
    /// centre and sums them per cluster; the two halves' sums are merged and Spark's update applied.
    static func baseline(_ benchmark: Benchmark) async {
        let flat: [[Double]] = distinct.map { $0.flatMap { $0 } }
        var model = HandKMeans(centers: initialCenters)
        for b in 0..<warmBatches { _ = model.step(flat[b % flat.count]) }
        await measure(benchmark, records: points) {
            for b in warmBatches..<(warmBatches + measuredBatches) { _ = model.step(flat[b % flat.count]) }
        }
        blackHole(model.weights)
    }
}
