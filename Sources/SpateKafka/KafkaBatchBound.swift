import Spate

/// How far one batch of a direct Kafka stream reads into each partition: at most `maxRecordsPerPartition`
/// offsets (Spark's `maxOffsetsPerTrigger`, per partition), at most `maxRatePerPartition` x the batch interval
/// (Spark's `spark.streaming.kafka.maxRatePerPartition`), and a backpressure allowance split over the partitions
/// in proportion to their lag, as Spark's `DirectKafkaInputDStream` does. Never traps, whatever the offsets.
struct KafkaBatchBound: Sendable, CustomStringConvertible {
    var maxRecordsPerPartition: Int?
    var maxRatePerPartition: Int?
    var batchIntervalMs: Int

    /// The bound every partition gets from the options (at least 1), nil when there is none.
    var perPartition: Int64? {
        var limit: Int64?
        if let rate = maxRatePerPartition {
            let (product, overflow) = Int64(rate).multipliedReportingOverflow(by: Int64(batchIntervalMs))
            limit = max(1, overflow ? .max : product / 1000)
        }
        if let most = maxRecordsPerPartition { limit = min(limit ?? .max, max(1, Int64(most))) }
        return limit
    }

    /// The bound as the start log and `BatchInfo` state it.
    var description: String {
        let records = maxRecordsPerPartition.map { "maxRecordsPerPartition \($0) a batch" }
        let rate = maxRatePerPartition.map { "maxRatePerPartition \($0)/s" }
        let parts = [records, rate].compactMap { $0 }
        return parts.isEmpty ? "none (maxRecordsPerPartition nil: a batch reads up to the latest offset)"
            : parts.joined(separator: ", ")
    }

    /// Shortens `ranges` (whose `untilOffset` is the partition's latest offset) to the bound; `lag[i]` is
    /// range i's offset count before. Returns the indexes of the ranges it shortened.
    func apply(_ ranges: inout [KafkaOffsetRange], lag: [Int64], allowance: Int?) -> [Int] {
        var limits = [Int64?](repeating: perPartition, count: ranges.count)
        if let total = allowance, lag.count == ranges.count {
            var totalLag: Int64 = 0
            for l in lag {
                let (sum, overflow) = totalLag.addingReportingOverflow(max(0, l))
                totalLag = overflow ? .max : sum
            }
            for i in ranges.indices where totalLag > 0 {
                let share = (Double(total) * Double(max(0, lag[i])) / Double(totalLag)).rounded()
                let clamped = share >= Double(Int64.max) ? Int64.max : max(1, Int64(share))
                limits[i] = min(limits[i] ?? .max, clamped)
            }
        }
        var shortened: [Int] = []
        for i in ranges.indices {
            guard let limit = limits[i] else { continue }
            let (end, overflow) = ranges[i].fromOffset.addingReportingOverflow(limit)
            if !overflow, end < ranges[i].untilOffset {
                ranges[i].untilOffset = end
                shortened.append(i)
            }
        }
        return shortened
    }
}
