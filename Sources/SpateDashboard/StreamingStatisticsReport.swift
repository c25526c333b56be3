/// Works out Spark's streaming statistics (averages over the retained batches) from a snapshot.
enum StreamingStatisticsReport {
    static func make(_ s: DashboardSnapshot) -> SparkStreamingAPI.StreamingStatistics {
        let batches = s.completed
        func average(_ values: [Int]) -> Int? { values.isEmpty ? nil : values.reduce(0, +) / values.count }
        let rates = batches.map { Double($0.numRecords) * 1000 / Double(max(1, s.batchIntervalMs)) }
        let sources = s.graph.nodes.filter(\.isSource).count
        return SparkStreamingAPI.StreamingStatistics(
            startTime: SparkStreamingAPI.date(s.startTime),
            batchDuration: s.batchIntervalMs,
            numReceivers: sources, numActiveReceivers: sources, numInactiveReceivers: 0,
            numTotalCompletedBatches: s.totalCompletedBatches,
            numRetainedCompletedBatches: batches.count,
            numActiveBatches: s.active.count,
            numProcessedRecords: s.totalRecords,
            numReceivedRecords: s.totalRecords + s.active.reduce(0) { $0 + $1.numRecords },
            avgInputRate: rates.isEmpty ? nil : rates.reduce(0, +) / Double(rates.count),
            avgSchedulingDelay: average(batches.compactMap(\.schedulingDelayMs)),
            avgProcessingTime: average(batches.compactMap(\.processingTimeMs)),
            avgTotalDelay: average(batches.compactMap(\.totalDelayMs)))
    }
}
