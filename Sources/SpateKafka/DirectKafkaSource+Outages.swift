import Spate

/// Broker outages: cuts that find no broker back off (and read nothing, skipping no offset), and a recovered
/// batch waits for its offset ranges to be readable again when the broker is still down after a restart.
extension DirectKafkaSource {
    /// Ends the backoff after an outage, logging how many batches it lasted.
    func brokerAnswered() {
        let was = state.withLock { s -> Int in defer { s.failedBatches = 0 }; return s.failedBatches }
        if was > 0 { logger.notice("Kafka broker answers again; reading resumes where it stopped", metadata: ["brokers": "\(brokers)", "failedBatches": "\(was)"]) }
    }

    /// Backoff: after n failed batches in a row, the next 2^(n-1) - 1 batches (at most 31) skip the broker.
    func brokerFailed(_ time: BatchTime, _ error: any Error) {
        let (n, skip) = state.withLock { s -> (Int, Int) in
            s.failedBatches += 1
            s.skipBatches = min(31, (1 << min(s.failedBatches - 1, 5)) - 1)
            return (s.failedBatches, s.skipBatches)
        }
        logger.error("Kafka broker unreachable; the batch reads nothing and no offset is skipped", metadata: [
            "brokers": "\(brokers)", "batch": "\(time)", "failedBatches": "\(n)", "retryAfterBatches": "\(skip + 1)",
            "error": "\(error)"])
    }

    /// What one attempt at reading a recovered batch gave.
    enum ReplayAttempt: Sendable {
        case read([[KafkaRecord]])
        case retry(reason: String)
    }

    /// The longest pause between two attempts.
    static let maxReplayBackoff = Duration.seconds(5)

    /// Reads a recovered batch's ranges again: while the broker does not answer or the fetch falls short, it
    /// retries with a backoff doubling from 100 ms up to 5 s, logging each attempt, for `replayTimeout` in all;
    /// then it fails with `KafkaError.replayFailed` (and, once the stream runs, stops the context with it), so
    /// a batch is never rebuilt empty. Offsets deleted by retention meanwhile are data loss (`failOnDataLoss`).
    func replay(_ ranges: [KafkaOffsetRange], at time: BatchTime) async throws -> [[KafkaRecord]] {
        let began = ContinuousClock.now
        var delay = Duration.milliseconds(100)
        var attempt = 0
        while true {
            attempt += 1
            let outcome: ReplayAttempt
            do {
                outcome = try await BlockingIO.run { [self] in try replayNow(ranges, at: time) }
            } catch let error as KafkaError {
                if isStarted { fail(error) }
                throw error
            }
            let reason: String
            switch outcome {
            case let .read(parts):
                remember(ranges, at: time)
                if attempt > 1 {
                    logger.notice("recovered batch read after the broker came back", metadata: [
                        "batch": "\(time)", "attempts": "\(attempt)", "waited": "\(ContinuousClock.now - began)"])
                }
                return parts
            case let .retry(why):
                reason = why
            }
            let waited = ContinuousClock.now - began
            guard waited < options.replayTimeout else {
                let error = KafkaError.replayFailed(batch: time, ranges: ranges, waited: waited, reason: reason)
                if isStarted { fail(error) }
                throw error
            }
            logger.warning("cannot yet read a recovered batch's offsets; retrying", metadata: [
                "batch": "\(time)", "attempt": "\(attempt)", "brokers": "\(brokers)", "reason": "\(reason)",
                "waited": "\(waited)", "giveUpAfter": "\(options.replayTimeout)"])
            try await Task.sleep(for: min(delay, options.replayTimeout - waited))
            delay = min(delay * 2, Self.maxReplayBackoff)
        }
    }

    /// One attempt (on the blocking pool): the partitions' first offsets, then the fetch.
    private func replayNow(_ ranges: [KafkaOffsetRange], at time: BatchTime) throws -> ReplayAttempt {
        var wanted = ranges
        let partitions = ranges.filter { $0.fromOffset < $0.untilOffset }.map(\.topicPartition)
        if !partitions.isEmpty {
            let lows: [KafkaTopicPartition: Int64]
            do {
                lows = try consumer.offsets(partitions, latest: false, timeoutMs: 2000)
            } catch {
                return .retry(reason: "\(error)")
            }
            for i in wanted.indices where wanted[i].fromOffset < wanted[i].untilOffset {
                guard let low = lows[wanted[i].topicPartition],
                      let loss = KafkaDataLoss.check(wanted[i].topicPartition, next: wanted[i].fromOffset, low: low)
                else { continue }
                if options.failOnDataLoss { throw loss.error }
                loss.report(logger, group: groupID)
                wanted[i].fromOffset = min(low, wanted[i].untilOffset)
            }
        }
        prefetchSnapshots(wanted)
        let (parts, read) = fetch(wanted)
        guard zip(read, wanted).allSatisfy({ $0 >= $1.untilOffset }) else {
            return .retry(reason: "the fetch reached \(read) of \(wanted.map(\.untilOffset))")
        }
        return .read(parts)
    }
}
