import Foundation
import NIOCore
import Spate
import Synchronization

/// Collects the progress of a context for its dashboard (Spark's `StreamingJobProgressListener`): the last
/// 1,000 completed batches (Spark's retention), the active ones, the latest frame of each result chart, and
/// pushes every change to the connected pages.
///
/// Called on the batch runner: it only records, encodes one frame and queues it for the clients.
final class StreamingJobProgressListener: StreamingListener {
    /// Completed batches kept, as Spark's `spark.streaming.ui.retainedBatches`.
    static let retainedBatches = 1000

    let applicationID: String
    let startTime: Int
    let batchIntervalMs: Int
    let metrics: DashboardMetrics
    let broadcaster: UpdateBroadcaster
    private let graphSource: @Sendable () -> OperatorGraph?
    private let state = Mutex(State())

    private struct State {
        /// Completed batches, oldest first, as a ring of at most `retainedBatches`.
        var completed: [BatchData] = []
        var completedStart = 0
        var active: [Int: BatchData] = [:]
        var totalCompleted = 0
        var totalRecords = 0
        var charts: [String: ChartFrame] = [:]
        var chartOrder: [String] = []
        var graph: GraphData?

        var completedInOrder: [BatchData] {
            Array(completed[completedStart...] + completed[..<completedStart])
        }
    }

    init(context: StreamingContext, applicationID: String, metrics: DashboardMetrics) {
        self.applicationID = applicationID
        self.startTime = Int(Date().timeIntervalSince1970 * 1000)
        self.batchIntervalMs = context.batchIntervalMilliseconds
        self.metrics = metrics
        self.broadcaster = UpdateBroadcaster(metrics: metrics)
        // Weak: the context holds its listeners, and a stopped context drops its graph anyway.
        graphSource = { [weak context] in context.map(\.operatorGraph) }
    }

    // MARK: StreamingListener

    func batchSubmitted(_ info: BatchInfo) { update(active: info) }

    func batchStarted(_ info: BatchInfo) { update(active: info) }

    func batchCompleted(_ info: BatchInfo) {
        let batch = BatchData(info)
        let frame = Self.encode(UpdateFrame(type: "batch", batch: batch))
        let (active, names) = state.withLock { s -> (Int, [Int: String]) in
            s.active[batch.batchTime] = nil
            if s.completed.count < Self.retainedBatches {
                s.completed.append(batch)
            } else {
                s.completed[s.completedStart] = batch
                s.completedStart = (s.completedStart + 1) % Self.retainedBatches
            }
            s.totalCompleted += 1
            s.totalRecords += batch.numRecords
            broadcaster.broadcast(frame)
            return (s.active.count, s.graph?.sourceNames ?? [:])
        }
        metrics.record(completed: info, batchIntervalMs: batchIntervalMs, sourceNames: names, active: active)
    }

    private func update(active info: BatchInfo) {
        let batch = BatchData(info)
        let needsGraph = state.withLock { $0.graph == nil }
        // The graph is complete once batches run: take it then (outside the lock, it locks the context).
        let graph = needsGraph ? graphSource().flatMap { $0.nodes.isEmpty ? nil : GraphData($0) } : nil
        var frames = [Self.encode(UpdateFrame(type: "batch", batch: batch))]
        if let graph { frames.append(Self.encode(UpdateFrame(type: "graph", graph: graph))) }
        let active = state.withLock { s -> Int in
            if let graph, s.graph == nil { s.graph = graph }
            s.active[batch.batchTime] = batch
            for frame in frames { broadcaster.broadcast(frame) }
            return s.active.count
        }
        metrics.recordActive(active)
    }

    // MARK: Result charts

    /// Records a chart's latest frame and pushes it.
    func publish(chart: ChartFrame, outputRecords: Int) {
        let frame = Self.encode(UpdateFrame(type: "chart", chart: chart))
        state.withLock { s in
            if s.charts.updateValue(chart, forKey: chart.title) == nil { s.chartOrder.append(chart.title) }
            broadcaster.broadcast(frame)
        }
        metrics.recordOutput(title: chart.title, records: outputRecords)
    }

    // MARK: Reading

    /// Everything a page needs to draw itself.
    func snapshot() -> DashboardSnapshot {
        let graph = state.withLock { $0.graph } ?? graphSource().map(GraphData.init)
        return state.withLock { s in makeSnapshot(s, graph: graph) }
    }

    /// Subscribes a page: its first frame is the snapshot, then every update after it, in order.
    func subscribe() -> (id: Int, snapshot: DashboardSnapshot, frames: AsyncStream<ByteBuffer>) {
        let fallbackGraph = state.withLock { $0.graph } == nil ? graphSource().map(GraphData.init) : nil
        return state.withLock { s in
            // Under the lock, so no frame falls between the snapshot and the subscription.
            let (id, frames) = broadcaster.subscribe()
            return (id, makeSnapshot(s, graph: s.graph ?? fallbackGraph), frames)
        }
    }

    private func makeSnapshot(_ s: State, graph: GraphData?) -> DashboardSnapshot {
        DashboardSnapshot(
            applicationID: applicationID, startTime: startTime, batchIntervalMs: batchIntervalMs,
            retainedBatches: Self.retainedBatches, totalCompletedBatches: s.totalCompleted,
            totalRecords: s.totalRecords, graph: graph ?? .empty,
            completed: s.completedInOrder, active: s.active.values.sorted { $0.batchTime < $1.batchTime },
            charts: s.chartOrder.compactMap { s.charts[$0] })
    }

    /// A completed or active batch by its time.
    func batch(_ time: Int) -> BatchData? {
        state.withLock { s in s.active[time] ?? s.completed.first { $0.batchTime == time } }
    }

    static func encode(_ frame: UpdateFrame) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes((try? JSONEncoder().encode(frame)) ?? Data("{}".utf8))
        buffer.writeString("\n\n")
        return buffer
    }
}
