/// The checks of the algorithms' parameters, shared by `Graph` and `GraphStream` (which checks them when the
/// stream is defined, so a bad parameter fails at definition and not in every batch).
enum GraphParameter {
    /// `staticPageRank`'s: at least one iteration, a reset probability in [0, 1].
    static func check(numIter: Int, resetProbability r: Double) throws(GraphError) {
        guard numIter > 0 else {
            throw GraphError.invalidParameter(name: "numIter", value: "\(numIter)", expected: "at least 1 iteration")
        }
        guard r >= 0, r <= 1 else {
            throw GraphError.invalidParameter(
                name: "resetProbability", value: "\(r)", expected: "a probability in [0, 1] (GraphX uses 0.15)")
        }
    }

    /// `pageRank`'s: a finite tolerance >= 0, a reset probability in [0, 1) (at 1 GraphX's first message,
    /// r / (1 - r), is infinite).
    static func check(tolerance: Double, resetProbability r: Double) throws(GraphError) {
        guard tolerance >= 0, tolerance.isFinite else {
            throw GraphError.invalidParameter(
                name: "tolerance", value: "\(tolerance)", expected: "a finite tolerance >= 0 (GraphX uses 0.0001)")
        }
        guard r >= 0, r < 1 else {
            throw GraphError.invalidParameter(
                name: "resetProbability", value: "\(r)", expected: "a probability in [0, 1) (GraphX uses 0.15)")
        }
    }

    /// `labelPropagation`'s: at least one step.
    static func check(maxSteps: Int) throws(GraphError) {
        guard maxSteps > 0 else {
            throw GraphError.invalidParameter(name: "maxSteps", value: "\(maxSteps)", expected: "at least 1 step")
        }
    }
}
