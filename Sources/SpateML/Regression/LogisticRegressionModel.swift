import Foundation

/// A binary logistic regression model (Spark MLlib's `LogisticRegressionModel`): the probability of class 1
/// is 1 / (1 + exp(-(weights . x + intercept))); `predict` returns 1 when it is above `threshold`, else 0.
public struct LogisticRegressionModel: Sendable, Hashable {
    /// One weight per feature.
    public let weights: Vector
    /// The intercept (0: Spark's streaming logistic regression fits none).
    public let intercept: Double
    /// The probability above which `predict` answers 1; nil makes `predict` return the probability itself
    /// (Spark's `clearThreshold`).
    public var threshold: Double?

    /// A model with `weights`, `intercept` and `threshold` (Spark's default 0.5).
    public init(weights: Vector, intercept: Double = 0, threshold: Double? = 0.5) {
        self.weights = weights
        self.intercept = intercept
        self.threshold = threshold
    }

    /// The probability that `features` belong to class 1, or nil for the wrong dimension or a non-finite value.
    public func probability(_ features: Vector) -> Double? {
        guard features.count == weights.count, features.isFinite else { return nil }
        return 1.0 / (1.0 + exp(-(weights.dot(features) + intercept)))
    }

    /// 1 or 0 by `threshold` (or the probability when there is no threshold); nil for bad features.
    public func predict(_ features: Vector) -> Double? {
        guard let p = probability(features) else { return nil }
        guard let threshold else { return p }
        return p > threshold ? 1 : 0
    }
}
