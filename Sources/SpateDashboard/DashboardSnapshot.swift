/// Everything the page draws, as of one moment: the first frame a page receives.
struct DashboardSnapshot: Codable, Sendable {
    let applicationID: String
    /// Wall-clock milliseconds when the dashboard started.
    let startTime: Int
    let batchIntervalMs: Int
    let retainedBatches: Int
    let totalCompletedBatches: Int
    let totalRecords: Int
    let graph: GraphData
    /// Retained completed batches, oldest first.
    let completed: [BatchData]
    /// Queued and processing batches, oldest first.
    let active: [BatchData]
    /// The latest frame of every result chart, in order of first appearance.
    let charts: [ChartFrame]
}
