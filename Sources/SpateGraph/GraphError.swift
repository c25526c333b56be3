/// The errors of SpateGraph, each saying what to change.
public enum GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An algorithm's parameter is out of its range.
    case invalidParameter(name: String, value: String, expected: String)
    /// A graph has more vertices than 32-bit indices address.
    case tooManyVertices(limit: Int)

    /// What went wrong and what to change.
    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            "invalid \(name) \(value): pass \(expected)"
        case let .tooManyVertices(limit):
            "a graph of one batch or window holds more than \(limit) vertices: use a shorter window or batch"
        }
    }
}
