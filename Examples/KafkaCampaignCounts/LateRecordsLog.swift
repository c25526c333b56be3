import Logging
import Spate
import Synchronization

/// Logs the late events of every batch that had some (`BatchInfo.lateRecords`), with the running total, so
/// what the watermark left out of the windows is visible beside what went to the late topic.
final class LateRecordsLog: StreamingListener {
    private let logger = Logger(label: "KafkaCampaignCounts")
    private let total = Atomic<Int>(0)

    func batchCompleted(_ info: BatchInfo) {
        guard info.lateRecords > 0 else { return }
        let total = total.add(info.lateRecords, ordering: .relaxed).newValue
        logger.info("late events sent to the late topic", metadata: [
            "batch": "\(info.batchTime)", "late": "\(info.lateRecords)", "lateSinceStart": "\(total)"])
    }
}
