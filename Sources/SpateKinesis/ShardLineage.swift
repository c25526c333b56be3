/// The resharding rule: a shard made by a split or a merge is read only once each of its parents was read to
/// its end (or has expired from the stream), so the records of one partition key come out in order.
enum ShardLineage {
    /// The shards of `shards` that may be read now: not `ended`, and each parent ended or no longer listed.
    static func readable(_ shards: [KinesisAPI.Shard], ended: Set<String>) -> [KinesisAPI.Shard] {
        let listed = Set(shards.map(\.ShardId))
        return shards.filter { shard in
            !ended.contains(shard.ShardId)
                && shard.parents.allSatisfy { ended.contains($0) || !listed.contains($0) }
        }
    }
}

/// How a process of an application chooses leases, as the KCL balances them: every live worker aims at an
/// even share (the eligible leases divided by the workers, rounded up); a worker below it takes free or
/// expired leases first, and otherwise steals one from the most loaded worker above its share.
enum LeaseBalance {
    /// The leases `me` should try to take now, from `leases` (those of `eligible` keys count);
    /// `isExpired` says whether a lease's owner stopped renewing it.
    static func toTake(
        _ leases: [LeaseTable.Lease], eligible: Set<String>, me: String, isExpired: (LeaseTable.Lease) -> Bool
    ) -> [LeaseTable.Lease] {
        let open = leases.filter { eligible.contains($0.key) }.sorted { $0.key < $1.key }
        var held: [String: Int] = [me: 0]
        for lease in open {
            if let owner = lease.owner, owner == me || !isExpired(lease) { held[owner, default: 0] += 1 }
        }
        let target = (open.count + held.count - 1) / held.count
        let mine = held[me] ?? 0
        guard mine < target else { return [] }
        let free = open.filter { $0.owner == nil || ($0.owner != me && isExpired($0)) }
        if !free.isEmpty { return Array(free.prefix(target - mine)) }
        let others = held.filter { $0.key != me }
        guard let busiest = others.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }),
            busiest.value > target
        else { return [] }
        return Array(open.filter { $0.owner == busiest.key }.prefix(1))
    }
}
