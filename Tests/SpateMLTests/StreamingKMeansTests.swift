import Foundation
import Spate
import Testing
@testable import SpateML

/// Spark's StreamingKMeansModel.update, written plainly (one point at a time, no partitions), as the
/// reference the engine's parallel implementation must agree with.
struct ReferenceKMeans {
    var centers: [[Double]]
    var weights: [Double]

    static func nearest(_ x: [Double], _ centers: [[Double]]) -> Int {
        var best = 0
        var bestDistance = Double.infinity
        for (c, centre) in centers.enumerated() {
            var d = 0.0
            for j in x.indices { d += (x[j] - centre[j]) * (x[j] - centre[j]) }
            if d < bestDistance { best = c; bestDistance = d }
        }
        return best
    }

    mutating func update(_ points: [[Double]], decay: Double, unit: DecayTimeUnit) {
        let k = centers.count, dim = centers[0].count
        var sums = [[Double]](repeating: [Double](repeating: 0, count: dim), count: k)
        var counts = [Int](repeating: 0, count: k)
        for x in points {
            let c = Self.nearest(x, centers)
            counts[c] += 1
            for j in 0..<dim { sums[c][j] += x[j] }
        }
        let discount = unit == .batches ? decay : pow(decay, Double(points.count))
        for c in 0..<k { weights[c] *= discount }
        for c in 0..<k where counts[c] > 0 {
            let m = Double(counts[c])
            let n = weights[c] + m
            let lambda = m / max(n, 1e-16)
            weights[c] = n
            for j in 0..<dim { centers[c][j] = centers[c][j] * (1 - lambda) + sums[c][j] * (lambda / m) }
        }
        let largest = weights.indices.max { weights[$0] < weights[$1] }!  // first max
        let smallest = weights.indices.min { weights[$0] < weights[$1] }!  // first min
        let firstLargest = weights.firstIndex(of: weights[largest])!
        if weights[smallest] < 1e-8 * weights[firstLargest] {
            let w = (weights[firstLargest] + weights[smallest]) / 2
            weights[firstLargest] = w
            weights[smallest] = w
            for j in 0..<dim {
                let x = centers[firstLargest][j]
                let p = 1e-14 * max(abs(x), 1)
                centers[firstLargest][j] = x + p
                centers[smallest][j] = x - p
            }
        }
    }
}

func randomBatches(_ rng: inout TestRandom, batches: Int, points: Int, dimension: Int, blobs: [[Double]]) -> [[Vector]] {
    (0..<batches).map { _ in
        (0..<points).map { _ in
            let blob = blobs[Int.random(in: 0..<blobs.count, using: &rng)]
            return Vector(blob.map { $0 + 0.5 * rng.gaussian() })
        }
    }
}

@Suite("StreamingKMeans")
struct StreamingKMeansTests {
    @Test("given two batches, decay 0.5 per batch, the centres and weights match the values computed by hand")
    func handComputed() async throws {
        let ssc = manualContext()
        let kmeans = try StreamingKMeans(
            k: 2, decayFactor: 0.5, initialCenters: .given(centers: [[0.0], [10.0]], weights: [1, 1]))
        kmeans.trainOn(ssc.queueStream([[[1.0], [2.0], [9.0]], [[0.0]]]))
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        // Cluster 0: weight 1 x 0.5 + 2 = 2.5, λ = 0.8, centre 0 x 0.2 + 3 x 0.8 / 2 = 1.2.
        // Cluster 1: weight 0.5 + 1 = 1.5, λ = 2/3, centre 10 / 3 + 9 x 2/3 = 9.333...
        var model = kmeans.latestModel
        #expect(close(model.clusterWeights, [2.5, 1.5]))
        #expect(close(model.clusterCenters.map { $0[0] }, [1.2, 28.0 / 3.0]))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        // Cluster 0: weight 1.25 + 1 = 2.25, centre 1.2 x 1.25 / 2.25 = 2/3; cluster 1 only decays.
        model = kmeans.latestModel
        #expect(close(model.clusterWeights, [2.25, 0.75]))
        #expect(close(model.clusterCenters.map { $0[0] }, [2.0 / 3.0, 28.0 / 3.0]))
    }

    @Test("given a point equidistant from two centres, it goes to the lower index")
    func tiesGoToLowestIndex() throws {
        let kmeans = try StreamingKMeans(k: 3, initialCenters: .given(centers: [[5, 0], [-1, 0], [1, 0]], weights: [1, 1, 1]))
        #expect(kmeans.latestModel.predict([0, 0]) == 1)
        #expect(kmeans.latestModel.predict([3, 0]) == 0)
    }

    @Test("given a cluster that receives no points, it dies and takes half of the largest cluster")
    func dyingClusterSplitsTheLargest() async throws {
        let ssc = manualContext()
        let kmeans = try StreamingKMeans(
            k: 3, initialCenters: .given(centers: [[0.0, 0.0], [100.0, 100.0], [-50.0, 3.0]], weights: [0, 0, 5]))
        kmeans.trainOn(ssc.queueStream([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]]))
        try await run(ssc, batches: 1)
        let model = kmeans.latestModel
        // Cluster 0 gets the three points (centre (2, 2), weight 3); cluster 1 has weight 0 < 1e-8 x 5 (cluster 2
        // is the largest): cluster 1 dies and takes cluster 2's place, both with weight (5 + 0) / 2.
        #expect(close(model.clusterWeights, [3, 2.5, 2.5], 0))
        let c = model.clusterCenters
        #expect(c[0] == [2.0, 2.0])
        #expect(c[2] == [-50.0 + 50e-14, 3.0 + 3e-14])
        #expect(c[1] == [-50.0 - 50e-14, 3.0 - 3e-14])
    }

    @Test("given several batches, the model equals the plain reference", arguments: [
        (1.0, DecayTimeUnit.batches), (0.7, .batches), (0.999, .points),
    ])
    func matchesReference(decay: Double, unit: DecayTimeUnit) async throws {
        var rng = TestRandom(seed: 11)
        let blobs = [[0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 0.0, 1.0], [-3.0, 2.0, 1.0, -2.0]]
        let batches = randomBatches(&rng, batches: 6, points: 97, dimension: 4, blobs: blobs)
        let initial: [Vector] = [[0.1, 0.2, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]
        var reference = ReferenceKMeans(centers: initial.map(\.values), weights: [0.5, 0.5, 0.5])
        let ssc = manualContext()
        let kmeans = try StreamingKMeans(
            k: 3, decayFactor: decay, timeUnit: unit, initialCenters: .given(centers: initial, weights: [0.5, 0.5, 0.5]))
        kmeans.trainOn(ssc.queueStream(batches))
        try await ssc.start()
        for batch in batches {
            try await ssc.advance(by: .seconds(1))
            reference.update(batch.map(\.values), decay: decay, unit: unit)
            let model = kmeans.latestModel
            #expect(close(model.clusterWeights, reference.weights))
            for c in 0..<3 { #expect(close(model.clusterCenters[c].values, reference.centers[c])) }
        }
        await ssc.stop()
    }

    @Test("for every k (groups of four centres and a partial group), assignment equals the plain nearest centre",
          arguments: [1, 2, 4, 5, 8, 10, 13])
    func assignmentForEveryK(k: Int) throws {
        var rng = TestRandom(seed: UInt64(k))
        let centres = (0..<k).map { _ in (0..<7).map { _ in rng.uniform(-3...3) } }
        // Duplicate centres make exact ties: the lower index must win.
        let withTies = k > 2 ? Array(centres.prefix(k - 1)) + [centres[0]] : centres
        let model = try StreamingKMeans(
            k: k, initialCenters: .given(centers: withTies.map(Vector.init), weights: Array(repeating: 1, count: k))
        ).latestModel
        for _ in 0..<500 {
            let x = (0..<7).map { _ in rng.uniform(-4...4) }
            #expect(model.predict(Vector(x)) == ReferenceKMeans.nearest(x, withTies))
        }
        #expect(model.predict(Vector(withTies[0])) == 0)
    }

    @Test("given a half-life, the decay factor is exp(ln 0.5 / halfLife) and the model follows the reference")
    func halfLife() async throws {
        let kmeans = try StreamingKMeans(
            k: 2, halfLife: 2, timeUnit: .batches, initialCenters: .given(centers: [[0.0], [10.0]], weights: [4, 4]))
        #expect(close(kmeans.decayFactor, 0.5.squareRoot()))
        let ssc = manualContext()
        let batches: [[Vector]] = [[[1.0], [9.0]], [[2.0], [8.0], [8.5]], []]
        kmeans.trainOn(ssc.queueStream(batches))
        var reference = ReferenceKMeans(centers: [[0.0], [10.0]], weights: [4, 4])
        try await run(ssc, batches: 3)
        for b in batches { reference.update(b.map(\.values), decay: kmeans.decayFactor, unit: .batches) }
        // Two half-lives after the start, the initial weight 4 counts 1 (plus what the batches added).
        #expect(close(kmeans.latestModel.clusterWeights, reference.weights))
        #expect(close(kmeans.latestModel.clusterCenters.map { $0[0] }, reference.centers.map { $0[0] }))
    }

    @Test("given points from three known blobs, the centres converge to the blob means")
    func convergence() async throws {
        var rng = TestRandom(seed: 3)
        let blobs = [[-5.0, -5.0], [5.0, 5.0], [5.0, -5.0]]
        let batches = randomBatches(&rng, batches: 10, points: 600, dimension: 2, blobs: blobs)
        let ssc = manualContext()
        let kmeans = try StreamingKMeans(k: 3, initialCenters: .given(centers: [[-1, -1], [1, 1], [1, -1]], weights: [0, 0, 0]))
        kmeans.trainOn(ssc.queueStream(batches))
        try await run(ssc, batches: 10)
        let centres = kmeans.latestModel.clusterCenters
        for (c, blob) in blobs.enumerated() {
            #expect(centres[c].squaredDistance(to: Vector(blob)).squareRoot() < 0.05, "centre \(c): \(centres[c])")
        }
        #expect(kmeans.latestModel.clusterWeights.reduce(0, +) == 6000)
    }

    @Test("given random seeded initial centres, two models with the same seed start equal")
    func randomCentres() throws {
        let a = try StreamingKMeans(k: 4, initialCenters: .random(dimension: 3, weight: 0, seed: 9))
        let b = try StreamingKMeans(k: 4, initialCenters: .random(dimension: 3, weight: 0, seed: 9))
        #expect(a.latestModel.clusterCenters == b.latestModel.clusterCenters)
        #expect(a.latestModel.clusterCenters.count == 4 && a.latestModel.dimension == 3)
        #expect(a.latestModel.clusterWeights == [0, 0, 0, 0])
    }

    @Test("given points of the wrong dimension, NaN or infinity, they are dropped and counted, the model stays clean")
    func badInput() async throws {
        let clean: [Vector] = [[1, 1], [2, 2], [9, 9]]
        let bad: [Vector] = [[1, 1, 1], [Double.nan, 0], [0, Double.infinity], [5]]
        let ssc = manualContext()
        let kmeans = try StreamingKMeans(k: 2, initialCenters: .given(centers: [[0, 0], [10, 10]], weights: [1, 1]))
        kmeans.trainOn(ssc.queueStream([clean + bad]))
        let predictions = Collector(kmeans.predictOn(ssc.queueStream([bad + clean])))
        try await run(ssc, batches: 1)
        var reference = ReferenceKMeans(centers: [[0, 0], [10, 10]], weights: [1, 1])
        reference.update(clean.map(\.values), decay: 1, unit: .batches)
        #expect(close(kmeans.latestModel.clusterWeights, reference.weights))
        #expect(kmeans.latestModel.clusterCenters.allSatisfy { $0.isFinite })
        #expect(close(kmeans.latestModel.clusterCenters[0].values, reference.centers[0]))
        #expect(kmeans.droppedPoints[.wrongDimension] == 4)  // 2 in training, 2 in prediction
        #expect(kmeans.droppedPoints[.nonFinite] == 4)
        #expect(predictions.results.first?.count == 3)
    }

    @Test("given keyed points, predictOnValues keeps the keys with each point's cluster")
    func predictOnValues() async throws {
        let ssc = manualContext()
        let kmeans = try StreamingKMeans(k: 2, initialCenters: .given(centers: [[0.0], [10.0]], weights: [1, 1]))
        let out = Collector(kmeans.predictOnValues(ssc.queueStream([[("a", [1.0] as Vector), ("b", [8.0]), ("c", [4.0])]])))
        try await run(ssc, batches: 1)
        let got = Dictionary(uniqueKeysWithValues: out.results.flatMap { $0 })
        #expect(got == ["a": 0, "b": 1, "c": 0])
    }

    @Test("invalid configurations throw errors that say what to pass")
    func invalidConfiguration() {
        #expect(throws: SpateMLError.self) { try StreamingKMeans(k: 0, initialCenters: .random(dimension: 2)) }
        #expect(throws: SpateMLError.self) { try StreamingKMeans(k: 2, decayFactor: -1, initialCenters: .random(dimension: 2)) }
        #expect(throws: SpateMLError.self) { try StreamingKMeans(k: 2, halfLife: 0, timeUnit: .points, initialCenters: .random(dimension: 2)) }
        #expect(throws: SpateMLError.self) { try StreamingKMeans(k: 2, initialCenters: .given(centers: [[1.0]], weights: [1])) }
        #expect(throws: SpateMLError.self) {
            try StreamingKMeans(k: 2, initialCenters: .given(centers: [[1.0], [1.0, 2.0]], weights: [1, 1]))
        }
    }
}
