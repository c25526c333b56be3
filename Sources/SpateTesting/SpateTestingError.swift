/// Errors of the test driver; each message says what to change.
public enum SpateTestingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An input or output was asked for with another element type than the program gave it.
    case typeMismatch(name: String, expected: String, actual: String)
    /// No input or output of that name was defined by the program.
    case unknown(kind: String, name: String)
    /// The program defined two outputs (or inputs) under one name.
    case duplicateName(kind: String, name: String)
    /// `crash()` or `recover()` needs a driver created with a checkpoint directory.
    case checkpointingRequired(String)
    /// The call needs a running program.
    case notRunning(String)

    public var description: String {
        switch self {
        case let .typeMismatch(name, expected, actual):
            return "'\(name)' holds \(actual), not \(expected): ask for it with of: \(actual).self"
        case let .unknown(kind, name):
            return "the program defines no \(kind) named '\(name)': define it in the program with "
                + "t.\(kind)(\"\(name)\", ...), or fix the name"
        case let .duplicateName(kind, name):
            return "the program defines two \(kind)s named '\(name)': give each \(kind) its own name"
        case let .checkpointingRequired(call):
            return "\(call) needs checkpoints: create the driver with checkpointing: true"
        case let .notRunning(call):
            return "\(call): the program is not running; call start() (or recover()) first"
        }
    }
}
