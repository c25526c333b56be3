import Logging
import Spate

/// A streaming linear model trained by stochastic gradient descent, as Spark MLlib's `StreamingLinearAlgorithm`:
/// each non-empty batch runs `numIterations` of gradient descent starting from the previous batch's weights, and
/// `predictOn` scores a stream with the latest model. Use it through Spark's two names,
/// `StreamingLinearRegressionWithSGD` and `StreamingLogisticRegressionWithSGD`, whose initializers choose the
/// loss and the updater.
///
/// Each iteration sums the gradient over the batch's partitions in parallel: O(points x features) per
/// iteration. Points of the wrong dimension or with NaN or infinite values (and, for the classifier, labels
/// other than 0 or 1) are dropped and counted in `droppedPoints`.
public final class StreamingLinearAlgorithm<Model: Sendable>: Sendable {
    let trainer: StreamingLinearTrainer
    private let model: @Sendable (Vector) -> Model
    private let predict: @Sendable (Model, Vector) -> Double?

    init(
        initialWeights: Vector, stepSize: Double, numIterations: Int, miniBatchFraction: Double, regParam: Double,
        convergenceTol: Double, gradient: GradientDescent.Gradient, updater: GradientDescent.Updater,
        binaryLabels: Bool, logLabel: String,
        model: @escaping @Sendable (Vector) -> Model, predict: @escaping @Sendable (Model, Vector) -> Double?
    ) throws {
        try StreamingLinearTrainer.check(
            initialWeights: initialWeights, stepSize: stepSize, numIterations: numIterations,
            miniBatchFraction: miniBatchFraction, regParam: regParam, convergenceTol: convergenceTol)
        let optimizer = GradientDescent(
            gradient: gradient, updater: updater, stepSize: stepSize, numIterations: numIterations,
            regParam: regParam, miniBatchFraction: miniBatchFraction, convergenceTol: convergenceTol)
        trainer = StreamingLinearTrainer(
            initialWeights: initialWeights, optimizer: optimizer, binaryLabels: binaryLabels,
            logger: Logger(label: logLabel))
        self.model = model
        self.predict = predict
    }

    /// The initial step size (the step at iteration i is stepSize / sqrt(i)).
    public var stepSize: Double { trainer.optimizer.stepSize }
    /// The gradient-descent iterations per batch.
    public var numIterations: Int { trainer.optimizer.numIterations }
    /// The fraction of each batch sampled per iteration.
    public var miniBatchFraction: Double { trainer.optimizer.miniBatchFraction }
    /// The L2 regularization parameter (0 for linear regression, which Spark does not regularize).
    public var regParam: Double { trainer.optimizer.regParam }
    /// The relative change of the weights under which a batch's descent stops early.
    public var convergenceTol: Double { trainer.optimizer.convergenceTol }

    /// The model after the last trained batch.
    public var latestModel: Model { model(trainer.latestWeights) }

    /// The points dropped so far (by training and prediction), by reason.
    public var droppedPoints: DroppedRecords { trainer.drops.snapshot }

    /// Updates the model with every non-empty batch of `data`, in batch order (an output operation; call
    /// before `start()`).
    public func trainOn(_ data: DStream<LabeledPoint>) { trainer.trainOn(data) }

    /// The prediction for each feature vector, with the latest model when the batch runs.
    public func predictOn(_ data: DStream<Vector>) -> DStream<Double> {
        predictOnValues(data.map { ((), $0) }).map { $0.1 }
    }

    /// `predictOn` for the values of a pair stream, keeping each key with its prediction.
    public func predictOnValues<K: Sendable>(_ data: DStream<(K, Vector)>) -> DStream<(K, Double)> {
        let model = self.model, predict = self.predict
        return trainer.predict(data, "predictOnValues") { weights in
            let current = model(weights)
            return { predict(current, $0) }
        }
    }
}

/// Streaming linear regression trained by stochastic gradient descent (Spark MLlib's
/// `StreamingLinearRegressionWithSGD`): gradient descent on the least-squares loss, no intercept, no
/// regularization, as Spark.
///
/// ```swift
/// let regression = try StreamingLinearRegressionWithSGD(initialWeights: .zeros(3))
/// regression.trainOn(training)                                   // DStream<LabeledPoint>
/// regression.predictOnValues(test.map { ($0.label, $0.features) }).print()
/// ```
public typealias StreamingLinearRegressionWithSGD = StreamingLinearAlgorithm<LinearRegressionModel>

/// Streaming binary logistic regression trained by stochastic gradient descent (Spark MLlib's
/// `StreamingLogisticRegressionWithSGD`): gradient descent on the logistic loss with Spark's `SquaredL2Updater`
/// (L2 regularization `regParam`), no intercept, as Spark. Predictions are 0.0 or 1.0 (threshold 0.5).
///
/// ```swift
/// let classifier = try StreamingLogisticRegressionWithSGD(initialWeights: .zeros(2), regParam: 0.01)
/// classifier.trainOn(labeled)                                   // labels 0 or 1
/// classifier.predictOn(features).print()                        // 0.0 or 1.0
/// ```
/// Labels other than 0 or 1 are dropped and counted (Spark fails the batch on a bad label; a stream should go on).
public typealias StreamingLogisticRegressionWithSGD = StreamingLinearAlgorithm<LogisticRegressionModel>

extension StreamingLinearAlgorithm where Model == LinearRegressionModel {
    /// A linear regression starting at `initialWeights` (one per feature), with Spark's defaults: step size
    /// 0.1, 50 iterations per batch, the whole batch per iteration, convergence tolerance 0.001.
    /// Throws `SpateMLError` for out-of-range parameters.
    public convenience init(
        initialWeights: Vector, stepSize: Double = 0.1, numIterations: Int = 50, miniBatchFraction: Double = 1.0,
        convergenceTol: Double = 0.001
    ) throws {
        try self.init(
            initialWeights: initialWeights, stepSize: stepSize, numIterations: numIterations,
            miniBatchFraction: miniBatchFraction, regParam: 0, convergenceTol: convergenceTol,
            gradient: .leastSquares, updater: .simple, binaryLabels: false, logLabel: "spate.ml.linearRegression",
            model: { LinearRegressionModel(weights: $0) }, predict: { $0.predict($1) })
    }
}

extension StreamingLinearAlgorithm where Model == LogisticRegressionModel {
    /// A logistic regression starting at `initialWeights` (one per feature), with Spark's defaults: step size
    /// 0.1, 50 iterations per batch, the whole batch per iteration, no regularization, convergence tolerance
    /// 0.001. Throws `SpateMLError` for out-of-range parameters.
    public convenience init(
        initialWeights: Vector, stepSize: Double = 0.1, numIterations: Int = 50, miniBatchFraction: Double = 1.0,
        regParam: Double = 0.0, convergenceTol: Double = 0.001
    ) throws {
        try self.init(
            initialWeights: initialWeights, stepSize: stepSize, numIterations: numIterations,
            miniBatchFraction: miniBatchFraction, regParam: regParam, convergenceTol: convergenceTol,
            gradient: .logistic, updater: .squaredL2, binaryLabels: true, logLabel: "spate.ml.logisticRegression",
            model: { LogisticRegressionModel(weights: $0) }, predict: { $0.predict($1) })
    }
}
