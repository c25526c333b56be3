/// One live result chart's data as the page draws it: the whole chart, so a client that missed a frame
/// catches up with the next.
struct ChartFrame: Codable, Sendable, Equatable {
    /// One bar: a key (or a batch time) and its value.
    struct Bar: Codable, Sendable, Equatable {
        let label: String
        let value: Double
    }

    /// One batch's values on a line chart, by series name.
    struct Point: Codable, Sendable, Equatable {
        let time: Int
        let values: [String: Double]
    }

    let title: String
    /// `bar`, `line` or `table`.
    let kind: String
    /// The batch the data comes from, in milliseconds.
    let batchTime: Int
    var bars: [Bar]? = nil
    var points: [Point]? = nil
    var columns: [String]? = nil
    var rows: [[String]]? = nil
    /// NaN or infinite values of the batch left out of the chart (nil when there were none).
    var nonFinite: Int? = nil
}
