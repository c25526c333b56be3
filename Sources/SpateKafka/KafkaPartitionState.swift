import Foundation
import Logging
import Spate

/// One key's state after a batch of `KafkaStream.partitionedUpdateStateByKey`, and where it stands in its
/// partition.
public struct KafkaKeyedState<K: Sendable, S: Sendable>: Sendable {
    /// The key.
    public var key: K
    /// Its state after the batch.
    public var state: S
    /// The Kafka partition whose records the state sums up.
    public var partition: KafkaTopicPartition
    /// The partition's offset after the batch: the state covers every record before it. It grows with every
    /// batch, so it serves as the row version of a version-guarded upsert (`saveToPostgres(..., version:)`):
    /// a process that lost the partition cannot overwrite a newer state with an older one.
    public var offset: Int64
}

/// What one partition's snapshot file holds.
struct PartitionSnapshot<K: Codable, S: Codable>: Codable {
    var offset: Int64
    var keys: [K]
    var states: [S]
    /// With a time to live, the batch time (ms) of each key's last update, in `keys`' order; nil without one
    /// (and in snapshots written before time to live existed).
    var updatedMs: [Int]?
}

/// One Kafka partition's scope of a partition-scoped state.
struct PartitionTable<K: Hashable & Sendable, S: Sendable>: Sendable {
    var states: [K: S]
    /// The offset the next batch of the partition must start at.
    var expected: Int64
    /// Set when the states came from a snapshot: the next batch emits every key (the outputs may have
    /// missed the batches between the snapshot and the previous owner's end).
    var restored: Bool
    /// With a time to live: the batch time (ms) each key was last updated at.
    var updatedMs: [K: Int] = [:]
}

extension KafkaStream {
    /// Keyed state scoped to Kafka partitions, for consumer-group scale-out (`assignment: .consumerGroup`): each
    /// partition's records update the states of their keys (`update(newValues, oldState)`, called for the keys
    /// that have records in the batch; return nil to drop a key), and each batch emits the keys it updated
    /// with their new state, their partition and the partition's offset after the batch.
    ///
    /// Every partition's states are snapshotted, with the partition's offset, to `stateDirectory` (shared by
    /// the group's processes, e.g. a network file system) at most every `snapshotInterval` and when the
    /// partition is revoked. When the group moves a partition to another process, that process restores the
    /// snapshot and the stream starts the partition at the snapshot's offset, replaying the records after it:
    /// the states are exactly those of one process that read everything. A batch right after a restore emits
    /// all of the partition's keys. Write the results with a version-guarded upsert keyed by `key` with
    /// `offset` as the version, and the table holds exactly the states, whatever processes die or overlap.
    ///
    /// With a `timeout` (a time to live in batch time, as `updateStateByKey(_:timeout:)`), a key that got no
    /// records for at least that long is dropped from its partition's state after the batch (not emitted,
    /// counted in `BatchInfo.expiredStateKeys["partitionedUpdateStateByKey"]`); a record for it later starts it
    /// again from a nil state. The clocks travel in the snapshots, so a key expires when it would have in one
    /// process, whichever process holds its partition. The rows already written stay where they are.
    ///
    /// Keys must not span partitions (a producer that keys its records by the same key makes sure of that);
    /// otherwise each partition keeps its own state of the key. `extract` returns nil for a record to skip;
    /// a record it throws on is dropped, counted in `BatchInfo.failedRecords` and, when the options name a
    /// `deadLetterTopic`, written there with the error (as `decoded` does).
    /// ```swift
    /// let totals = try kafka.partitionedUpdateStateByKey(stateDirectory: "/shared/spate-state",
    ///     extract: { record in record.keyString.map { ($0, 1) } },
    ///     update: { (values: [Int], total: Int?) in (total ?? 0) + values.count })
    /// ```
    public func partitionedUpdateStateByKey<K: Hashable & Codable & Sendable, V: Sendable, S: Codable & Sendable>(
        stateDirectory: String, snapshotInterval: Duration = .seconds(5), timeout: Duration? = nil,
        extract: @escaping @Sendable (KafkaRecord) throws -> (K, V)?,
        update: @escaping @Sendable ([V], S?) -> S?
    ) throws -> DStream<KafkaKeyedState<K, S>> {
        let ttlMs = try timeout.map { timeout in
            let ms = timeout.wholeMilliseconds
            guard ms > 0 else { throw SpateError.invalidTimeout(operation: "partitionedUpdateStateByKey", timeout: timeout) }
            return ms
        }
        let source = self.source
        let snapshots = try KafkaStateSnapshots(directory: stateDirectory, group: source.groupID, logger: source.logger)
        source.preferOffsets(from: snapshots)
        let state = KeyedState<KafkaTopicPartition, PartitionTable<K, S>>(
            snapshots: ScopeSnapshots(load: { try snapshots.load($0) }, save: { snapshots.save($0, $1) }),
            intervalMs: Int(snapshotInterval / .milliseconds(1)))
        let deadLetters = self.deadLetters
        // A narrow map keeps the stream's partitions, one per Kafka partition of the batch's ranges.
        let pairs: DStream<(K, V)?> = records.map { record in
            do {
                return try extract(record)
            } catch {
                deadLetters?.send(record, reason: "\(error)")
                throw error
            }
        }
        return state.stream("partitionedUpdateStateByKey", of: pairs) { batch, time in
            guard let batch else { return [] }
            guard let ranges = source.offsetRanges(at: time), ranges.count == batch.partitions.count else {
                throw SpateError.sourceFailed(source: "kafkaStream", reason: "no offset ranges for batch \(time)")
            }
            var rewinds: [KafkaTopicPartition: Int64] = [:]
            let out = try ranges.enumerated().map { i, r in
                let tp = r.topicPartition
                return try state.withScope(tp, at: time, empty: { PartitionTable(states: [:], expected: r.fromOffset, restored: false) }) {
                    p -> [KafkaKeyedState<K, S>] in
                    guard r.fromOffset == p.expected else {
                        // The stream and the state disagree (a snapshot moved on meanwhile): read again from the
                        // state's offset.
                        if r.untilOffset != p.expected { rewinds[tp] = p.expected }
                        return []
                    }
                    let out = Self.apply(batch.partitions[i], to: &p, update, partition: tp, offset: r.untilOffset,
                                         updatedAt: ttlMs == nil ? nil : time.milliseconds)
                    if let ttlMs { state.recordExpired(Self.expire(&p, timeMs: time.milliseconds, ttlMs: ttlMs)) }
                    return out
                }
            }
            // Partitions no longer in the batch were revoked: snapshot them for their next owner and let go.
            let held = Set(ranges.map(\.topicPartition))
            state.release(keeping: held)
            snapshots.hold(held)
            if !rewinds.isEmpty { source.rewind(rewinds) }
            return out
        }
    }

    /// Drops the keys last updated `ttlMs` or more before `timeMs` (a key without a clock, restored from a
    /// snapshot written without a time to live, starts its clock at `timeMs`). Returns how many it dropped.
    static func expire<K: Hashable & Sendable, S: Sendable>(_ p: inout PartitionTable<K, S>, timeMs: Int, ttlMs: Int) -> Int {
        var expired: [K] = []
        for key in p.states.keys {
            let updated = p.updatedMs[key] ?? timeMs
            if updated <= timeMs - ttlMs { expired.append(key) } else if p.updatedMs[key] == nil { p.updatedMs[key] = timeMs }
        }
        for key in expired {
            p.states[key] = nil
            p.updatedMs[key] = nil
        }
        return expired.count
    }

    /// Applies one batch's records of one partition to its states, in place; returns the keys to emit: those
    /// the batch updated, or every key right after a restore.
    static func apply<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ records: [(K, V)?], to p: inout PartitionTable<K, S>, _ update: ([V], S?) -> S?,
        partition tp: KafkaTopicPartition, offset: Int64, updatedAt: Int? = nil
    ) -> [KafkaKeyedState<K, S>] {
        var grouped: [K: [V]] = [:]
        for case let (k, v)? in records { grouped[k, default: []].append(v) }
        var emitted: [KafkaKeyedState<K, S>] = []
        for (k, values) in grouped {
            let new = update(values, p.states[k])
            p.states[k] = new
            if let updatedAt { p.updatedMs[k] = new == nil ? nil : updatedAt }
            if !p.restored, let new { emitted.append(KafkaKeyedState(key: k, state: new, partition: tp, offset: offset)) }
        }
        p.expected = offset
        if p.restored {
            emitted = p.states.map { KafkaKeyedState(key: $0.key, state: $0.value, partition: tp, offset: offset) }
            p.restored = false
        }
        return emitted
    }
}
