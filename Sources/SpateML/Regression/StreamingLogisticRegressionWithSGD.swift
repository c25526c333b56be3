import Logging
import Spate

/// Streaming binary logistic regression trained by stochastic gradient descent (Spark MLlib's
/// `StreamingLogisticRegressionWithSGD`): each non-empty batch runs `numIterations` of gradient descent on the
/// logistic loss with Spark's `SquaredL2Updater` (L2 regularization `regParam`), starting from the previous
/// batch's weights; no intercept, as Spark.
///
/// ```swift
/// let classifier = try StreamingLogisticRegressionWithSGD(initialWeights: .zeros(2), regParam: 0.01)
/// classifier.trainOn(labeled)                                   // labels 0 or 1
/// classifier.predictOn(features).print()                        // 0.0 or 1.0
/// ```
/// Points of the wrong dimension, with NaN or infinite values, or with a label other than 0 or 1 are dropped
/// and counted in `droppedPoints` (Spark fails the batch on a bad label; a stream should go on).
public final class StreamingLogisticRegressionWithSGD: Sendable {
    private let trainer: StreamingLinearTrainer

    /// A model starting at `initialWeights` (one per feature), with Spark's defaults: step size 0.1, 50
    /// iterations per batch, the whole batch per iteration, no regularization, convergence tolerance 0.001.
    /// Throws `SpateMLError` for out-of-range parameters.
    public init(
        initialWeights: Vector, stepSize: Double = 0.1, numIterations: Int = 50, miniBatchFraction: Double = 1.0,
        regParam: Double = 0.0, convergenceTol: Double = 0.001
    ) throws {
        try StreamingLinearTrainer.check(
            initialWeights: initialWeights, stepSize: stepSize, numIterations: numIterations,
            miniBatchFraction: miniBatchFraction, regParam: regParam, convergenceTol: convergenceTol)
        let optimizer = GradientDescent(
            gradient: .logistic, updater: .squaredL2, stepSize: stepSize, numIterations: numIterations,
            regParam: regParam, miniBatchFraction: miniBatchFraction, convergenceTol: convergenceTol)
        trainer = StreamingLinearTrainer(
            initialWeights: initialWeights, optimizer: optimizer, binaryLabels: true,
            logger: Logger(label: "spate.ml.logisticRegression"))
    }

    /// The initial step size (the step at iteration i is stepSize / sqrt(i)).
    public var stepSize: Double { trainer.optimizer.stepSize }
    /// The gradient-descent iterations per batch.
    public var numIterations: Int { trainer.optimizer.numIterations }
    /// The fraction of each batch sampled per iteration.
    public var miniBatchFraction: Double { trainer.optimizer.miniBatchFraction }
    /// The L2 regularization parameter.
    public var regParam: Double { trainer.optimizer.regParam }
    /// The relative change of the weights under which a batch's descent stops early.
    public var convergenceTol: Double { trainer.optimizer.convergenceTol }

    /// The model after the last trained batch (threshold 0.5).
    public var latestModel: LogisticRegressionModel { LogisticRegressionModel(weights: trainer.latestWeights) }

    /// The points dropped so far (by training and prediction), by reason.
    public var droppedPoints: DroppedRecords { trainer.drops.snapshot }

    /// Updates the model with every non-empty batch of `data`, in batch order (an output operation; call
    /// before `start()`).
    public func trainOn(_ data: DStream<LabeledPoint>) { trainer.trainOn(data) }

    /// The predicted class (0.0 or 1.0) for each feature vector, with the latest model when the batch runs.
    public func predictOn(_ data: DStream<Vector>) -> DStream<Double> {
        predictOnValues(data.map { ((), $0) }).map { $0.1 }
    }

    /// `predictOn` for the values of a pair stream, keeping each key with its predicted class.
    public func predictOnValues<K: Sendable>(_ data: DStream<(K, Vector)>) -> DStream<(K, Double)> {
        trainer.predict(data, "predictOnValues") { weights in
            let model = LogisticRegressionModel(weights: weights)
            return { model.predict($0) }
        }
    }
}
