import Foundation
import Spate

/// Spark MLlib's `GradientDescent.runMiniBatchSGD` for the two streaming linear models: per iteration i
/// (1...numIterations), the mean gradient over a Bernoulli sample (`miniBatchFraction`) of the batch, then
/// the updater with step size stepSize / sqrt(i); it stops early once the weights move less than
/// `convergenceTol x max(|w|, 1)` between two iterations. Gradients are summed per partition in parallel and
/// merged in partition order.
struct GradientDescent: Sendable {
    /// Spark's `LeastSquaresGradient` and `LogisticGradient` (binary).
    enum Gradient: Sendable {
        /// (w.x - y) x; loss (w.x - y)^2 / 2.
        case leastSquares
        /// (1 / (1 + exp(-w.x)) - y) x.
        case logistic
    }

    /// Spark's `SimpleUpdater` (no regularization) and `SquaredL2Updater`.
    enum Updater: Sendable {
        case simple
        case squaredL2
    }

    var gradient: Gradient
    var updater: Updater
    var stepSize: Double
    var numIterations: Int
    var regParam: Double
    var miniBatchFraction: Double
    var convergenceTol: Double

    /// The weights after running on `partitions` from `initial`, and the iterations run.
    func optimize(_ partitions: [[LabeledPoint]], initial: [Double]) async -> (weights: [Double], iterations: Int) {
        let n = initial.count
        var weights = initial
        var previous: [Double]?
        var iteration = 1
        while iteration <= numIterations {
            let w = weights
            let i = iteration
            let partials = await PartitionParallel.map(partitions.count) { [self] p in
                gradientSum(partitions[p], weights: w, iteration: i, partition: p)
            }
            var sum = [Double](repeating: 0, count: n)
            var count = 0
            for part in partials {
                for j in 0..<n { sum[j] += part.sum[j] }
                count += part.count
            }
            if count > 0 {
                let thisStep = stepSize / Double(iteration).squareRoot()
                let size = Double(count)
                if updater == .squaredL2 {
                    let shrink = 1.0 - thisStep * regParam
                    for j in 0..<n { weights[j] *= shrink }
                }
                for j in 0..<n { weights[j] += -thisStep * (sum[j] / size) }
                if let previous, Self.converged(previous, weights, tolerance: convergenceTol) {
                    return (weights, iteration)
                }
                previous = weights
            }
            iteration += 1
        }
        return (weights, iteration - 1)
    }

    private func gradientSum(_ points: [LabeledPoint], weights: [Double], iteration: Int, partition: Int)
        -> (sum: [Double], count: Int)
    {
        var sum = [Double](repeating: 0, count: weights.count)
        var count = 0
        let sampled = miniBatchFraction < 1
        // Spark samples with seed 42 + iteration; here the seed also mixes in the partition.
        var random = SeededRandom(seed: UInt64(42 + iteration) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(partition))
        weights.withUnsafeBufferPointer { w in
            sum.withUnsafeMutableBufferPointer { g in
                for point in points {
                    if sampled, random.nextUniform() >= miniBatchFraction { continue }
                    point.features.values.withUnsafeBufferPointer { x in
                        let margin = BLAS.dot(x, w)
                        let multiplier: Double
                        switch gradient {
                        case .leastSquares: multiplier = margin - point.label
                        case .logistic: multiplier = 1.0 / (1.0 + exp(-margin)) - point.label
                        }
                        BLAS.axpy(multiplier, x, g)
                    }
                    count += 1
                }
            }
        }
        return (sum, count)
    }

    static func converged(_ previous: [Double], _ current: [Double], tolerance: Double) -> Bool {
        var diff = 0.0
        var norm = 0.0
        for j in current.indices {
            let d = previous[j] - current[j]
            diff += d * d
            norm += current[j] * current[j]
        }
        return diff.squareRoot() < tolerance * Swift.max(norm.squareRoot(), 1.0)
    }
}
