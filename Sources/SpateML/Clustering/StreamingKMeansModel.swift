import Foundation

/// The state of a streaming k-means clustering: the cluster centres and the weight (the discounted number of
/// points) behind each, as Spark MLlib's `StreamingKMeansModel`. A value: `StreamingKMeans.latestModel` hands
/// out a snapshot that later batches do not change.
public struct StreamingKMeansModel: Sendable {
    /// The number of clusters.
    public let k: Int
    /// The dimension of the points and centres.
    public let dimension: Int
    /// The centres, cluster-major: `centers[c * dimension + j]`.
    let centers: [Double]
    /// The weight of each cluster.
    public let clusterWeights: [Double]
    let assignment: KMeansAssignment

    init(centers: [Double], weights: [Double], dimension: Int) {
        self.k = weights.count
        self.dimension = dimension
        self.centers = centers
        self.clusterWeights = weights
        self.assignment = KMeansAssignment(centers: centers, k: weights.count, dimension: dimension)
    }

    /// The cluster centres, one vector per cluster.
    public var clusterCenters: [Vector] {
        (0..<k).map { c in Vector(Array(centers[(c * dimension)..<((c + 1) * dimension)])) }
    }

    /// The index of the centre nearest to `point` (squared Euclidean distance, ties to the lowest index),
    /// or nil when the point has the wrong dimension or a NaN or infinite value. O(k x dimension).
    public func predict(_ point: Vector) -> Int? {
        assignment.predict(point)
    }

    /// What one update did, for logging and tests.
    struct UpdateReport: Sendable {
        var newPoints = 0
        var discount = 1.0
        /// (dying cluster, largest cluster) when a dying cluster was replaced by half of the largest.
        var split: (smallest: Int, largest: Int)?
    }

    /// Spark's `StreamingKMeansModel.update` applied to one batch's per-cluster sums and counts:
    /// 1. discount every weight by `decayFactor` (per batch) or `decayFactor^m` (per point, m = the batch's
    ///    points);
    /// 2. for each cluster that received m > 0 points with sum s: n' = n + m, λ = m / max(n', 1e-16),
    ///    c' = (1 - λ) c + (λ / m) s (the centre moves toward the batch mean by λ);
    /// 3. if the smallest weight is below 1e-8 x the largest (first index on ties), the dying cluster takes
    ///    the largest one's place: both get weight (max + min) / 2, and centres x + p and x - p with
    ///    p = 1e-14 x max(|x|, 1) per coordinate x of the largest centre.
    func updated(with batch: KMeansPartialSums, decayFactor: Double, timeUnit: DecayTimeUnit)
        -> (StreamingKMeansModel, UpdateReport)
    {
        var report = UpdateReport()
        report.newPoints = batch.counts.reduce(0, +)
        let discount: Double
        switch timeUnit {
        case .batches: discount = decayFactor
        case .points: discount = pow(decayFactor, Double(report.newPoints))
        }
        report.discount = discount
        var weights = clusterWeights
        for c in 0..<k { weights[c] *= discount }
        var centers = self.centers
        let d = dimension
        centers.withUnsafeMutableBufferPointer { all in
            batch.sums.withUnsafeBufferPointer { sums in
                for c in 0..<k where batch.counts[c] > 0 {
                    let count = Double(batch.counts[c])
                    let updatedWeight = weights[c] + count
                    let lambda = count / Swift.max(updatedWeight, 1e-16)
                    weights[c] = updatedWeight
                    let centre = UnsafeMutableBufferPointer(rebasing: all[(c * d)..<((c + 1) * d)])
                    BLAS.scal(1 - lambda, centre)
                    BLAS.axpy(lambda / count, UnsafeBufferPointer(rebasing: sums[(c * d)..<((c + 1) * d)]), centre)
                }
            }
        }
        var largest = 0
        var smallest = 0
        for c in 1..<Swift.max(k, 1) {
            if weights[c] > weights[largest] { largest = c }
            if weights[c] < weights[smallest] { smallest = c }
        }
        let maxWeight = weights[largest]
        let minWeight = weights[smallest]
        if minWeight < 1e-8 * maxWeight {
            report.split = (smallest, largest)
            let weight = (maxWeight + minWeight) / 2
            weights[largest] = weight
            weights[smallest] = weight
            for j in 0..<d {
                let x = centers[largest * d + j]
                let p = 1e-14 * Swift.max(Swift.abs(x), 1)
                centers[largest * d + j] = x + p
                centers[smallest * d + j] = x - p
            }
        }
        return (StreamingKMeansModel(centers: centers, weights: weights, dimension: d), report)
    }
}
