/// The hand-written k-means step the k-means baselines share: each core assigns its half of a batch's points
/// (flat, contiguous) to the nearest centre and sums them per cluster; the halves merge and Spark's update
/// (no dying-cluster split) runs on flat centres.
struct HandKMeans {
    let k: Int
    let dimension: Int
    /// The centres, `dimension` values each, one after the other.
    var centers: [Double]
    var weights: [Double]

    init(centers: [[Double]]) {
        k = centers.count
        dimension = centers.first?.count ?? 0
        self.centers = centers.flatMap { $0 }
        weights = [Double](repeating: 0, count: k)
    }

    /// Trains on the points of `data` (flat) and returns the points assigned to each cluster.
    mutating func step(_ data: [Double]) -> [Int] {
        let (k, dimension, current) = (self.k, self.dimension, centers)
        let partials = onBothCores { h -> ([Double], [Int]) in
            let n = data.count / dimension
            let range = h == 0 ? 0..<(n / 2) : (n / 2)..<n
            var sums = [Double](repeating: 0, count: k * dimension)
            var counts = [Int](repeating: 0, count: k)
            data.withUnsafeBufferPointer { x in
                current.withUnsafeBufferPointer { c in
                    sums.withUnsafeMutableBufferPointer { s in
                        counts.withUnsafeMutableBufferPointer { counts in
                            for i in range {
                                let p = x.baseAddress! + i * dimension
                                var best = 0, bestDistance = Double.infinity
                                for j in 0..<k {
                                    let q = c.baseAddress! + j * dimension
                                    var d = 0.0
                                    for t in 0..<dimension { let diff = p[t] - q[t]; d += diff * diff }
                                    if d < bestDistance { bestDistance = d; best = j }
                                }
                                counts[best] += 1
                                for t in 0..<dimension { s[best * dimension + t] += p[t] }
                            }
                        }
                    }
                }
            }
            return (sums, counts)
        }
        var assigned = [Int](repeating: 0, count: k)
        for j in 0..<k {
            let m = partials[0].1[j] + partials[1].1[j]
            guard m > 0 else { continue }
            assigned[j] = m
            let n = weights[j] + Double(m)
            let lambda = Double(m) / Swift.max(n, 1e-16)
            weights[j] = n
            for t in 0..<dimension {
                let sum = partials[0].0[j * dimension + t] + partials[1].0[j * dimension + t]
                centers[j * dimension + t] = centers[j * dimension + t] * (1 - lambda) + sum * (lambda / Double(m))
            }
        }
        return assigned
    }
}
