import Logging
import Spate
import Synchronization

/// What Spark's `StreamingLinearAlgorithm` does for both streaming linear models: hold the latest weights,
/// run gradient descent on each non-empty batch starting from them, and score streams with them.
/// Bad points (wrong dimension, NaN or infinite label or features, and for a classifier a label other than
/// 0 or 1) are dropped before training and counted.
final class StreamingLinearTrainer: Sendable {
    let optimizer: GradientDescent
    let binaryLabels: Bool
    private let weights: Mutex<[Double]>
    let drops: DropCounter
    private let logger: Logger

    init(initialWeights: Vector, optimizer: GradientDescent, binaryLabels: Bool, logger: Logger) {
        self.optimizer = optimizer
        self.binaryLabels = binaryLabels
        self.weights = Mutex(initialWeights.values)
        self.logger = logger
        self.drops = DropCounter(logger: logger, what: "points")
    }

    var latestWeights: Vector { Vector(weights.withLock { $0 }) }

    func trainOn(_ data: DStream<LabeledPoint>) {
        data.foreachBatch { [self] batch, time in
            await train(batch.partitions, time: time)
        }
    }

    /// One batch: validate each partition, then gradient descent from the current weights.
    func train(_ partitions: [[LabeledPoint]], time: BatchTime) async {
        let dimension = weights.withLock { $0.count }
        let binary = binaryLabels
        let checked = await PartitionParallel.map(partitions.count) { p in
            Self.validate(partitions[p], dimension: dimension, binaryLabels: binary)
        }
        var dropped = DroppedRecords()
        for c in checked { dropped.add(c.dropped) }
        drops.record(dropped, context: "trainOn at \(time)")
        let valid = checked.map(\.points)
        let count = valid.reduce(0) { $0 + $1.count }
        guard count > 0 else { return }  // Spark skips empty batches
        let start = weights.withLock { $0 }
        let (next, iterations) = await optimizer.optimize(valid, initial: start)
        weights.withLock { $0 = next }
        logger.debug("model updated", metadata: [
            "time": "\(time)", "points": "\(count)", "iterations": "\(iterations)", "weights": "\(Vector(next))",
        ])
    }

    static func validate(_ points: [LabeledPoint], dimension: Int, binaryLabels: Bool)
        -> (points: [LabeledPoint], dropped: DroppedRecords)
    {
        var dropped = DroppedRecords()
        var out: [LabeledPoint] = []
        out.reserveCapacity(points.count)
        for point in points {
            if point.features.count != dimension {
                dropped.add(.wrongDimension)
            } else if !point.label.isFinite || !point.features.isFinite {
                dropped.add(.nonFinite)
            } else if binaryLabels, point.label != 0, point.label != 1 {
                dropped.add(.invalidLabel)
            } else {
                out.append(point)
            }
        }
        return (out, dropped)
    }

    /// Scores each point's features with `score` built from the latest weights at the batch's run.
    func predict<K: Sendable, R: Sendable>(
        _ data: DStream<(K, Vector)>, _ name: String, _ score: @escaping @Sendable (Vector) -> (Vector) -> R?
    ) -> DStream<(K, R)> {
        data.mapPartitions { [self] part in
            let scorer = score(latestWeights)
            var out: [(K, R)] = []
            out.reserveCapacity(part.count)
            var dropped = DroppedRecords()
            let dimension = latestWeights.count
            for (key, features) in part {
                if let r = scorer(features) {
                    out.append((key, r))
                } else {
                    dropped.add(features.count != dimension ? .wrongDimension : .nonFinite)
                }
            }
            drops.record(dropped, context: name)
            return out
        }
    }

    /// Checks the parameters Spark's setters check; messages say what to pass.
    static func check(initialWeights: Vector, stepSize: Double, numIterations: Int, miniBatchFraction: Double,
                      regParam: Double, convergenceTol: Double) throws {
        guard !initialWeights.isEmpty, initialWeights.isFinite else {
            throw SpateMLError.invalidInitialModel("initial weights must be finite, one per feature (at least one)")
        }
        guard stepSize > 0, stepSize.isFinite else {
            throw SpateMLError.invalidParameter(name: "stepSize", value: "\(stepSize)", expected: "a step size > 0")
        }
        guard numIterations >= 0 else {
            throw SpateMLError.invalidParameter(name: "numIterations", value: "\(numIterations)", expected: "numIterations >= 0")
        }
        guard miniBatchFraction > 0, miniBatchFraction <= 1 else {
            throw SpateMLError.invalidParameter(
                name: "miniBatchFraction", value: "\(miniBatchFraction)", expected: "a fraction in (0, 1]")
        }
        guard regParam >= 0, regParam.isFinite else {
            throw SpateMLError.invalidParameter(name: "regParam", value: "\(regParam)", expected: "regParam >= 0")
        }
        guard convergenceTol >= 0, convergenceTol <= 1 else {
            throw SpateMLError.invalidParameter(
                name: "convergenceTol", value: "\(convergenceTol)", expected: "a tolerance in [0, 1]")
        }
    }
}
