/// One server-sent event to the page: `snapshot` (the whole state, first), `batch` (a batch was queued,
/// started or completed), `chart` (a result chart's new data) or `graph` (the operator graph).
struct UpdateFrame: Encodable, Sendable {
    let type: String
    var batch: BatchData? = nil
    var chart: ChartFrame? = nil
    var graph: GraphData? = nil
    var snapshot: DashboardSnapshot? = nil
}
