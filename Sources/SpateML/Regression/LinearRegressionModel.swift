/// A linear regression model (Spark MLlib's `LinearRegressionModel`): prediction = weights . x + intercept.
public struct LinearRegressionModel: Sendable, Hashable {
    /// One weight per feature.
    public let weights: Vector
    /// The intercept (0: Spark's streaming regression fits none).
    public let intercept: Double

    /// A model with `weights` and `intercept`.
    public init(weights: Vector, intercept: Double = 0) {
        self.weights = weights
        self.intercept = intercept
    }

    /// The predicted value for `features`, or nil when they have the wrong dimension or a non-finite value.
    public func predict(_ features: Vector) -> Double? {
        guard features.count == weights.count, features.isFinite else { return nil }
        return weights.dot(features) + intercept
    }
}
