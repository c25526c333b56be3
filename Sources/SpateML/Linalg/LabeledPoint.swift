/// A training example for regression and classification (Spark MLlib's `LabeledPoint`): a label and the
/// feature vector it belongs to. For logistic regression the label is 0 or 1.
public struct LabeledPoint: Sendable, Hashable, CustomStringConvertible {
    /// The target value (a class, 0 or 1, for logistic regression).
    public var label: Double
    /// The features.
    public var features: Vector

    /// A point with `label` and `features`.
    public init(label: Double, features: Vector) {
        self.label = label
        self.features = features
    }

    /// Spark's text form, `(1.0,[2.0,3.0])`, which `LabeledPoint(parsing:)` reads back.
    public var description: String { "(\(label),\(features))" }
}
