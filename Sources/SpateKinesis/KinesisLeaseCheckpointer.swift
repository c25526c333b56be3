import Spate

/// In lease mode, runs after each batch's outputs completed (the scheduler awaits it before the next batch):
/// stores each shard's last sequence number of the batch in its lease, and `SHARD_END` for a shard the batch
/// read to its end, so its children become readable (to any process) only once the parent's last records
/// were written.
final class KinesisLeaseCheckpointer: AwaitedBatchListener {
    let source: DirectKinesisSource

    init(source: DirectKinesisSource) { self.source = source }

    func batchFinished(_ info: BatchInfo) async {
        guard let leases = source.leases, let ranges = source.ranges(at: info.batchTime) else { return }
        let ended = Set(source.shardsEnded(at: info.batchTime))
        for range in ranges where !range.isEmpty || ended.contains(range.shardID) {
            await leases.checkpoint(range.shardID, ended.contains(range.shardID) ? LeaseTable.shardEnd : range.until.value)
        }
    }
}
