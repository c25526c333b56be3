import Spate
import Synchronization

/// The state behind one `dstream.dashboard(_:)` output: turns each batch into a `ChartFrame` (keeping the
/// recent points of line charts) and hands it to the context's dashboards.
final class ResultChart: Sendable {
    let chart: DashboardChart
    /// Points of a line chart, or the recent batches of a numeric bar chart, oldest first.
    private let history = Mutex<[ChartFrame.Point]>([])
    static let linePoints = 300
    static let lineSeries = 8
    static let tableRows = 50

    init(_ chart: DashboardChart) { self.chart = chart }

    private var topK: Int {
        if case .bar(_, let k) = chart { return Swift.max(1, k) }
        return 10
    }

    /// A keyed stream's batch: values of equal labels add up.
    /// NaN and infinite values cannot be drawn (nor written as JSON): they are left out and counted in the
    /// frame's `nonFinite`, which the page shows beside the chart.
    func keyedFrame(_ pairs: [(String, Double)], at time: BatchTime) -> ChartFrame {
        var sums: [String: Double] = [:]
        sums.reserveCapacity(pairs.count)
        var nonFinite = 0
        for (label, value) in pairs {
            if value.isFinite { sums[label, default: 0] += value } else { nonFinite += 1 }
        }
        // Finite values can still add up to infinity.
        for (label, sum) in sums where !sum.isFinite { sums[label] = nil; nonFinite += 1 }
        let ranked = sums.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var frame = ChartFrame(title: chart.title, kind: chart.kind, batchTime: time.milliseconds)
        if nonFinite > 0 { frame.nonFinite = nonFinite }
        switch chart {
        case .bar:
            frame.bars = ranked.prefix(topK).map { ChartFrame.Bar(label: $0.key, value: $0.value) }
        case .line:
            let values = Dictionary(uniqueKeysWithValues: ranked.prefix(Self.lineSeries).map { ($0.key, $0.value) })
            frame.points = append(ChartFrame.Point(time: time.milliseconds, values: values), keep: Self.linePoints)
        case .table:
            frame.columns = ["key", "value"]
            frame.rows = ranked.prefix(Self.tableRows).map { [$0.key, Self.format($0.value)] }
        }
        return frame
    }

    /// A numeric stream's batch: its sum is the batch's figure.
    func numericFrame(_ all: [Double], at time: BatchTime) -> ChartFrame {
        let values = all.filter(\.isFinite)
        var sum = values.reduce(0, +)
        var nonFinite = all.count - values.count
        if !sum.isFinite { sum = 0; nonFinite += 1 }
        var frame = ChartFrame(title: chart.title, kind: chart.kind, batchTime: time.milliseconds)
        if nonFinite > 0 { frame.nonFinite = nonFinite }
        switch chart {
        case .bar:
            let points = append(ChartFrame.Point(time: time.milliseconds, values: ["value": sum]), keep: topK)
            frame.bars = points.map { ChartFrame.Bar(label: "\($0.time) ms", value: $0.values["value"] ?? 0) }
        case .line:
            frame.points = append(ChartFrame.Point(time: time.milliseconds, values: [chart.title: sum]),
                                  keep: Self.linePoints)
        case .table:
            frame.columns = ["value"]
            frame.rows = values.prefix(Self.tableRows).map { [Self.format($0)] }
        }
        return frame
    }

    /// Any other stream's batch, by the records' descriptions (all of them for bars, the first rows for a
    /// table, none for a line) and the batch's record count.
    func recordsFrame(_ records: [String], count: Int, at time: BatchTime) -> ChartFrame {
        switch chart {
        case .bar:
            return keyedFrame(records.map { ($0, 1) }, at: time)
        case .line:
            var frame = ChartFrame(title: chart.title, kind: chart.kind, batchTime: time.milliseconds)
            frame.points = append(
                ChartFrame.Point(time: time.milliseconds, values: ["records": Double(count)]),
                keep: Self.linePoints)
            return frame
        case .table:
            var frame = ChartFrame(title: chart.title, kind: chart.kind, batchTime: time.milliseconds)
            frame.columns = ["record"]
            frame.rows = records.prefix(Self.tableRows).map { [$0] }
            return frame
        }
    }

    private func append(_ point: ChartFrame.Point, keep: Int) -> [ChartFrame.Point] {
        history.withLock { h in
            h.append(point)
            if h.count > keep { h.removeFirst(h.count - keep) }
            return h
        }
    }

    /// Sends `frame` to every dashboard of `context`; `records` is the batch's size, counted as output.
    func publish(_ frame: ChartFrame, records: Int, on context: StreamingContext) {
        for case let listener as StreamingJobProgressListener in context.registeredListeners {
            listener.publish(chart: frame, outputRecords: records)
        }
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
