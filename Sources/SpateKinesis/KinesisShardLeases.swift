import Foundation
import Logging
import Synchronization

/// This process's leases on a stream's shards (`KinesisShardAssignment.leases`), kept in the application's
/// DynamoDB lease table with conditional writes, as the KCL keeps them.
///
/// Why DynamoDB and not PostgreSQL: it is what the KCL and every Kinesis operator already use (a KCL consumer
/// and a Spate one of the same application see each other's leases' layout), it needs no database besides
/// the stream, and its conditional writes are exactly the compare-and-set a lease needs. A lease is expired
/// when its counter has not moved for `duration` as this process observes it (no clock is compared between
/// machines).
final class KinesisShardLeases: Sendable {
    /// What the table says after a sync.
    struct View: Sendable {
        /// The shards this process holds.
        var owned: Set<String>
        /// The shards read to their end (checkpoint `SHARD_END`) by whoever held them.
        var ended: Set<String>
        /// The checkpoint of every lease, by shard id.
        var checkpoints: [String: String]
    }

    private struct State {
        var observed: [String: (counter: Int64, since: ContinuousClock.Instant)] = [:]
        var held: Set<String> = []
    }

    let table: LeaseTable
    let stream: String
    let owner: String
    let duration: Duration
    let logger: Logger
    private let state = Mutex(State())

    init(table: LeaseTable, stream: String, owner: String, duration: Duration, logger: Logger) {
        self.table = table
        self.stream = stream
        self.owner = owner
        self.duration = duration
        self.logger = logger
    }

    func key(_ shard: String) -> String { "\(stream)/\(shard)" }

    /// Adds leases for shards that have none, renews the held ones, and takes the ones the balance gives this
    /// process; returns the view of the table.
    func sync(_ shards: [KinesisAPI.Shard]) async throws -> View {
        let prefix = "\(stream)/"
        var leases = try await table.all().filter { $0.key.hasPrefix(prefix) }
        let known = Set(leases.map(\.key))
        for shard in shards where !known.contains(key(shard.ShardId)) {
            try await table.add(key(shard.ShardId), checkpoint: "0")
            leases.append(LeaseTable.Lease(key: key(shard.ShardId), owner: nil, counter: 0, checkpoint: "0"))
        }
        let now = ContinuousClock.now
        let held = state.withLock { s -> Set<String> in
            for lease in leases where s.observed[lease.key]?.counter != lease.counter {
                s.observed[lease.key] = (lease.counter, now)
            }
            s.held = s.held.filter { key in leases.contains { $0.key == key && $0.owner == owner } }
            return s.held
        }
        for key in held {
            if try await !table.renew(key, owner: owner) { lost(key) }
        }
        let ended = Set(leases.filter { $0.checkpoint == LeaseTable.shardEnd }.map { shardID($0.key) })
        let eligible = Set(ShardLineage.readable(shards, ended: ended).map { key($0.ShardId) })
        let observed = state.withLock { $0.observed }
        let current = leases.map { lease -> LeaseTable.Lease in
            var lease = lease
            if state.withLock({ $0.held.contains(lease.key) }) { lease.owner = owner }
            return lease
        }
        let take = LeaseBalance.toTake(current, eligible: eligible, me: owner) { lease in
            lease.owner == nil || (observed[lease.key].map { now - $0.since > duration } ?? false)
        }
        for lease in take {
            guard try await table.take(lease.key, owner: owner, seen: lease.counter) else { continue }
            state.withLock { _ = $0.held.insert(lease.key) }
            logger.info("Kinesis lease taken", metadata: [
                "lease": "\(lease.key)", "from": "\(lease.owner ?? "nobody")", "owner": "\(owner)"])
        }
        let owned = state.withLock { $0.held }
        return View(owned: Set(owned.map(shardID)), ended: ended,
                    checkpoints: Dictionary(leases.map { (shardID($0.key), $0.checkpoint) }) { a, _ in a })
    }

    /// Renews every held lease now; called by the stream's renewal task every third of `duration`, apart
    /// from the batches, so a process whose batches fall behind does not lose its leases.
    func renewHeld() async {
        for key in state.withLock({ $0.held }) {
            do {
                if try await !table.renew(key, owner: owner) { lost(key) }
            } catch {
                logger.warning("Kinesis lease renewal failed; retried at the next renewal", metadata: [
                    "lease": "\(key)", "error": "\(error)"])
            }
        }
    }

    /// Stores `checkpoint` in `shard`'s lease (a completed batch's last sequence number, or `SHARD_END`);
    /// a lease another process took meanwhile is dropped from the held ones.
    func checkpoint(_ shard: String, _ checkpoint: String) async {
        do {
            if try await !table.checkpoint(key(shard), owner: owner, checkpoint: checkpoint) { lost(key(shard)) }
        } catch {
            logger.warning("Kinesis lease checkpoint failed; the next batch's checkpoint covers it", metadata: [
                "lease": "\(key(shard))", "error": "\(error)"])
        }
    }

    /// Gives every held lease up (a graceful stop).
    func releaseAll() async {
        let held = state.withLock { s in defer { s.held = [] }; return s.held }
        for key in held { try? await table.release(key, owner: owner) }
    }

    private func lost(_ key: String) {
        state.withLock { _ = $0.held.remove(key) }
        logger.warning("Kinesis lease lost to another process", metadata: ["lease": "\(key)", "owner": "\(owner)"])
    }

    private func shardID(_ key: String) -> String { String(key.dropFirst(stream.count + 1)) }
}
