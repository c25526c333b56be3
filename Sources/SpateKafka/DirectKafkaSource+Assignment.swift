import Spate

/// Where a direct stream's partitions start: at `start()` and, in consumer-group mode, whenever the group
/// assigns a partition to this process.
extension DirectKafkaSource {
    /// Each partition's starting offset (the given one, clamped to the log; the earliest or latest without
    /// one), and the partitions whose given offset retention deleted before it was read.
    func startingOffsets(
        _ partitions: [KafkaTopicPartition]
    ) throws -> ([KafkaTopicPartition: Int64], [KafkaDataLoss]) {
        let consumer = try self.consumer
        var given: [KafkaTopicPartition: Int64] = [:]
        var latest = false  // partitions with no given offset start at the end instead of the beginning
        switch options.startingOffsets {
        case .committed: given = try consumer.committed(partitions, timeoutMs: timeoutMs)
        case let .specific(offsets): given = offsets
        case let .stored(store): given = try store.storedOffsets(group: groupID, partitions: partitions).kafkaOffsets
        case .earliest: break
        case .latest: latest = true
        }
        if let store = stateSnapshots.withLock({ $0 }) {
            // A partition-scoped state's snapshot wins: its state holds every record before its offset.
            given.merge(try store.storedOffsets(group: groupID, partitions: partitions).kafkaOffsets) { _, snapshot in snapshot }
        }
        var next: [KafkaTopicPartition: Int64] = [:]
        var losses: [KafkaDataLoss] = []
        let lows = try consumer.offsets(partitions, latest: false, timeoutMs: timeoutMs)
        let highs = try consumer.offsets(partitions, latest: true, timeoutMs: timeoutMs)
        for tp in partitions {
            let low = lows[tp] ?? 0, high = highs[tp] ?? 0
            if let g = given[tp], let loss = KafkaDataLoss.check(tp, next: g, low: low) { losses.append(loss) }
            next[tp] = given[tp].map { min(max($0, low), high) } ?? (latest ? high : low)
        }
        return (next, losses)
    }

    /// Consumer-group mode: serves the group protocol and takes the current assignment. Partitions newly
    /// assigned start from the starting offsets (asked now, so they include what the previous owner stored);
    /// revoked ones are dropped; kept ones go on where they were.
    func refreshAssignment() {
        guard let member = try? groupMember?.get() else { return }
        let assigned = member.poll()
        let (generation, current) = state.withLock { ($0.generation, $0.partitions) }
        guard assigned.generation != generation else { return }
        let added = assigned.partitions.filter { !current.contains($0) }
        let revoked = current.filter { !assigned.partitions.contains($0) }
        var starts: [KafkaTopicPartition: Int64] = [:]
        var losses: [KafkaDataLoss] = []
        if !added.isEmpty {
            do {
                (starts, losses) = try startingOffsets(added)
            } catch {
                // Left for the next batch: the generation stays unseen, so the next cut tries again.
                logger.error("cannot find the starting offsets of newly assigned partitions; retrying next batch",
                             metadata: ["group": "\(groupID)", "partitions": "\(added)", "error": "\(error)"])
                return
            }
        }
        if options.failOnDataLoss, let loss = losses.first { return fail(loss.error) }
        state.withLock { s in
            s.generation = assigned.generation
            for tp in revoked { s.next[tp] = nil }
            for tp in added { s.next[tp] = starts[tp] }
            for loss in losses { s.lostFrom[loss.partition] = loss.from }
            s.lossesToReport += losses
            s.partitions = assigned.partitions
        }
        for loss in losses { loss.report(logger, group: groupID) }
        logger.notice("consumer group assignment changed", metadata: [
            "group": "\(groupID)", "partitions": "\(assigned.partitions.map(\.description).joined(separator: " "))",
            "added": "\(added.map { "\($0)@\(starts[$0] ?? -1)" }.joined(separator: " "))",
            "revoked": "\(revoked.map(\.description).joined(separator: " "))"])
    }
}
