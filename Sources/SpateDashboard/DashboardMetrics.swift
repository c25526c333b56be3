import Metrics
import Prometheus
import Spate
import Synchronization

/// The pipeline's figures in Prometheus' text format (`GET /metrics`), recorded through swift-metrics into
/// a registry of the dashboard's own (no global bootstrap: several contexts can run in one process).
final class DashboardMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let inputRecords: Metrics.Counter
    private let failedRecords: Metrics.Counter
    private let invalidRecords: Metrics.Counter
    private let batchesCompleted: Metrics.Counter
    private let schedulingDelay: Metrics.Timer
    private let processingTime: Metrics.Timer
    private let totalDelay: Metrics.Timer
    private let activeBatches: Metrics.Gauge
    private let inputRate: Metrics.Gauge
    private let lastBatchTime: Metrics.Gauge
    private let clients: Metrics.Gauge
    private let stateKeys: Metrics.Gauge
    private let checkpointDuration: Metrics.Timer
    private let lastCheckpoint: Metrics.Gauge
    private let droppedFrames: Metrics.Counter
    private let lateRecords: Metrics.Counter
    /// Each event-time stream's watermark and lag, each event-time operator's open windows or sessions.
    private let eventTime: EventTimeGauges
    private let perSource = Mutex<[Int: Metrics.Counter]>([:])
    private let perOutput = Mutex<[String: Metrics.Counter]>([:])

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
            .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        inputRecords = Metrics.Counter(label: "spate_streaming_input_records_total", factory: factory)
        failedRecords = Metrics.Counter(label: "spate_streaming_failed_records_total", factory: factory)
        invalidRecords = Metrics.Counter(label: "spate_streaming_invalid_records_total", factory: factory)
        batchesCompleted = Metrics.Counter(label: "spate_streaming_batches_completed_total", factory: factory)
        schedulingDelay = Metrics.Timer(label: "spate_streaming_scheduling_delay_seconds", factory: factory)
        processingTime = Metrics.Timer(label: "spate_streaming_processing_time_seconds", factory: factory)
        totalDelay = Metrics.Timer(label: "spate_streaming_total_delay_seconds", factory: factory)
        activeBatches = Metrics.Gauge(label: "spate_streaming_active_batches", factory: factory)
        inputRate = Metrics.Gauge(label: "spate_streaming_input_rate_records_per_second", factory: factory)
        lastBatchTime = Metrics.Gauge(label: "spate_streaming_last_completed_batch_time_milliseconds", factory: factory)
        clients = Metrics.Gauge(label: "spate_dashboard_clients", factory: factory)
        stateKeys = Metrics.Gauge(label: "spate_streaming_state_keys", factory: factory)
        checkpointDuration = Metrics.Timer(label: "spate_streaming_checkpoint_duration_seconds", factory: factory)
        lastCheckpoint = Metrics.Gauge(label: "spate_streaming_last_checkpoint_time_milliseconds", factory: factory)
        droppedFrames = Metrics.Counter(label: "spate_dashboard_dropped_frames_total", factory: factory)
        lateRecords = Metrics.Counter(label: "spate_streaming_late_records_total", factory: factory)
        eventTime = EventTimeGauges(
            labels: .init(
                watermark: "spate_streaming_watermark_milliseconds", lag: "spate_streaming_watermark_lag_milliseconds",
                openEntries: "spate_streaming_event_time_state_entries"),
            factory: factory)
    }

    /// Records a completed batch; `sourceNames` labels the per-source counters.
    func record(completed info: BatchInfo, batchIntervalMs: Int, sourceNames: [Int: String], active: Int) {
        inputRecords.increment(by: info.numRecords)
        if info.failedRecords > 0 { failedRecords.increment(by: info.failedRecords) }
        if info.invalidRecords > 0 { invalidRecords.increment(by: info.invalidRecords) }
        batchesCompleted.increment()
        if let d = info.schedulingDelay { schedulingDelay.recordNanoseconds(Self.nanoseconds(d)) }
        if let d = info.processingDelay { processingTime.recordNanoseconds(Self.nanoseconds(d)) }
        if let d = info.totalDelay { totalDelay.recordNanoseconds(Self.nanoseconds(d)) }
        activeBatches.record(active)
        inputRate.record(Double(info.numRecords) * 1000 / Double(Swift.max(1, batchIntervalMs)))
        lastBatchTime.record(info.batchTime.milliseconds)
        stateKeys.record(info.stateKeys.values.reduce(0, +))
        if let d = info.checkpointDuration { checkpointDuration.recordNanoseconds(Self.nanoseconds(d)) }
        if let t = info.lastCheckpointTime { lastCheckpoint.record(t.milliseconds) }
        if info.lateRecords > 0 { lateRecords.increment(by: info.lateRecords) }
        eventTime.record(info)
        for (id, n) in info.streamIdToNumRecords where n > 0 {
            let counter = perSource.withLock { counters in
                if let c = counters[id] { return c }
                let c = Metrics.Counter(label: "spate_streaming_source_records_total",
                                        dimensions: [("source", sourceNames[id] ?? "input#\(id)")], factory: factory)
                counters[id] = c
                return c
            }
            counter.increment(by: n)
        }
    }

    /// Counts records a result chart consumed (the records out of the pipeline shown on the dashboard).
    func recordOutput(title: String, records: Int) {
        let counter = perOutput.withLock { counters in
            if let c = counters[title] { return c }
            let c = Metrics.Counter(label: "spate_streaming_output_records_total",
                                    dimensions: [("output", title)], factory: factory)
            counters[title] = c
            return c
        }
        counter.increment(by: records)
    }

    func recordActive(_ count: Int) { activeBatches.record(count) }
    func recordClients(_ count: Int) { clients.record(count) }
    func recordDropped(_ count: Int) { droppedFrames.increment(by: count) }

    /// The exposition text.
    func exposition() -> String { registry.emitToString() }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}
