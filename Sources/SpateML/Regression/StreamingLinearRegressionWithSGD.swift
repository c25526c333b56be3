import Logging
import Spate

/// Streaming linear regression trained by stochastic gradient descent (Spark MLlib's
/// `StreamingLinearRegressionWithSGD`): each non-empty batch runs `numIterations` of gradient descent on the
/// least-squares loss, starting from the previous batch's weights (no intercept, no regularization, as Spark).
///
/// ```swift
/// let regression = try StreamingLinearRegressionWithSGD(initialWeights: .zeros(3))
/// regression.trainOn(training)                                   // DStream<LabeledPoint>
/// regression.predictOnValues(test.map { ($0.label, $0.features) }).print()
/// ```
/// Each iteration sums the gradient over the batch's partitions in parallel: O(points x features) per
/// iteration. Points of the wrong dimension or with NaN or infinite values are dropped and counted in
/// `droppedPoints`.
public final class StreamingLinearRegressionWithSGD: Sendable {
    private let trainer: StreamingLinearTrainer

    /// A model starting at `initialWeights` (one per feature), with Spark's defaults: step size 0.1, 50
    /// iterations per batch, the whole batch per iteration, convergence tolerance 0.001.
    /// Throws `SpateMLError` for out-of-range parameters.
    public init(
        initialWeights: Vector, stepSize: Double = 0.1, numIterations: Int = 50, miniBatchFraction: Double = 1.0,
        convergenceTol: Double = 0.001
    ) throws {
        try StreamingLinearTrainer.check(
            initialWeights: initialWeights, stepSize: stepSize, numIterations: numIterations,
            miniBatchFraction: miniBatchFraction, regParam: 0, convergenceTol: convergenceTol)
        let optimizer = GradientDescent(
            gradient: .leastSquares, updater: .simple, stepSize: stepSize, numIterations: numIterations,
            regParam: 0, miniBatchFraction: miniBatchFraction, convergenceTol: convergenceTol)
        trainer = StreamingLinearTrainer(
            initialWeights: initialWeights, optimizer: optimizer, binaryLabels: false,
            logger: Logger(label: "spate.ml.linearRegression"))
    }

    /// The initial step size (the step at iteration i is stepSize / sqrt(i)).
    public var stepSize: Double { trainer.optimizer.stepSize }
    /// The gradient-descent iterations per batch.
    public var numIterations: Int { trainer.optimizer.numIterations }
    /// The fraction of each batch sampled per iteration.
    public var miniBatchFraction: Double { trainer.optimizer.miniBatchFraction }
    /// The relative change of the weights under which a batch's descent stops early.
    public var convergenceTol: Double { trainer.optimizer.convergenceTol }

    /// The model after the last trained batch.
    public var latestModel: LinearRegressionModel { LinearRegressionModel(weights: trainer.latestWeights) }

    /// The points dropped so far (by training and prediction), by reason.
    public var droppedPoints: DroppedRecords { trainer.drops.snapshot }

    /// Updates the model with every non-empty batch of `data`, in batch order (an output operation; call
    /// before `start()`).
    public func trainOn(_ data: DStream<LabeledPoint>) { trainer.trainOn(data) }

    /// The predicted value for each feature vector, with the latest model when the batch runs.
    public func predictOn(_ data: DStream<Vector>) -> DStream<Double> {
        predictOnValues(data.map { ((), $0) }).map { $0.1 }
    }

    /// `predictOn` for the values of a pair stream, keeping each key with its prediction.
    public func predictOnValues<K: Sendable>(_ data: DStream<(K, Vector)>) -> DStream<(K, Double)> {
        trainer.predict(data, "predictOnValues") { weights in
            let model = LinearRegressionModel(weights: weights)
            return { model.predict($0) }
        }
    }
}
