import Metrics
import Synchronization

/// The event-time figures of each completed batch as swift-metrics gauges, one per stream or operator: the
/// watermark after the batch, W(t+1), per stream; its lag behind the batch time (batch time minus watermark);
/// and the open windows, sessions or buffered join records per event-time operator. Late records are a
/// counter, counted where they are found (`withWatermark`: `spate_late_records_total`).
///
/// The scheduler records them under `Labels.core` into the process's metrics backend; the dashboard records
/// them again, under its own labels, into the registry its `/metrics` serves.
package final class EventTimeGauges: Sendable {
    /// The three gauges' labels; the stream or operator name is their one dimension.
    package struct Labels: Sendable {
        /// The watermark, in event-time milliseconds; dimension `stream`.
        package let watermark: String
        /// Batch time minus watermark, in milliseconds; dimension `stream`.
        package let lag: String
        /// Open windows, sessions or buffered records; dimension `operator`.
        package let openEntries: String

        package init(watermark: String, lag: String, openEntries: String) {
            self.watermark = watermark
            self.lag = lag
            self.openEntries = openEntries
        }

        /// The core's: `spate_watermark_ms`, `spate_watermark_lag_ms`, `spate_event_time_state_entries`.
        package static let core = Labels(
            watermark: "spate_watermark_ms", lag: "spate_watermark_lag_ms",
            openEntries: "spate_event_time_state_entries")
    }

    private let labels: Labels
    private let factory: (any MetricsFactory)?
    private let gauges = Mutex<[String: Gauge]>([:])

    /// Gauges under `labels`, made by `factory` (nil: the process's bootstrapped metrics backend).
    package init(labels: Labels = .core, factory: (any MetricsFactory)? = nil) {
        self.labels = labels
        self.factory = factory
    }

    /// Records the watermarks, their lags and the event-time state sizes of `info`.
    package func record(_ info: BatchInfo) {
        for (stream, watermark) in info.watermarks {
            gauge(labels.watermark, "stream", stream).record(watermark)
            gauge(labels.lag, "stream", stream).record(Int64(info.batchTime.milliseconds) &- watermark)
        }
        for (name, entries) in info.eventTimeState {
            gauge(labels.openEntries, "operator", name).record(entries)
        }
    }

    /// The gauge `label{dimension=value}`, made once.
    private func gauge(_ label: String, _ dimension: String, _ value: String) -> Gauge {
        gauges.withLock { made in
            let key = "\(label)\u{0}\(value)"
            if let gauge = made[key] { return gauge }
            let gauge = Gauge(label: label, dimensions: [(dimension, value)], factory: factory ?? MetricsSystem.factory)
            made[key] = gauge
            return gauge
        }
    }
}
