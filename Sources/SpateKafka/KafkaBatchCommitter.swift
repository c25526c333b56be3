import Logging
import Spate

/// Runs after each batch's outputs completed (the scheduler awaits it before the next batch runs): has the
/// batch's dead letters acknowledged before its checkpoint is written, then commits the batch's end offsets
/// for the consumer group, so a group member that restarts resumes after the last batch whose outputs
/// completed. Both wait for the broker, so they run on the blocking pool.
final class KafkaBatchCommitter: AwaitedBatchListener {
    let source: DirectKafkaSource
    let deadLetters: KafkaDeadLetters?
    let commit: Bool
    let logger: Logger

    init(source: DirectKafkaSource, deadLetters: KafkaDeadLetters?, commit: Bool, logger: Logger) {
        self.source = source
        self.deadLetters = deadLetters
        self.commit = commit
        self.logger = logger
    }

    /// The batch's dead letters are acknowledged by the broker before the checkpoint that covers the batch
    /// is written (the offsets of a stream without `offsets:` live only there): a crash before this replays
    /// the batch and sends them again (at-least-once, keyed by origin); a failed delivery fails the batch.
    func makeBatchDurable(_ time: BatchTime) async throws {
        try await deadLetters?.deliver(before: time)
    }

    func batchFinished(_ info: BatchInfo) async {
        do {
            try await BlockingIO.run { [self] in flushAndCommit(info) }
        } catch {
            logger.warning("Kafka offsets of a batch not committed: the blocking pool is shut down", metadata: [
                "batch": "\(info.batchTime)", "error": "\(error)"])
        }
    }

    private func flushAndCommit(_ info: BatchInfo) {
        if let deadLetters, !deadLetters.flush() {
            // Committing now could lose dead letters that were never written; the next batch's commit covers
            // these offsets once the dead letters are out.
            logger.error("dead letters not delivered; offsets of this batch are not committed yet", metadata: [
                "batch": "\(info.batchTime)", "topic": "\(deadLetters.topic)"])
            return
        }
        guard commit, let ranges = source.offsetRanges(at: info.batchTime), !ranges.isEmpty else { return }
        do {
            try source.commit(Dictionary(ranges.map { ($0.topicPartition, $0.untilOffset) }) { a, b in max(a, b) })
        } catch {
            // A later batch's commit includes these partitions' newer offsets, so a failed commit only means
            // a restart would read this batch again (at-least-once).
            logger.warning("Kafka offset commit failed; the next batch's commit will cover it", metadata: [
                "batch": "\(info.batchTime)", "group": "\(source.groupID)", "error": "\(error)"])
        }
    }
}
