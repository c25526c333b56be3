import Spate

extension DStream {
    /// Shows the stream as a live result chart on the context's dashboard: an output operation that, for
    /// every batch, draws the batch's keyed values (bars per key, a line per key, or a table of keys).
    ///
    /// ```swift
    /// let counts = clicks.map { ($0.campaign, 1) }
    ///     .reduceByKeyAndWindow(+, inverse: -, length: .seconds(10), slide: .seconds(1))
    /// counts.dashboard(.bar(title: "Views per campaign", topK: 10))
    /// let dashboard = try await ssc.dashboard(port: 4040)
    /// ```
    /// Complexity: O(n log n) per batch for n records (the ranking). Until `ssc.dashboard(...)` is called the
    /// output draws nothing; a chart's title names it on the page.
    public func dashboard<K, V: ChartValue>(_ chart: DashboardChart) where T == (K, V) {
        let resultChart = ResultChart(chart)
        let context = self.context
        foreachBatch(named: "dashboard(\(chart.kind): \(chart.title))") { batch, time in
            let pairs = batch.collect().map { ("\($0.0)", $0.1.chartValue) }
            resultChart.publish(resultChart.keyedFrame(pairs, at: time), records: pairs.count, on: context)
        }
    }

    /// Shows a numeric stream as a live result chart: each batch's sum is one point of a line (a `count()`
    /// stream plots its counts), one bar among the recent batches, or its values as a table.
    ///
    /// ```swift
    /// events.count().dashboard(.line(title: "Events per batch"))
    /// ```
    /// Complexity: O(n) per batch for n records.
    public func dashboard(_ chart: DashboardChart) where T: ChartValue {
        let resultChart = ResultChart(chart)
        let context = self.context
        foreachBatch(named: "dashboard(\(chart.kind): \(chart.title))") { batch, time in
            let values = batch.collect().map(\.chartValue)
            resultChart.publish(resultChart.numericFrame(values, at: time), records: values.count, on: context)
        }
    }

    /// Shows any stream as a live result chart of its records' descriptions: a table of the batch's records,
    /// bars counting each distinct record, or a line of the record count per batch.
    ///
    /// ```swift
    /// alerts.dashboard(.table(title: "Alerts"))
    /// ```
    /// Complexity: O(n log n) per batch for n records (bars), O(n) otherwise.
    // Disfavoured: Swift would otherwise prefer this non-generic method to the keyed one for `(K, V)` streams.
    @_disfavoredOverload
    public func dashboard(_ chart: DashboardChart) {
        let resultChart = ResultChart(chart)
        let context = self.context
        foreachBatch(named: "dashboard(\(chart.kind): \(chart.title))") { batch, time in
            // Describe only the records the chart shows: a line needs the count alone, a table its first rows.
            let count = batch.count
            let records: [String]
            switch chart {
            case .bar: records = batch.collect().map { "\($0)" }
            case .line: records = []
            case .table: records = batch.collect().prefix(ResultChart.tableRows).map { "\($0)" }
            }
            resultChart.publish(resultChart.recordsFrame(records, count: count, at: time), records: count, on: context)
        }
    }
}
