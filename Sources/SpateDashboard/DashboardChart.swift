/// A live result chart on the dashboard, drawn from a DStream by `dstream.dashboard(_:)`.
///
/// The chart's title names it on the page: a second output with the same title replaces the first's data.
/// ```swift
/// campaignCounts.dashboard(.bar(title: "Views per campaign", topK: 10))   // DStream<(String, Int)>
/// events.count().dashboard(.line(title: "Events per batch"))               // DStream<Int>
/// alerts.dashboard(.table(title: "Alerts"))                                // any DStream
/// ```
public enum DashboardChart: Sendable, Equatable {
    /// Bars of the batch's largest values: for a keyed stream, one bar per key (values of equal keys add up);
    /// for a numeric stream, one bar per recent batch (its sum); for any other stream, one bar per distinct
    /// record (its count in the batch). At most `topK` bars.
    case bar(title: String, topK: Int = 10)
    /// A time series, one point per batch over the last 300 batches: for a numeric stream, the batch's sum
    /// (a `count()` stream gives its count); for a keyed stream, one line per key among the batch's
    /// 8 largest; for any other stream, the batch's record count.
    case line(title: String)
    /// The batch's records as rows (at most 50): for a keyed stream, key and value, largest value first.
    case table(title: String)

    /// The chart's title.
    public var title: String {
        switch self {
        case .bar(let title, _), .line(let title), .table(let title): return title
        }
    }

    var kind: String {
        switch self {
        case .bar: return "bar"
        case .line: return "line"
        case .table: return "table"
        }
    }
}
