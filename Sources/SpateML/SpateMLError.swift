/// Errors SpateML throws when a model is configured wrongly or a text record is not in Spark's format.
/// Each message says what to change.
public enum SpateMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value is out of range.
    case invalidParameter(name: String, value: String, expected: String)
    /// The initial centres or weights do not fit the model.
    case invalidInitialModel(String)
    /// A line is not a vector or labeled point in Spark's text format.
    case unparsable(line: String, reason: String)

    /// A message that says what is wrong and what to change.
    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            return "\(name) = \(value) is invalid: pass \(expected)"
        case let .invalidInitialModel(reason):
            return "invalid initial model: \(reason)"
        case let .unparsable(line, reason):
            let shown = line.count > 80 ? String(line.prefix(80)) + "..." : line
            return "cannot parse \"\(shown)\": \(reason); expected Spark's format, e.g. [1.0,2.0] or (1.0,[2.0,3.0])"
        }
    }
}
